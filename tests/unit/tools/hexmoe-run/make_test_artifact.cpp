// Writes the runtime test artifact (test_artifact.h) and a few .npy inputs for
// the hexmoe-run command-line tests.
//
//   make_test_artifact OUT_DIR      (created if missing)
//     OUT_DIR/test.hxm       all three CPU variants
//     OUT_DIR/v4only.hxm     only the x86-64-v4 variant (avx512f, avx512bw)
//     OUT_DIR/a.npy          f32 [3,4], a[i] = i
//     OUT_DIR/b.npy          f64 [3,4], b[i] = 100 (converted to f32 on input)
//     OUT_DIR/x_bf16.npy     f32 [5] for a bf16 argument (rounded on input)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/unit/runtime/test_artifact.h"
#include "tools/hexmoe-run/npy.h"

namespace {

bool writeBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

bool writeNpy(const std::string& path, hexmoe::tools::NpyDType dtype, std::vector<int64_t> shape,
              const void* data, size_t bytes) {
  hexmoe::tools::NpyArray array;
  array.dtype = dtype;
  array.shape = std::move(shape);
  array.data.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + bytes);
  std::string error;
  if (!hexmoe::tools::writeNpy(path, array, error)) {
    std::fprintf(stderr, "make_test_artifact: %s\n", error.c_str());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_test_artifact OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  hexmoe::test::TestArtifactOptions v4only;
  v4only.variants = {{"x86-64-v4", {"avx512f", "avx512bw"}, 4}};
  float a[12], x[5] = {1.0f, 1.00390625f, 1.01171875f, -2.5f, 3.0e38f};
  double b[12];
  for (int i = 0; i < 12; ++i) {
    a[i] = static_cast<float>(i);
    b[i] = 100.0;
  }
  using hexmoe::tools::NpyDType;
  bool ok = writeBytes(dir + "/test.hxm", hexmoe::test::buildTestArtifact()) &&
            writeBytes(dir + "/v4only.hxm", hexmoe::test::buildTestArtifact(v4only)) &&
            writeNpy(dir + "/a.npy", NpyDType::kF4, {3, 4}, a, sizeof(a)) &&
            writeNpy(dir + "/b.npy", NpyDType::kF8, {3, 4}, b, sizeof(b)) &&
            writeNpy(dir + "/x_bf16.npy", NpyDType::kF4, {5}, x, sizeof(x));
  if (!ok) {
    std::fprintf(stderr, "make_test_artifact: cannot write into %s\n", dir.c_str());
    return 1;
  }
  return 0;
}
