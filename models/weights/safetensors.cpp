// The safetensors reader: header checks, then a memory-mapped file.
#include "models/weights/safetensors.h"

#include <algorithm>
#include <cstring>
#include <set>

#include <nlohmann/json.hpp>

#include "runtime/base/utf8.h"

namespace hexmoe::weights {
namespace {

using json = nlohmann::json;

/// A JSON number that is a non-negative integer, as uint64.
bool asUnsigned(const json& v, uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

}  // namespace

int64_t TensorInfo::elementCount() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorInfo::describe() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "] " + dtypeName(dtype);
}

StatusOr<SafetensorsHeader> parseSafetensorsHeader(const uint8_t* data, size_t available, uint64_t size,
                                                   const std::string& file) {
  auto bad = [&](const std::string& what) { return invalidArgument(file + ": " + what); };
  if (size < 8 || available < 8)
    return bad("the file is " + std::to_string(size) +
               " bytes, shorter than the 8-byte header length a safetensors file starts with");
  uint64_t n;
  std::memcpy(&n, data, sizeof(n));
  if (n > kMaxHeaderBytes)
    return bad("the header length is " + std::to_string(n) + " bytes, over the limit of " +
               std::to_string(kMaxHeaderBytes) + " (not a safetensors file, or a corrupt one)");
  if (n > size - 8)
    return bad("the header length is " + std::to_string(n) + " bytes, past the end of the " +
               std::to_string(size) + "-byte file (truncated?)");
  if (available - 8 < n) return bad("the header is not in memory (internal: pass the first 8 + N bytes)");
  const uint8_t* text = data + 8;
  const size_t bad8 = firstInvalidUtf8(std::string_view(reinterpret_cast<const char*>(text), n));
  if (bad8 != n) return bad("the header is not valid UTF-8 (byte " + std::to_string(8 + bad8) + ")");

  // nlohmann keeps the last of duplicate keys silently; a callback sees each.
  std::set<std::string> names, entryKeys;
  std::string lastName, duplicate;
  json::parser_callback_t onEvent = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start && depth == 1) entryKeys.clear();
    if (event == json::parse_event_t::key && duplicate.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (depth == 1) {
        lastName = key;
        if (!names.insert(key).second) duplicate = "the name '" + key + "' appears twice";
      } else if (depth == 2 && !entryKeys.insert(key).second) {
        duplicate = "tensor '" + lastName + "': the key '" + key + "' appears twice";
      }
    }
    return true;
  };
  const json header = json::parse(text, text + n, onEvent, /*allow_exceptions=*/false);
  if (header.is_discarded()) return bad("the header is not valid JSON");
  if (!duplicate.empty()) return bad(duplicate);
  if (!header.is_object()) return bad("the header is not a JSON object");

  SafetensorsHeader out;
  out.dataOffset = 8 + n;
  const uint64_t dataSize = size - out.dataOffset;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) return bad("__metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) return bad("__metadata__ '" + key + "' is not a string");
        out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "': ";
    if (name.empty()) return bad("a tensor has an empty name");
    if (!entry.is_object()) return bad(where + "its entry is not an object");
    TensorInfo t;
    t.name = name;
    auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string()) return bad(where + "no \"dtype\" string");
    auto parsed = parseDType(dtype->get<std::string>());
    if (!parsed)
      return bad(where + "unknown dtype '" + dtype->get<std::string>() + "' (known: " + knownDTypeNames() + ")");
    t.dtype = *parsed;
    auto shape = entry.find("shape");
    if (shape == entry.end() || !shape->is_array()) return bad(where + "no \"shape\" array");
    uint64_t elements = 1;
    for (const json& d : *shape) {
      uint64_t dim;
      if (!asUnsigned(d, dim) || dim > static_cast<uint64_t>(INT64_MAX))
        return bad(where + "shape " + shape->dump() + " has a dim that is not a non-negative integer");
      if (__builtin_mul_overflow(elements, dim, &elements))
        return bad(where + "shape " + shape->dump() + " overflows 64 bits");
      t.shape.push_back(static_cast<int64_t>(dim));
    }
    uint64_t bytes;
    if (__builtin_mul_overflow(elements, static_cast<uint64_t>(dtypeSize(t.dtype)), &bytes) ||
        elements > static_cast<uint64_t>(INT64_MAX))
      return bad(where + "shape " + shape->dump() + " x " + dtypeName(t.dtype) + " overflows 64 bits");
    auto offsets = entry.find("data_offsets");
    uint64_t begin, end;
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 || !asUnsigned((*offsets)[0], begin) ||
        !asUnsigned((*offsets)[1], end))
      return bad(where + "\"data_offsets\" is not a pair of non-negative integers");
    if (end < begin)
      return bad(where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] end before they begin");
    if (end > dataSize)
      return bad(where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                 "] reach past the end of the data (" + std::to_string(dataSize) + " bytes)");
    if (end - begin != bytes)
      return bad(where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] hold " +
                 std::to_string(end - begin) + " bytes, but " + t.describe() + " needs " + std::to_string(bytes));
    t.offset = out.dataOffset + begin;
    t.byteSize = bytes;
    out.tensors.push_back(std::move(t));
  }

  // The data section is the tensors back to back, in offset order, with no
  // holes, overlaps or trailing bytes (as the safetensors library checks).
  std::sort(out.tensors.begin(), out.tensors.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.byteSize < b.byteSize;
  });
  uint64_t next = out.dataOffset;
  const TensorInfo* previous = nullptr;
  for (const TensorInfo& t : out.tensors) {
    if (t.offset < next)
      return bad("tensor '" + t.name + "': its bytes overlap those of tensor '" + previous->name + "'");
    if (t.offset > next)
      return bad("tensor '" + t.name + "': " + std::to_string(t.offset - next) + " unused bytes before it" +
                 (previous ? " (after tensor '" + previous->name + "')" : std::string(" (at the start of the data)")));
    next = t.offset + t.byteSize;
    previous = &t;
  }
  if (next != size)
    return bad(std::to_string(size - next) + " bytes after the last tensor that no tensor describes");
  return out;
}

SafetensorsFile::SafetensorsFile(std::unique_ptr<MappedFile> file, SafetensorsHeader header)
    : file_(std::move(file)), header_(std::move(header)) {
  for (size_t i = 0; i < header_.tensors.size(); ++i) byName_[header_.tensors[i].name] = i;
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
  auto mapped = MappedFile::open(path);
  if (!mapped.ok()) return std::move(mapped).status();
  const MappedFile& m = **mapped;
  auto header = parseSafetensorsHeader(m.data(), m.size(), m.size(), path);
  if (!header.ok()) return std::move(header).status();
  return std::unique_ptr<SafetensorsFile>(new SafetensorsFile(std::move(*mapped), std::move(*header)));
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : &header_.tensors[it->second];
}

}  // namespace hexmoe::weights
