// A read-only memory mapping of a whole file: checkpoints are read in place,
// never copied (the page cache holds them once, however many tensors are
// read, and pages never touched are never read from disk).
#ifndef HEXMOE_MODELS_WEIGHTS_MAPPED_FILE_H_
#define HEXMOE_MODELS_WEIGHTS_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/base/status.h"

namespace hexmoe::weights {

class MappedFile {
 public:
  /// Maps `path`; a missing file is NotFound, anything else that fails
  /// names the call and errno.
  static StatusOr<std::unique_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  MappedFile(std::string path, const uint8_t* data, uint64_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t* data_;
  uint64_t size_;
};

}  // namespace hexmoe::weights

#endif  // HEXMOE_MODELS_WEIGHTS_MAPPED_FILE_H_
