// hiprtc_compile FILE.hip ARCH OUT.co: compiles HIP C++ to an AMDGPU code
// object through the hip driver's own hipRTC path (what it does at load), so
// tests can check the hip-source target's programs on a machine without a
// GPU. Exit 0: written; 1: hipRTC refused the source (its log is printed); 2:
// bad arguments or files; 77: no hipRTC here.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "runtime/drivers/hip/hip_api.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: hiprtc_compile FILE.hip ARCH OUT.co (ARCH: gfx90a)\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "hiprtc_compile: cannot read %s\n", argv[1]);
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto rtc = hexmoe::hal::hip::loadHiprtc();
  if (!rtc.ok()) {
    std::fprintf(stderr, "hiprtc_compile: %s\n", rtc.status().message().c_str());
    return 77;
  }
  auto code = hexmoe::hal::hip::compileToCodeObject(text.str(), argv[2], "", argv[1]);
  if (!code.ok()) {
    std::fprintf(stderr, "hiprtc_compile: %s\n", code.status().message().c_str());
    return 1;
  }
  std::ofstream out(argv[3], std::ios::binary);
  out << *code;
  if (!out) {
    std::fprintf(stderr, "hiprtc_compile: cannot write %s\n", argv[3]);
    return 2;
  }
  std::printf("%s: hipRTC %d.%d (%s), %s, %zu bytes of code object\n", argv[1], (*rtc)->major, (*rtc)->minor,
              (*rtc)->library.c_str(), argv[2], code->size());
  return 0;
}
