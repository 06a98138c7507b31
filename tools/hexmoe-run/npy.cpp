// NumPy .npy reading and writing.
#include "tools/hexmoe-run/npy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>

namespace hexmoe::tools {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
/// Data is read in steps of this size, so a stream shorter than its header
/// claims costs only the memory of what it holds.
constexpr size_t kReadStep = size_t{64} << 20;

/// A cursor over the header's Python dict literal.
class HeaderParser {
 public:
  explicit HeaderParser(const std::string& text) : s_(text) {}

  void skipSpace() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  bool consume(char c) {
    skipSpace();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    skipSpace();
    return i_ < s_.size() && s_[i_] == c;
  }
  bool quoted(std::string& out) {
    skipSpace();
    if (i_ >= s_.size() || (s_[i_] != '\'' && s_[i_] != '"')) return false;
    const char q = s_[i_++];
    const size_t end = s_.find(q, i_);
    if (end == std::string::npos) return false;
    out = s_.substr(i_, end - i_);
    i_ = end + 1;
    return true;
  }
  bool word(std::string& out) {
    skipSpace();
    size_t start = i_;
    while (i_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[i_]))) ++i_;
    out = s_.substr(start, i_ - start);
    return !out.empty();
  }
  /// A signed decimal that fits in int64 (the sign is for checkTensorBytes to refuse).
  bool integer(int64_t& out) {
    skipSpace();
    const char* begin = s_.data() + i_;
    const char* end = s_.data() + s_.size();
    const auto [ptr, ec] = std::from_chars(begin, end, out);
    if (ec != std::errc() || ptr == begin) return false;
    i_ += static_cast<size_t>(ptr - begin);
    // Python 2 era writers append L to longs.
    if (i_ < s_.size() && s_[i_] == 'L') ++i_;
    return true;
  }
  /// Skips a value we do not use (for keys numpy may add later).
  bool skipValue() {
    skipSpace();
    int depth = 0;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\'' || c == '"') {
        std::string ignored;
        if (!quoted(ignored)) return false;
        continue;
      }
      if (c == '(' || c == '[' || c == '{') ++depth;
      if (c == ')' || c == ']' || c == '}') {
        if (depth == 0) return true;
        --depth;
      }
      if (c == ',' && depth == 0) return true;
      ++i_;
    }
    return false;
  }

 private:
  const std::string& s_;
  size_t i_ = 0;
};

bool parseDescr(const std::string& descr, NpyDType& out, std::string& error) {
  static const struct {
    const char* descr;
    NpyDType dtype;
  } kKnown[] = {{"<f4", NpyDType::kF4}, {"<f8", NpyDType::kF8}, {"<i4", NpyDType::kI4},
                {"<i8", NpyDType::kI8}, {"<u2", NpyDType::kU2}};
  for (const auto& k : kKnown) {
    if (descr == k.descr) {
      out = k.dtype;
      return true;
    }
  }
  if (!descr.empty() && descr[0] == '>')
    error = "big-endian dtype '" + descr + "' (save it little-endian: arr.astype(arr.dtype.newbyteorder('<')))";
  else
    error = "unsupported dtype '" + descr + "' (readable: <f4, <f8, <i4, <i8, <u2)";
  return false;
}

bool parseHeader(const std::string& header, NpyArray& out, std::string& error) {
  HeaderParser p(header);
  bool haveDescr = false, haveOrder = false, haveShape = false;
  if (!p.consume('{')) {
    error = "malformed header (expected a dict)";
    return false;
  }
  while (!p.consume('}')) {
    std::string key;
    if (!p.quoted(key) || !p.consume(':')) {
      error = "malformed header dict";
      return false;
    }
    if (key == "descr") {
      std::string descr;
      if (!p.quoted(descr)) {
        error = "structured dtypes are not supported";
        return false;
      }
      if (!parseDescr(descr, out.dtype, error)) return false;
      haveDescr = true;
    } else if (key == "fortran_order") {
      std::string value;
      if (!p.word(value) || (value != "True" && value != "False")) {
        error = "malformed fortran_order";
        return false;
      }
      if (value == "True") {
        error = "Fortran-order arrays are not supported (save with np.ascontiguousarray)";
        return false;
      }
      haveOrder = true;
    } else if (key == "shape") {
      if (!p.consume('(')) {
        error = "malformed shape";
        return false;
      }
      out.shape.clear();
      while (!p.consume(')')) {
        int64_t extent;
        if (!p.integer(extent)) {
          error = "malformed shape";
          return false;
        }
        out.shape.push_back(extent);
        if (!p.consume(',') && !p.peek(')')) {
          error = "malformed shape";
          return false;
        }
      }
      haveShape = true;
    } else if (!p.skipValue()) {
      error = "malformed header dict";
      return false;
    }
    if (!p.consume(',') && !p.peek('}')) {
      error = "malformed header dict";
      return false;
    }
  }
  if (!haveDescr || !haveOrder || !haveShape) {
    error = "header lacks descr, fortran_order or shape";
    return false;
  }
  return true;
}

