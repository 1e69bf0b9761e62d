// The part of TensorFlow Lite Micro's API that edgeaccel's generated sources use, declared as in
// tflite-micro (common.h, micro_mutable_op_resolver.h), so that g++ -fsyntax-only can check
// op_resolver.h and main.cc without a tflite-micro checkout. Declarations only: nothing links.
#ifndef EDGEACCEL_TEST_MICRO_MUTABLE_OP_RESOLVER_H_
#define EDGEACCEL_TEST_MICRO_MUTABLE_OP_RESOLVER_H_

#include <stddef.h>
#include <stdint.h>

typedef enum TfLiteStatus { kTfLiteOk = 0, kTfLiteError = 1 } TfLiteStatus;

typedef struct TfLiteQuantizationParams {
  float scale;
  int32_t zero_point;
} TfLiteQuantizationParams;

typedef union TfLitePtrUnion {
  int32_t* i32;
  float* f;
  uint8_t* uint8;
  int8_t* int8;
} TfLitePtrUnion;

typedef struct TfLiteTensor {
  TfLitePtrUnion data;
  TfLiteQuantizationParams params;
  size_t bytes;
} TfLiteTensor;

namespace tflite {

class MicroOpResolver {
 public:
  virtual ~MicroOpResolver() {}
};

template <unsigned int tOpCount>
class MicroMutableOpResolver : public MicroOpResolver {
 public:
  TfLiteStatus AddFullyConnected();
  TfLiteStatus AddMinimum();
  TfLiteStatus AddRelu();
  TfLiteStatus AddReshape();
  TfLiteStatus AddSoftmax();
};

}  // namespace tflite

#endif  // EDGEACCEL_TEST_MICRO_MUTABLE_OP_RESOLVER_H_
