// nvrtc_compile FILE.cu ARCH OUT.ptx: compiles CUDA C++ to PTX through the
// cuda driver's own NVRTC path (what it does at load), so tests can check the
// cuda-source target's programs with ptxas on a machine without a GPU.
// Exit 0: written; 1: NVRTC refused the source (its log is printed); 2: bad
// arguments or files; 77: no NVRTC here.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "runtime/drivers/cuda/cuda_api.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: nvrtc_compile FILE.cu ARCH OUT.ptx (ARCH: 80 for compute_80)\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "nvrtc_compile: cannot read %s\n", argv[1]);
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto nvrtc = hexmoe::hal::cuda::loadNvrtc();
  if (!nvrtc.ok()) {
    std::fprintf(stderr, "nvrtc_compile: %s\n", nvrtc.status().message().c_str());
    return 77;
  }
  auto ptx = hexmoe::hal::cuda::compileToPtx(text.str(), std::atoi(argv[2]), "", argv[1]);
  if (!ptx.ok()) {
    std::fprintf(stderr, "nvrtc_compile: %s\n", ptx.status().message().c_str());
    return 1;
  }
  std::ofstream out(argv[3], std::ios::binary);
  out << *ptx;
  if (!out) {
    std::fprintf(stderr, "nvrtc_compile: cannot write %s\n", argv[3]);
    return 2;
  }
  std::printf("%s: NVRTC %d.%d, compute_%s, %zu bytes of PTX\n", argv[1], (*nvrtc)->major, (*nvrtc)->minor, argv[2],
              ptx->size());
  return 0;
}
