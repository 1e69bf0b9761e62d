// Force-included (g++ -include) in every translation unit of the edgeaccel csim library.
// hls4ml's nnet_helpers.h reads weights from WEIGHTS_DIR "/<name>.txt"; making WEIGHTS_DIR a call
// lets one compiled library load the weights of any artifact with the same architecture.
#pragma once
extern "C" const char *edgeaccel_weights_dir();
#define WEIGHTS_DIR edgeaccel_weights_dir()
