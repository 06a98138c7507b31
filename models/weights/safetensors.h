// The safetensors format: an 8-byte little-endian header length N, N bytes
// of UTF-8 JSON mapping tensor names to {dtype, shape, data_offsets} (plus an
// optional "__metadata__" object of strings), then the tensors' bytes.
//
// This is a parser of untrusted files. parseSafetensorsHeader checks every
// length, offset and count before use and refuses, each with its own message
// naming the file and the tensor: a file shorter than 8 bytes, a header
// length over kMaxHeaderBytes or past the end of the file, a header that is
// not UTF-8 or not JSON or not an object of objects, duplicate names, an
// unknown dtype, shapes with negative, fractional or overflowing dims,
// offsets that are out of bounds, reversed, overlapping, leave holes or do
// not match shape x dtype (the rules of the safetensors library itself).
#ifndef HEXMOE_MODELS_WEIGHTS_SAFETENSORS_H_
#define HEXMOE_MODELS_WEIGHTS_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/weights/dtype.h"
#include "models/weights/mapped_file.h"
#include "runtime/base/status.h"

namespace hexmoe::weights {

/// The safetensors library's own cap on the JSON header (100 MB).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

/// One tensor of a safetensors file, as its header describes it.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  /// Byte range in the file (the header's data_offsets plus 8 + N).
  uint64_t offset = 0;
  uint64_t byteSize = 0;

  int64_t elementCount() const;
  /// "[2, 3] BF16"
  std::string describe() const;
};

/// A parsed header: the tensors in file order (by offset) and the metadata.
struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
  /// 8 + N: where the data section begins.
  uint64_t dataOffset = 0;
};

/// Parses and checks the header of a safetensors file of `size` bytes whose
/// first bytes are `data` (the whole file, or at least its first 8 + N
/// bytes when `size` says how long the file is). `file` names it in errors.
StatusOr<SafetensorsHeader> parseSafetensorsHeader(const uint8_t* data, size_t available, uint64_t size,
                                                   const std::string& file);

/// A memory-mapped safetensors file.
class SafetensorsFile {
 public:
  static StatusOr<std::unique_ptr<SafetensorsFile>> open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  /// The tensor called `name`, or null.
  const TensorInfo* find(const std::string& name) const;
  /// The tensor's bytes, inside the mapping (valid while this file lives).
  const uint8_t* bytes(const TensorInfo& t) const { return file_->data() + t.offset; }

 private:
  SafetensorsFile(std::unique_ptr<MappedFile> file, SafetensorsHeader header);

  std::unique_ptr<MappedFile> file_;
  SafetensorsHeader header_;
  std::map<std::string, size_t> byName_;
};

}  // namespace hexmoe::weights

#endif  // HEXMOE_MODELS_WEIGHTS_SAFETENSORS_H_
