// Links against the generated model_data.cc and checks it against model.tflite (argv[1]):
// same length, same bytes, 16-byte aligned. Prints "bytes=N aligned=1 equal=1".
#include <stdint.h>
#include <stdio.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "model_data.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  std::ifstream file(argv[1], std::ios::binary);
  std::vector<unsigned char> expected((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  bool equal = expected.size() == g_model_data_len;
  for (unsigned int i = 0; equal && i < g_model_data_len; ++i) equal = expected[i] == g_model_data[i];
  bool aligned = reinterpret_cast<uintptr_t>(g_model_data) % 16 == 0;
  printf("bytes=%u aligned=%d equal=%d\n", g_model_data_len, aligned ? 1 : 0, equal ? 1 : 0);
  return equal && aligned ? 0 : 1;
}
