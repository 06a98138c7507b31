// .npy reading and writing, against hand-made files and (when Debian's
// numpy is installed) numpy itself.
#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

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

std::string header(const std::string& descr, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }\n";
}

TEST(Npy, EveryHeaderFieldIsChecked) {
  EXPECT_EQ(parseError(fileWithHeader(header("<f4", "(-1,)"), 0)), "shape (-1,) has a negative extent (-1)");
  EXPECT_EQ(parseError(fileWithHeader(header("<f4", "(3, -2)"), 0)), "shape (3, -2) has a negative extent (-2)");
  EXPECT_EQ(parseError(fileWithHeader(header("<f4", "(4294967296, 4294967296, 4)"), 0)),
            "shape (4294967296, 4294967296, 4) has more than 2^63-1 elements");
  EXPECT_EQ(parseError(fileWithHeader(header("<i8", "(281474976710656,)"), 8)),
            "shape (281474976710656,) has 281474976710656 elements of 8 bytes, more than this host's memory (" +
                std::to_string(maxTensorBytes()) + " bytes)");
  EXPECT_EQ(parseError(fileWithHeader(header("<f4", "(99999999999999999999,)"), 0)), "malformed shape");
  std::string rank65 = "(";
  for (int i = 0; i < 65; ++i) rank65 += "1, ";
  rank65.resize(rank65.size() - 2);
  rank65 += ")";
  EXPECT_EQ(parseError(fileWithHeader(header("<f4", rank65), 4)),
            "shape " + rank65 + " has 65 dimensions, more than the 64 a tensor may have");
  // An empty array with huge other extents is fine, as in numpy.
  NpyArray a;
  std::string error;
  const auto empty = fileWithHeader(header("<f4", "(0, 1099511627776)"), 0);
  ASSERT_TRUE(parseNpy(empty.data(), empty.size(), a, error)) << error;
  EXPECT_EQ(a.elementCount(), 0);
}

TEST(Npy, HeaderLengthIsCappedBeforeTheHeaderIsRead) {
  // Format 2.0 allows a 4 GiB header; numpy itself reads at most 10000 bytes.
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0xFF, '{'};
  EXPECT_EQ(parseError(bytes), "header length 4294967295 is over the limit of 10000 bytes");
  bytes = fileWithHeader(std::string(10001, ' '), 0, 2);
  EXPECT_EQ(parseError(bytes), "header length 10001 is over the limit of 10000 bytes");
  EXPECT_EQ(parseError({0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0x40}), "truncated header");
}

/// Writes `head`, then `tailBytes` bytes (SIZE_MAX: without end) into a pipe
/// from a thread; readNpy reads it as path(). The write end closes when done,
/// or when the reader has gone (SIGPIPE is blocked on the writer's thread, so
/// the write fails with EPIPE instead).
class PipeWriter {
 public:
  PipeWriter(std::vector<uint8_t> head, size_t tailBytes) {
    EXPECT_EQ(pipe(fds_), 0);
    thread_ = std::thread([this, head = std::move(head), tailBytes] {
      sigset_t pipeSignal;
      sigemptyset(&pipeSignal);
      sigaddset(&pipeSignal, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipeSignal, nullptr);
      const std::vector<uint8_t> zeros(1 << 16, 0);
      bool open = write(fds_[1], head.data(), head.size()) == static_cast<ssize_t>(head.size());
      for (size_t left = tailBytes; open && left > 0;) {
        const size_t n = std::min(left, zeros.size());
        const ssize_t w = write(fds_[1], zeros.data(), n);
        open = w > 0;
        if (open && tailBytes != SIZE_MAX) left -= static_cast<size_t>(w);
      }
      close(fds_[1]);
    });
  }
  ~PipeWriter() {
    close(fds_[0]);
    thread_.join();
  }
  std::string path() const { return "/dev/fd/" + std::to_string(fds_[0]); }

 private:
  int fds_[2] = {-1, -1};
  std::thread thread_;
};

TEST(Npy, StreamsAreReadNoFurtherThanTheHeaderSays) {
  NpyArray a;
  std::string error;
  EXPECT_FALSE(readNpy("/dev/zero", a, error));
  EXPECT_EQ(error, "/dev/zero: not a .npy file (no \\x93NUMPY magic)");
  {
    PipeWriter endless(fileWithHeader(header("<f4", "(2,)"), 0), SIZE_MAX);
    EXPECT_FALSE(readNpy(endless.path(), a, error));
    EXPECT_EQ(error, endless.path() + ": trailing bytes: <f4 (2,) needs 8 data bytes, the file has more");
  }
  {
    PipeWriter endless(fileWithHeader(header("<f4", "(281474976710656,)"), 0), SIZE_MAX);
    EXPECT_FALSE(readNpy(endless.path(), a, error));
    EXPECT_EQ(error, endless.path() + ": shape (281474976710656,) has 281474976710656 elements of 4 bytes, more than "
                                      "this host's memory (" + std::to_string(maxTensorBytes()) + " bytes)");
  }
  {
    PipeWriter shortStream(fileWithHeader(header("<f4", "(1048576,)"), 0), 100000);
    EXPECT_FALSE(readNpy(shortStream.path(), a, error));
    EXPECT_EQ(error, shortStream.path() + ": truncated: <f4 (1048576,) needs 4194304 data bytes, the file has 100000");
  }
  {
    PipeWriter exact(fileWithHeader(header("<i4", "(3, 100000)"), 0), 1200000);
    ASSERT_TRUE(readNpy(exact.path(), a, error)) << error;
    EXPECT_EQ(a.shape, (std::vector<int64_t>{3, 100000}));
    EXPECT_EQ(a.data, std::vector<uint8_t>(1200000, 0));
  }
  EXPECT_FALSE(readNpy("/", a, error));
  EXPECT_EQ(error, "/: Is a directory");
}

TEST(Npy, RegularFilesAreSizedBeforeTheDataIsRead) {
  char path[] = "/tmp/hexmoe-npy-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  // 128 MiB declared (below any host's memory, so the size check passes), 8 bytes held.
  const auto bytes = fileWithHeader(header("<f8", "(1048576, 16)"), 8);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  NpyArray a;
  std::string error;
  EXPECT_FALSE(readNpy(path, a, error));
  EXPECT_EQ(error, std::string(path) + ": truncated: <f8 (1048576, 16) needs 134217728 data bytes, the file has 8");
  EXPECT_EQ(a.data.capacity(), 0u);
  std::remove(path);
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
