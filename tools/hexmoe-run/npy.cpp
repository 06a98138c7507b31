// NumPy .npy reading and writing.
#include "tools/hexmoe-run/npy.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

namespace hexmoe::tools {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

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
  bool integer(int64_t& out) {
    skipSpace();
    size_t start = i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (start == i_ || i_ - start > 18) return false;
    out = std::stoll(s_.substr(start, i_ - start));
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

int64_t NpyArray::elementCount() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

bool parseNpy(const uint8_t* bytes, size_t size, NpyArray& out, std::string& error) {
  if (size < kMagicSize + 4 || std::memcmp(bytes, kMagic, kMagicSize) != 0) {
    error = "not a .npy file (no \\x93NUMPY magic)";
    return false;
  }
  const int major = bytes[6];
  size_t headerLen, offset;
  if (major == 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) {
      error = "truncated header";
      return false;
    }
    headerLen = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (static_cast<size_t>(bytes[11]) << 24);
    offset = 12;
  } else {
    error = "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(bytes[7]);
    return false;
  }
  if (headerLen > size - offset) {
    error = "truncated header";
    return false;
  }
  const std::string header(reinterpret_cast<const char*>(bytes + offset), headerLen);
  if (!parseHeader(header, out, error)) return false;

  const size_t item = npyItemSize(out.dtype);
  size_t count = 1;
  for (int64_t d : out.shape) {
    if (d < 0 || (d != 0 && count > std::numeric_limits<size_t>::max() / item / static_cast<size_t>(d))) {
      error = "shape " + shapeText(out.shape) + " is too large";
      return false;
    }
    count *= static_cast<size_t>(d);
  }
  const size_t expected = count * item;
  const size_t available = size - offset - headerLen;
  if (available != expected) {
    error = std::string(available < expected ? "truncated" : "trailing bytes") + ": " + npyDescr(out.dtype) + " " +
            shapeText(out.shape) + " needs " + std::to_string(expected) + " data bytes, the file has " +
            std::to_string(available);
    return false;
  }
  out.data.assign(bytes + offset + headerLen, bytes + size);
  return true;
}

bool readNpy(const std::string& path, NpyArray& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!parseNpy(bytes.data(), bytes.size(), out, error)) {
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
