// See micro_mutable_op_resolver.h in this directory: declarations from tflite-micro for a syntax check.
#ifndef EDGEACCEL_TEST_MICRO_INTERPRETER_H_
#define EDGEACCEL_TEST_MICRO_INTERPRETER_H_

#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

#define TFLITE_SCHEMA_VERSION (3)

namespace tflite {

class MicroInterpreter {
 public:
  MicroInterpreter(const Model* model, const MicroOpResolver& op_resolver, uint8_t* tensor_arena,
                   size_t tensor_arena_size);
  TfLiteStatus AllocateTensors();
  TfLiteStatus Invoke();
  TfLiteTensor* input(size_t index);
  TfLiteTensor* output(size_t index);
  size_t arena_used_bytes() const;
};

}  // namespace tflite

#endif  // EDGEACCEL_TEST_MICRO_INTERPRETER_H_