/// Where the bytes of a .npy file come from.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Reads up to `n` bytes into `out`, fewer only at the end; false on an I/O error.
  virtual bool read(uint8_t* out, size_t n, size_t& got, std::string& error) = 0;
  /// Bytes not yet read, where that is known (memory, a regular file).
  virtual std::optional<size_t> remaining() const = 0;
};

class MemorySource : public ByteSource {
 public:
  MemorySource(const uint8_t* bytes, size_t size) : bytes_(bytes), size_(size) {}
  bool read(uint8_t* out, size_t n, size_t& got, std::string&) override {
    got = std::min(n, size_ - pos_);
    if (got) std::memcpy(out, bytes_ + pos_, got);
    pos_ += got;
    return true;
  }
  std::optional<size_t> remaining() const override { return size_ - pos_; }

 private:
  const uint8_t* bytes_;
  size_t size_;
  size_t pos_ = 0;
};

/// An open file descriptor, owned; its size is known only for a regular file.
class FileSource : public ByteSource {
 public:
  explicit FileSource(int fd) : fd_(fd) {
    struct stat st;
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) size_ = static_cast<size_t>(st.st_size);
  }
  ~FileSource() override { ::close(fd_); }
  bool read(uint8_t* out, size_t n, size_t& got, std::string& error) override {
    got = 0;
    while (got < n) {
      const ssize_t r = ::read(fd_, out + got, n - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        error = std::strerror(errno);
        return false;
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    pos_ += got;
    return true;
  }
  std::optional<size_t> remaining() const override {
    if (!size_) return std::nullopt;
    return *size_ > pos_ ? *size_ - pos_ : 0;
  }

 private:
  int fd_;
  std::optional<size_t> size_;
  size_t pos_ = 0;
};

/// Python's tuple syntax: "()", "(5,)", "(3, 4)".
std::string shapeText(const std::vector<int64_t>& shape) {
  if (shape.size() == 1) return "(" + std::to_string(shape[0]) + ",)";
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

}  // namespace

const char* npyDescr(NpyDType dtype) {
  switch (dtype) {
    case NpyDType::kF4: return "<f4";
    case NpyDType::kF8: return "<f8";
    case NpyDType::kI4: return "<i4";
    case NpyDType::kI8: return "<i8";
    case NpyDType::kU2: return "<u2";
  }
  return "?";
}

size_t npyItemSize(NpyDType dtype) {
  switch (dtype) {
    case NpyDType::kF4: return 4;
    case NpyDType::kF8: return 8;
    case NpyDType::kI4: return 4;
    case NpyDType::kI8: return 8;
    case NpyDType::kU2: return 2;
  }
  return 0;
}

namespace {

/// Reads a whole .npy file from `in`, checking each field before it is used:
/// the header length against kNpyMaxHeaderBytes, the shape with
/// checkTensorBytes, then exactly that many data bytes and no more.
bool decode(ByteSource& in, NpyArray& out, std::string& error) {
  uint8_t prefix[12];
  size_t got = 0;
  if (!in.read(prefix, 8, got, error)) return false;
  if (got < 8 || std::memcmp(prefix, kMagic, kMagicSize) != 0) {
    error = "not a .npy file (no \\x93NUMPY magic)";
    return false;
  }
  const int major = prefix[6];
  const size_t lengthBytes = major == 1 ? 2 : (major == 2 || major == 3) ? 4 : 0;
  if (lengthBytes == 0) {
    error = "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(prefix[7]);
    return false;
  }
  if (!in.read(prefix + 8, lengthBytes, got, error)) return false;
  if (got < lengthBytes) {
    error = "truncated header";
    return false;
  }
  size_t headerLen = 0;
  for (size_t i = 0; i < lengthBytes; ++i) headerLen |= static_cast<size_t>(prefix[8 + i]) << (8 * i);
  if (headerLen > kNpyMaxHeaderBytes) {
    error = "header length " + std::to_string(headerLen) + " is over the limit of " +
            std::to_string(kNpyMaxHeaderBytes) + " bytes";
    return false;
  }
  std::string header(headerLen, '\0');
  if (!in.read(reinterpret_cast<uint8_t*>(header.data()), headerLen, got, error)) return false;
  if (got < headerLen) {
    error = "truncated header";
    return false;
  }
  if (!parseHeader(header, out, error)) return false;

  size_t expected = 0;
  std::string why;
  if (!checkTensorBytes(out.shape, npyItemSize(out.dtype), expected, why)) {
    error = "shape " + shapeText(out.shape) + " " + why;
    return false;
  }
  const std::string needs = std::string(npyDescr(out.dtype)) + " " + shapeText(out.shape) + " needs " +
                            std::to_string(expected) + " data bytes, the file has ";
  const std::optional<size_t> available = in.remaining();
  if (available && *available != expected) {
    error = std::string(*available < expected ? "truncated: " : "trailing bytes: ") + needs +
            std::to_string(*available);
    return false;
  }
  out.data.clear();
  if (available) out.data.reserve(expected);
  while (out.data.size() < expected) {
    const size_t old = out.data.size();
    const size_t step = std::min(expected - old, kReadStep);
    out.data.resize(old + step);
    if (!in.read(out.data.data() + old, step, got, error)) return false;
    out.data.resize(old + got);
    if (got < step) {
      error = "truncated: " + needs + std::to_string(out.data.size());
      return false;
    }
  }
  uint8_t extra;
  if (!in.read(&extra, 1, got, error)) return false;
  if (got != 0) {
    error = "trailing bytes: " + needs + "more";
    return false;
  }
  return true;
}

}  // namespace

namespace {
std::atomic<size_t> maxTensorBytesOverride{0};
}  // namespace

void setMaxTensorBytes(size_t bytes) { maxTensorBytesOverride = bytes; }

size_t maxTensorBytes() {
  if (const size_t cap = maxTensorBytesOverride.load()) return cap;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long pageSize = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0) return size_t{1} << 40;  // unknown: a 1 TiB cap
  return static_cast<size_t>(pages) * static_cast<size_t>(pageSize);
}

