// .npy reading and writing, against hand-made files and (when Debian's
// numpy is installed) numpy itself.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tools/hexmoe-run/npy.h"

namespace hexmoe::tools {
namespace {

std::vector<uint8_t> fileWithHeader(const std::string& dict, size_t dataBytes, int major = 1) {
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const size_t len = dict.size();
  out.push_back(len & 0xFF);
  out.push_back((len >> 8) & 0xFF);
  if (major >= 2) {
    out.push_back(0);
    out.push_back(0);
  }
  out.insert(out.end(), dict.begin(), dict.end());
  out.resize(out.size() + dataBytes, 0x11);
  return out;
}

std::string parseError(const std::vector<uint8_t>& bytes) {
  NpyArray a;
  std::string error;
  EXPECT_FALSE(parseNpy(bytes.data(), bytes.size(), a, error));
  return error;
}

TEST(Npy, RoundTrip) {
  const struct {
    NpyDType dtype;
    std::vector<int64_t> shape;
  } kCases[] = {{NpyDType::kF4, {3, 4}}, {NpyDType::kF8, {5}},   {NpyDType::kI4, {}},
                {NpyDType::kI8, {2, 0}}, {NpyDType::kU2, {2, 3, 2}}};
  for (const auto& c : kCases) {
    NpyArray a;
    a.dtype = c.dtype;
    a.shape = c.shape;
    a.data.resize(static_cast<size_t>(a.elementCount()) * npyItemSize(c.dtype));
    for (size_t i = 0; i < a.data.size(); ++i) a.data[i] = static_cast<uint8_t>(i * 7);
    const std::vector<uint8_t> bytes = encodeNpy(a);
    const size_t headerEnd = bytes.size() - a.data.size();
    EXPECT_EQ(headerEnd % 64, 0u);
    EXPECT_EQ(bytes[headerEnd - 1], '\n');
    NpyArray b;
    std::string error;
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), b, error)) << error;
    EXPECT_EQ(b.dtype, a.dtype);
    EXPECT_EQ(b.shape, a.shape);
    EXPECT_EQ(b.data, a.data);
  }
}

TEST(Npy, ReadsWhatNumpyWrites) {
  // Header text as numpy writes it, format 1.0 and 2.0, keys in any order.
  for (int major : {1, 2, 3}) {
    NpyArray a;
    std::string error;
    auto bytes = fileWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n", 24, major);
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), a, error)) << error;
    EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
    bytes = fileWithHeader("{'shape': (7,), 'fortran_order': False, 'descr': '<i8'}\n", 56, major);
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), a, error)) << error;
    EXPECT_EQ(a.dtype, NpyDType::kI8);
    EXPECT_EQ(a.shape, (std::vector<int64_t>{7}));
  }
}

TEST(Npy, MalformedFilesSayWhatIsWrong) {
  EXPECT_EQ(parseError({'n', 'o', 'p', 'e', 0, 0, 0, 0, 0, 0, 0}), "not a .npy file (no \\x93NUMPY magic)");
  auto truncatedHeader = fileWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 0);
  truncatedHeader.resize(30);
  EXPECT_EQ(parseError(truncatedHeader), "truncated header");
  EXPECT_EQ(parseError(fileWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 20)),
            "truncated: <f4 (2, 3) needs 24 data bytes, the file has 20");
  EXPECT_EQ(parseError(fileWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 12)),
            "trailing bytes: <f4 (2,) needs 8 data bytes, the file has 12");
  EXPECT_EQ(parseError(fileWithHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", 8)),
            "big-endian dtype '>f4' (save it little-endian: arr.astype(arr.dtype.newbyteorder('<')))");
  EXPECT_EQ(parseError(fileWithHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }\n", 4)),
            "unsupported dtype '<f2' (readable: <f4, <f8, <i4, <i8, <u2)");
  EXPECT_EQ(parseError(fileWithHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n", 8)),
            "Fortran-order arrays are not supported (save with np.ascontiguousarray)");
  EXPECT_EQ(parseError(fileWithHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n", 8)),
            "structured dtypes are not supported");
  EXPECT_EQ(parseError(fileWithHeader("{'descr': '<f4', 'shape': (2,), }\n", 8)),
            "header lacks descr, fortran_order or shape");
  EXPECT_EQ(parseError(fileWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,x), }\n", 8)),
            "malformed shape");
  EXPECT_EQ(parseError(fileWithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 8, 4)),
            "unsupported .npy format version 4.0");

  NpyArray a;
  std::string error;
  EXPECT_FALSE(readNpy("/nonexistent/x.npy", a, error));
  EXPECT_EQ(error, "/nonexistent/x.npy: No such file or directory");
}

/// Runs Debian's Python with numpy on a script; false when unavailable.
bool numpyAvailable() { return std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0; }

TEST(Npy, AgreesWithNumpy) {
  if (!numpyAvailable()) GTEST_SKIP() << "Debian's python3-numpy is not installed";
  char dir[] = "/tmp/hexmoe-npy-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string d = dir;
  // numpy writes, we read.
  const std::string script = "import numpy as np; np.save('" + d + "/np.npy', np.arange(12, dtype='<f4').reshape(3, 4) * 0.5)";
  ASSERT_EQ(std::system(("/usr/bin/python3 -c \"" + script + "\"").c_str()), 0);
  NpyArray a;
  std::string error;
  ASSERT_TRUE(readNpy(d + "/np.npy", a, error)) << error;
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 4}));
  float values[12];
  std::memcpy(values, a.data.data(), sizeof(values));
  for (int i = 0; i < 12; ++i) EXPECT_EQ(values[i], 0.5f * static_cast<float>(i));
  // We write, numpy reads.
  NpyArray b;
  b.dtype = NpyDType::kI8;
  b.shape = {2, 2};
  const int64_t ints[] = {1, -2, 3, 1 << 30};
  b.data.assign(reinterpret_cast<const uint8_t*>(ints), reinterpret_cast<const uint8_t*>(ints) + sizeof(ints));
  ASSERT_TRUE(writeNpy(d + "/ours.npy", b, error)) << error;
  const std::string check = "import numpy as np; a = np.load('" + d +
                            "/ours.npy'); assert a.dtype == np.int64 and a.shape == (2, 2) and "
                            "a.tolist() == [[1, -2], [3, 1 << 30]], a";
  EXPECT_EQ(std::system(("/usr/bin/python3 -c \"" + check + "\"").c_str()), 0);
  std::system(("rm -rf " + d).c_str());
}

}  // namespace
}  // namespace hexmoe::tools
