// See micro_mutable_op_resolver.h in this directory: declarations from tflite-micro for a syntax check.
#ifndef EDGEACCEL_TEST_SYSTEM_SETUP_H_
#define EDGEACCEL_TEST_SYSTEM_SETUP_H_

namespace tflite {
void InitializeTarget();
}  // namespace tflite

#endif  // EDGEACCEL_TEST_SYSTEM_SETUP_H_
