// See micro_mutable_op_resolver.h in this directory: declarations from tflite-micro for a syntax check.
#ifndef EDGEACCEL_TEST_MICRO_LOG_H_
#define EDGEACCEL_TEST_MICRO_LOG_H_

void MicroPrintf(const char* format, ...) __attribute__((format(printf, 1, 2)));

#endif  // EDGEACCEL_TEST_MICRO_LOG_H_
