// See ../micro/micro_mutable_op_resolver.h: declarations from tflite-micro for a syntax check.
#ifndef EDGEACCEL_TEST_SCHEMA_GENERATED_H_
#define EDGEACCEL_TEST_SCHEMA_GENERATED_H_

#include <stdint.h>

namespace tflite {

struct Model {
  uint32_t version() const;
};

const Model* GetModel(const void* buf);

}  // namespace tflite

#endif  // EDGEACCEL_TEST_SCHEMA_GENERATED_H_
