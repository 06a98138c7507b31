// Value conversion, parsing and printing for hexmoe-run.
#include "tools/hexmoe-run/values.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace hexmoe::tools {
namespace {

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
void append(std::vector<uint8_t>& out, T v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), p, p + sizeof(T));
}

/// Converts one number written as text to `type`, appending its bytes.
bool appendValue(const std::string& text, hexmoe_element_type_t type, std::vector<uint8_t>& out,
                 std::string& error) {
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  if (type == HEXMOE_F32 || type == HEXMOE_BF16) {
    const float v = std::strtof(s, &end);
    if (end == s || *end != '\0') {
      error = "'" + text + "' is not a number";
      return false;
    }
    if (type == HEXMOE_F32) append(out, v);
    else append(out, roundToBf16(v));
    return true;
  }
  const long long v = std::strtoll(s, &end, 10);
  if (end == s || *end != '\0') {
    error = "'" + text + "' is not an integer";
    return false;
  }
  if (errno == ERANGE || (type == HEXMOE_I32 && (v < INT32_MIN || v > INT32_MAX))) {
    error = "'" + text + "' is out of range for " + hexmoe_element_type_name(type);
    return false;
  }
  if (type == HEXMOE_I32) append(out, static_cast<int32_t>(v));
  else append(out, static_cast<int64_t>(v));
  return true;
}

/// Recursive descent over "[[1, 2], [3, 4]]", recording the extent at each
/// depth and insisting that sibling lists agree. Nesting is bounded by
/// kMaxTensorRank, so the recursion is too; the element count is bounded by
/// the text.
class ListParser {
 public:
  ListParser(const std::string& text, hexmoe_element_type_t type, HostTensor& out)
      : s_(text), type_(type), out_(out) {}

  bool parse(std::string& error) {
    if (!parseElement(0, error)) return false;
    skipSpace();
    if (i_ != s_.size()) {
      error = "unexpected '" + s_.substr(i_, 10) + "' after the values";
      return false;
    }
    out_.shape.assign(extents_.begin(), extents_.end());
    return true;
  }

 private:
  void skipSpace() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }

  bool parseElement(size_t depth, std::string& error) {
    skipSpace();
    if (i_ < s_.size() && s_[i_] == '[') {
      if (leafDepth_ >= 0 && static_cast<int>(depth) >= leafDepth_) {
        error = "ragged nesting: lists and numbers mixed at one depth";
        return false;
      }
      if (depth >= kMaxTensorRank) {
        error = "lists nested deeper than " + std::to_string(kMaxTensorRank) + " (the most dimensions a tensor may have)";
        return false;
      }
      ++i_;
      int64_t count = 0;
      skipSpace();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
      } else {
        for (;;) {
          if (!parseElement(depth + 1, error)) return false;
          ++count;
          skipSpace();
          if (i_ < s_.size() && s_[i_] == ',') {
            ++i_;
            continue;
          }
          if (i_ < s_.size() && s_[i_] == ']') {
            ++i_;
            break;
          }
          error = "expected ',' or ']' at '" + s_.substr(i_, 10) + "'";
          return false;
        }
      }
      if (extents_.size() <= depth) {
        extents_.resize(depth + 1, -1);
      }
      if (extents_[depth] >= 0 && extents_[depth] != count) {
        error = "ragged lists: " + std::to_string(count) + " elements where a sibling has " +
                std::to_string(extents_[depth]);
        return false;
      }
      extents_[depth] = count;
      if (count == 0 && leafDepth_ < 0) leafDepth_ = static_cast<int>(depth) + 1;
      return true;
    }
    if (leafDepth_ < 0) leafDepth_ = static_cast<int>(depth);
    if (static_cast<int>(depth) != leafDepth_ || extents_.size() > depth) {
      error = "ragged nesting: lists and numbers mixed at one depth";
      return false;
    }
    size_t start = i_;
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != ']' && !std::isspace(static_cast<unsigned char>(s_[i_])))
      ++i_;
    return appendValue(s_.substr(start, i_ - start), type_, out_.data, error);
  }

  const std::string& s_;
  hexmoe_element_type_t type_;
  HostTensor& out_;
  size_t i_ = 0;
  std::vector<int64_t> extents_;
  int leafDepth_ = -1;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