bool checkTensorBytes(const std::vector<int64_t>& shape, size_t itemSize, size_t& bytes, std::string& error) {
  if (shape.size() > kMaxTensorRank) {
    error = "has " + std::to_string(shape.size()) + " dimensions, more than the " + std::to_string(kMaxTensorRank) +
            " a tensor may have";
    return false;
  }
  // Like numpy, the product of the nonzero extents must fit even when another
  // extent is 0, so every partial product (elementCount's) fits too.
  uint64_t elements = 1;
  bool empty = false;
  for (int64_t d : shape) {
    if (d < 0) {
      error = "has a negative extent (" + std::to_string(d) + ")";
      return false;
    }
    if (d == 0) {
      empty = true;
      continue;
    }
    if (elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / static_cast<uint64_t>(d)) {
      error = "has more than 2^63-1 elements";
      return false;
    }
    elements *= static_cast<uint64_t>(d);
  }
  const size_t limit = maxTensorBytes();
  if (!empty && elements > limit / itemSize) {
    error = "has " + std::to_string(elements) + " elements of " + std::to_string(itemSize) +
            " bytes, more than this host's memory (" + std::to_string(limit) + " bytes)";
    return false;
  }
  bytes = empty ? 0 : static_cast<size_t>(elements) * itemSize;
  return true;
}

int64_t NpyArray::elementCount() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool parseNpy(const uint8_t* bytes, size_t size, NpyArray& out, std::string& error) {
  MemorySource in(bytes, size);
  return decode(in, out, error);
}

bool readNpy(const std::string& path, NpyArray& out, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  FileSource in(fd);
  if (!decode(in, out, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

std::vector<uint8_t> encodeNpy(const NpyArray& array) {
  std::string dict = std::string("{'descr': '") + npyDescr(array.dtype) +
                     "', 'fortran_order': False, 'shape': " + shapeText(array.shape) + ", }";
  // Magic, version, length field, dict, padding and '\n' total a multiple of 64.
  size_t prefix = kMagicSize + 2 + 2;
  const bool v2 = dict.size() + 1 + prefix + 63 > 0xFFFF;
  if (v2) prefix += 2;
  const size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict += '\n';

  std::vector<uint8_t> out(kMagic, kMagic + kMagicSize);
  out.push_back(v2 ? 2 : 1);
  out.push_back(0);
  const size_t len = dict.size();
  out.push_back(len & 0xFF);
  out.push_back((len >> 8) & 0xFF);
  if (v2) {
    out.push_back((len >> 16) & 0xFF);
    out.push_back((len >> 24) & 0xFF);
  }
  out.insert(out.end(), dict.begin(), dict.end());
  out.insert(out.end(), array.data.begin(), array.data.end());
  return out;
}

bool writeNpy(const std::string& path, const NpyArray& array, std::string& error) {
  const std::vector<uint8_t> bytes = encodeNpy(array);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    error = path + ": cannot write: " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace hexmoe::tools
