// edgeaccel csim bridge: batched entry points around hls4ml's generated myproject_bridge.cpp.
//
// Compiled with -fno-gnu-unique: each dlopen of a distinct copy of the library then has its own
// statics (hls4ml's weight-load flag, activation tables, io_stream line buffers), so edgeaccel
// runs one copy per thread and never shares state between threads.
//
// Defines expected on the command line: EDGEACCEL_N_IN, EDGEACCEL_N_OUT.
#include "myproject_bridge.cpp"

#include <cstring>
#include <string>
#include <vector>

static std::string edgeaccel_weights = "firmware/weights";

extern "C" {

const char *edgeaccel_weights_dir() { return edgeaccel_weights.c_str(); }

// Must be called before the first prediction: hls4ml loads the weights once, on the first call.
void edgeaccel_set_weights_dir(const char *directory) { edgeaccel_weights = directory; }

int edgeaccel_n_in() { return EDGEACCEL_N_IN; }
int edgeaccel_n_out() { return EDGEACCEL_N_OUT; }

// y[i] = model(x[i]) for n samples; x is n x N_IN, y is n x N_OUT, both row-major.
void edgeaccel_predict(const double *x, double *y, long n) {
    std::vector<double> in(EDGEACCEL_N_IN), out(EDGEACCEL_N_OUT);
    for (long i = 0; i < n; i++) {
        std::memcpy(in.data(), x + i * EDGEACCEL_N_IN, sizeof(double) * EDGEACCEL_N_IN);
        myproject_double(in.data(), out.data());
        std::memcpy(y + i * EDGEACCEL_N_OUT, out.data(), sizeof(double) * EDGEACCEL_N_OUT);
    }
}

// out[i] = the output of traced layer `layer` (layer_size values) for sample i.
// Returns 0, or -1 when the layer is not traced.
int edgeaccel_trace(const double *x, long n, const char *layer, double *out, long layer_size) {
    allocate_trace_storage(sizeof(double));
    if (nnet::trace_outputs->count(layer) == 0) {
        free_trace_storage();
        return -1;
    }
    const double *traced = static_cast<const double *>((*nnet::trace_outputs)[layer]);
    std::vector<double> in(EDGEACCEL_N_IN), y(EDGEACCEL_N_OUT);
    for (long i = 0; i < n; i++) {
        std::memcpy(in.data(), x + i * EDGEACCEL_N_IN, sizeof(double) * EDGEACCEL_N_IN);
        myproject_double(in.data(), y.data());
        std::memcpy(out + i * layer_size, traced, sizeof(double) * layer_size);
    }
    free_trace_storage();
    return 0;
}
}
