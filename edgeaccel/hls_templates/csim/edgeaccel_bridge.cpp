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

// 1 when hls4ml traces `layer` (it does not trace layers that compute nothing, e.g. Reshape), else 0.
int edgeaccel_is_traced(const char *layer) {
    allocate_trace_storage(sizeof(double));
    int traced = nnet::trace_outputs->count(layer) > 0;
    free_trace_storage();
    return traced;
}

// For each of `count` traced layers, outs[k][i * sizes[k] ...] = its output for sample i, and y[i] = the
// model's outputs (one model run per sample). Returns 0, or k + 1 when layer k is not traced (nothing is
// written then).
int edgeaccel_trace(const double *x, long n, int count, const char **layers, double **outs, const long *sizes,
                    double *y) {
    allocate_trace_storage(sizeof(double));
    std::vector<const double *> traced(count);
    for (int k = 0; k < count; k++) {
        if (nnet::trace_outputs->count(layers[k]) == 0) {
            free_trace_storage();
            return k + 1;
        }
        traced[k] = static_cast<const double *>((*nnet::trace_outputs)[layers[k]]);
    }
    std::vector<double> in(EDGEACCEL_N_IN), out(EDGEACCEL_N_OUT);
    for (long i = 0; i < n; i++) {
        std::memcpy(in.data(), x + i * EDGEACCEL_N_IN, sizeof(double) * EDGEACCEL_N_IN);
        myproject_double(in.data(), out.data());
        std::memcpy(y + i * EDGEACCEL_N_OUT, out.data(), sizeof(double) * EDGEACCEL_N_OUT);
        for (int k = 0; k < count; k++)
            std::memcpy(outs[k] + i * sizes[k], traced[k], sizeof(double) * sizes[k]);
    }
    free_trace_storage();
    return 0;
}
}
