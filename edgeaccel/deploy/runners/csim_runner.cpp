// edgeaccel csim runner: the hls4ml firmware's C simulation as a standalone program on the board's CPU.
// Built there by csim_runner.py with the board's own g++; the same top function the host's csim
// library calls (myproject_double in hls4ml's bridge), so the outputs are comparable bit for bit.
//
//   csim_runner INPUTS.txt OUTPUTS.txt LATENCY_NS.txt
//
// INPUTS.txt holds one sample per line (EDGEACCEL_N_IN numbers); OUTPUTS.txt gets one line per
// sample (EDGEACCEL_N_OUT numbers, printed with 17 significant digits: exact for a double), and
// LATENCY_NS.txt the nanoseconds each sample took. Defines expected: EDGEACCEL_N_IN, EDGEACCEL_N_OUT.
#include "myproject_bridge.cpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s INPUTS.txt OUTPUTS.txt LATENCY_NS.txt\n", argv[0]);
        return 2;
    }
    std::ifstream inputs(argv[1]);
    if (!inputs) {
        std::fprintf(stderr, "%s: expected a readable inputs file, received none\n", argv[1]);
        return 1;
    }
    FILE *outputs = std::fopen(argv[2], "w");
    FILE *latency = std::fopen(argv[3], "w");
    if (!outputs || !latency) {
        std::fprintf(stderr, "expected writable %s and %s, received an error\n", argv[2], argv[3]);
        return 1;
    }
    std::vector<double> x(EDGEACCEL_N_IN), y(EDGEACCEL_N_OUT);
    std::string line;
    long sample = 0;
    bool warm = false;
    while (std::getline(inputs, line)) {
        if (line.empty())
            continue;
        std::istringstream fields(line);
        for (int i = 0; i < EDGEACCEL_N_IN; i++) {
            if (!(fields >> x[i])) {
                std::fprintf(stderr, "%s: sample %ld: expected %d numbers, received %d\n", argv[1], sample,
                             EDGEACCEL_N_IN, i);
                return 1;
            }
        }
        if (!warm) {  // the first call loads the weights from firmware/weights/*.txt
            myproject_double(x.data(), y.data());
            warm = true;
        }
        auto began = std::chrono::steady_clock::now();
        myproject_double(x.data(), y.data());
        auto took = std::chrono::steady_clock::now() - began;
        for (int i = 0; i < EDGEACCEL_N_OUT; i++)
            std::fprintf(outputs, "%.17g%c", y[i], i + 1 < EDGEACCEL_N_OUT ? ' ' : '\n');
        std::fprintf(latency, "%lld\n", (long long)std::chrono::duration_cast<std::chrono::nanoseconds>(took).count());
        sample++;
    }
    std::fclose(outputs);
    std::fclose(latency);
    return 0;
}