/// "2x3xf32=1,2,3" and friends. The shape is checked (checkTensorBytes)
/// before any value is read or any memory is reserved.
bool parseTyped(const std::string& text, hexmoe_element_type_t type, HostTensor& out, std::string& error) {
  const size_t eq = text.find('=');
  const std::string spec = text.substr(0, eq);
  const std::vector<std::string> parts = split(spec, 'x');
  const std::string typeName = parts.back();
  if (typeName != hexmoe_element_type_name(type)) {
    error = "expected " + std::string(hexmoe_element_type_name(type)) + " values, got '" + typeName + "'";
    return false;
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string& p = parts[i];
    char* end = nullptr;
    errno = 0;
    const long long extent = std::strtoll(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || errno == ERANGE || extent < 0) {
      error = "bad extent '" + p + "' in '" + spec + "'";
      return false;
    }
    out.shape.push_back(extent);
  }
  const size_t item = hexmoe_element_type_size(type);
  size_t bytes = 0;
  if (!checkTensorBytes(out.shape, item, bytes, error)) {
    error = spec + " " + error;
    return false;
  }
  const size_t count = bytes / item;
  std::vector<std::string> values;
  const std::string body = trim(text.substr(eq + 1));
  if (!body.empty())
    for (const std::string& v : split(body, ',')) values.push_back(trim(v));
  if (values.size() == 1 && count != 1) {
    std::vector<uint8_t> one;
    if (!appendValue(values[0], type, one, error)) return false;
    // Filled by doubling copies: a gigabyte in a few memcpy calls.
    out.data.resize(bytes);
    if (bytes == 0) return true;
    std::memcpy(out.data.data(), one.data(), one.size());
    for (size_t done = one.size(); done < bytes; done *= 2)
      std::memcpy(out.data.data() + done, out.data.data(), std::min(done, bytes - done));
    return true;
  }
  if (values.size() != count) {
    error = text.substr(0, eq) + " takes " + std::to_string(count) + " values (or one to fill it), got " +
            std::to_string(values.size());
    return false;
  }
  for (const std::string& v : values)
    if (!appendValue(v, type, out.data, error)) return false;
  return true;
}

/// Shortest text that reads back as the same number.
std::string numberText(hexmoe_element_type_t type, const uint8_t* p) {
  char buf[64];
  std::to_chars_result r{};
  switch (type) {
    case HEXMOE_F32:
    case HEXMOE_BF16:
    case HEXMOE_F16:
    case HEXMOE_F8E4M3: {
      const float v = type == HEXMOE_F32    ? load<float>(p)
                      : type == HEXMOE_BF16 ? bf16ToFloat(load<uint16_t>(p))
                      : type == HEXMOE_F16  ? static_cast<float>(load<_Float16>(p))
                                            : e4m3ToFloat(*p);
      if (std::isnan(v)) return "nan";
      if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
      r = std::to_chars(buf, buf + sizeof(buf), v);
      break;
    }
    case HEXMOE_I32: r = std::to_chars(buf, buf + sizeof(buf), load<int32_t>(p)); break;
    case HEXMOE_I64: r = std::to_chars(buf, buf + sizeof(buf), load<int64_t>(p)); break;
    case HEXMOE_I8: r = std::to_chars(buf, buf + sizeof(buf), static_cast<int>(static_cast<int8_t>(*p))); break;
  }
  return std::string(buf, r.ptr);
}

class Printer {
 public:
  Printer(hexmoe_element_type_t type, const std::vector<int64_t>& shape, const uint8_t* data, bool summarize,
          int64_t edge)
      : type_(type), shape_(shape), data_(data), summarize_(summarize), edge_(edge),
        item_(hexmoe_element_type_size(type)) {}

  std::string print() {
    if (shape_.empty()) return numberText(type_, data_);
    std::string out;
    size_t column = 0;
    printDim(out, 0, 0, column);
    return out;
  }

 private:
  int64_t stride(size_t dim) const {
    int64_t s = 1;
    for (size_t d = dim + 1; d < shape_.size(); ++d) s *= shape_[d];
    return s;
  }

  void printDim(std::string& out, size_t dim, int64_t offset, size_t& column) {
    const size_t rank = shape_.size();
    const int64_t n = shape_[dim];
    const bool cut = summarize_ && n > 2 * edge_;
    out += '[';
    ++column;
    for (int64_t i = 0; i < n; ++i) {
      if (cut && i == edge_) {
        appendItem(out, "...", dim, column);
        i = n - edge_ - 1;
        continue;
      }
      if (dim + 1 == rank) {
        appendItem(out, numberText(type_, data_ + (offset + i) * item_), dim, column);
      } else {
        if (i > 0) separator(out, dim, column);
        printDim(out, dim + 1, offset + i * stride(dim), column);
      }
    }
    out += ']';
    ++column;
  }

  /// Innermost items: ", " between them, wrapping long rows.
  void appendItem(std::string& out, const std::string& text, size_t dim, size_t& column) {
    if (dim + 1 < shape_.size()) {  // "..." between sub-arrays
      separator(out, dim, column);
      out += text;
      column += text.size();
      return;
    }
    if (out.back() != '[') {
      out += ',';
      ++column;
      if (column + 1 + text.size() > kLineWidth) {
        out += '\n' + std::string(shape_.size(), ' ');
        column = shape_.size();
      } else {
        out += ' ';
        ++column;
      }
    }
    out += text;
    column += text.size();
  }

  /// Between sub-arrays of `dim`: a comma, one newline per inner dimension, indent.
  void separator(std::string& out, size_t dim, size_t& column) {
    out += ',';
    out.append(shape_.size() - dim - 1, '\n');
    out.append(dim + 1, ' ');
    column = dim + 1;
  }

  static constexpr size_t kLineWidth = 75;
  hexmoe_element_type_t type_;
  const std::vector<int64_t>& shape_;
  const uint8_t* data_;
  bool summarize_;
  int64_t edge_;
  size_t item_;
};

}  // namespace

uint16_t roundToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  const uint32_t roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + roundingBias) >> 16);
}

float bf16ToFloat(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float v;
  std::memcpy(&v, &wide, 4);
  return v;
}

float e4m3ToFloat(uint8_t bits) {
  const int exponent = (bits >> 3) & 15, mantissa = bits & 7;
  float v = exponent == 0 ? std::ldexp(static_cast<float>(mantissa), -9)
                          : std::ldexp(1.0f + static_cast<float>(mantissa) / 8.0f, exponent - 7);
  if ((bits & 0x7F) == 0x7F) v = std::numeric_limits<float>::quiet_NaN();
  return (bits & 0x80) ? -v : v;
}

bool fromNpy(const NpyArray& array, hexmoe_element_type_t type, HostTensor& out, std::string& error) {
  out.type = type;
  out.shape = array.shape;
  out.data.clear();
  const int64_t n = array.elementCount();
  const uint8_t* p = array.data.data();
  const NpyDType d = array.dtype;
  out.data.reserve(static_cast<size_t>(n) * hexmoe_element_type_size(type));
  switch (type) {
    case HEXMOE_F32:
      if (d == NpyDType::kF4) {
        out.data = array.data;
        return true;
      }
      if (d == NpyDType::kF8) {
        for (int64_t i = 0; i < n; ++i) append(out.data, static_cast<float>(load<double>(p + 8 * i)));
        return true;
      }
      break;
    case HEXMOE_BF16:
      if (d == NpyDType::kU2) {
        out.data = array.data;
        return true;
      }
      if (d == NpyDType::kF4) {
        for (int64_t i = 0; i < n; ++i) append(out.data, roundToBf16(load<float>(p + 4 * i)));
        return true;
      }
      break;
    case HEXMOE_I32:
      if (d == NpyDType::kI4) {
        out.data = array.data;
        return true;
      }
      if (d == NpyDType::kI8) {
        for (int64_t i = 0; i < n; ++i) {
          const int64_t v = load<int64_t>(p + 8 * i);
          if (v < INT32_MIN || v > INT32_MAX) {
            error = "element " + std::to_string(i) + " (" + std::to_string(v) + ") does not fit in i32";
            return false;
          }
          append(out.data, static_cast<int32_t>(v));
        }
        return true;
      }
      break;
    case HEXMOE_I64:
      if (d == NpyDType::kI8) {
        out.data = array.data;
        return true;
      }
      if (d == NpyDType::kI4) {
        for (int64_t i = 0; i < n; ++i) append(out.data, static_cast<int64_t>(load<int32_t>(p + 4 * i)));
        return true;
      }
      break;
    case HEXMOE_F16:
      if (d == NpyDType::kF4) {
        for (int64_t i = 0; i < n; ++i) append(out.data, static_cast<_Float16>(load<float>(p + 4 * i)));
        return true;
      }
      break;
    case HEXMOE_F8E4M3:
    case HEXMOE_I8: break;  // weights only: never read from a file
  }
  static const char* const kAccepted[] = {"<f4 or <f8", "<f4 (rounded) or <u2 (raw bits)", "<i4 or <i8",
                                          "<i8 or <i4"};
  error = std::string("expected ") + hexmoe_element_type_name(type) + ", got " + npyDescr(d) + " (" +
          hexmoe_element_type_name(type) + " arguments take " + kAccepted[type] + ")";
  return false;
}

bool parseValues(const std::string& text, hexmoe_element_type_t type, HostTensor& out, std::string& error) {
  out = HostTensor{type, {}, {}};
  const std::string t = trim(text);
  if (t.empty()) {
    error = "no values";
    return false;
  }
  if (t[0] == '[') return ListParser(t, type, out).parse(error);
  if (t.find('=') != std::string::npos) return parseTyped(t, type, out, error);
  return appendValue(t, type, out.data, error);  // a scalar
}

NpyArray toNpy(hexmoe_element_type_t type, const std::vector<int64_t>& shape, const void* data) {
  NpyArray a;
  a.shape = shape;
  const int64_t n = a.elementCount();
  const auto* p = static_cast<const uint8_t*>(data);
  switch (type) {
    case HEXMOE_F32: a.dtype = NpyDType::kF4; break;
    case HEXMOE_I32: a.dtype = NpyDType::kI4; break;
    case HEXMOE_I64: a.dtype = NpyDType::kI8; break;
    case HEXMOE_BF16:
      a.dtype = NpyDType::kF4;
      for (int64_t i = 0; i < n; ++i) append(a.data, bf16ToFloat(load<uint16_t>(p + 2 * i)));
      return a;
    case HEXMOE_F8E4M3:
      a.dtype = NpyDType::kF4;
      for (int64_t i = 0; i < n; ++i) append(a.data, e4m3ToFloat(p[i]));
      return a;
    case HEXMOE_F16:
      a.dtype = NpyDType::kF4;
      for (int64_t i = 0; i < n; ++i) append(a.data, static_cast<float>(load<_Float16>(p + 2 * i)));
      return a;
    case HEXMOE_I8:
      a.dtype = NpyDType::kI4;
      for (int64_t i = 0; i < n; ++i) append(a.data, static_cast<int32_t>(static_cast<int8_t>(p[i])));
      return a;
  }
  a.data.assign(p, p + n * static_cast<int64_t>(npyItemSize(a.dtype)));
  return a;
}

std::string formatTensor(hexmoe_element_type_t type, const std::vector<int64_t>& shape, const void* data,
                         int64_t threshold, int64_t edgeItems) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  // As numpy prints any empty array, whatever its other extents (walking a
  // [1000000, 0] shape row by row would print nothing, slowly).
  if (n == 0 && !shape.empty()) return "[]";
  return Printer(type, shape, static_cast<const uint8_t*>(data), n > threshold, edgeItems).print();
}

}  // namespace hexmoe::tools
