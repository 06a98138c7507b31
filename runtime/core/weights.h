// A module's weights: the checkpoint tensors its artifact refers to (mapped
// from the safetensors files, checked against their SHA-256) or carries,
// and each one's buffer on every device that binds it. A weight read from a
// file mapping (the checkpoint's, or a mapped artifact's embedded data) is
// copied once into aligned host memory (experts stacked from their
// per-expert tensors) and its mapped pages are dropped, so it is resident
// once; embedded weights of an artifact loaded from memory stay in place. Kernels read anonymous memory much faster than file mappings in
// prefill on some hosts (measured: 6.6x for a quarter-size Mixtral layer's
// 64-token prefill read from an embedded artifact; docs/benchmarks.md).
#ifndef HEXMOE_RUNTIME_CORE_WEIGHTS_H_
#define HEXMOE_RUNTIME_CORE_WEIGHTS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/base/status.h"
#include "runtime/core/hal/buffer.h"

namespace hexmoe::schema {
struct Artifact;
}
namespace hexmoe::hal {
class Device;
}

namespace hexmoe {

struct ModuleOptions {
  /// Where referenced checkpoint files are; empty: the directory the
  /// artifact recorded at compile time.
  std::string weightsDir;
  /// Checks each referenced tensor's SHA-256 at load (reads every byte once).
  bool verifyWeights = true;
};

class WeightStore {
 public:
  /// Maps every file the artifact's weights refer to and checks each range
  /// (and, with verifyWeights, each checksum). `what` names the artifact.
  /// `artifactMapped`: the artifact is a file mapping, so the pages of its
  /// embedded weights may be dropped once copied.
  static StatusOr<std::unique_ptr<WeightStore>> open(const schema::Artifact& artifact, const std::string& what,
                                                     const ModuleOptions& options, size_t deviceCount,
                                                     bool artifactMapped);
  ~WeightStore();

  size_t size() const { return weights_.size(); }
  /// The checkpoint directory weights come from (or came from, for embedded
  /// ones); "" when the artifact names none.
  const std::string& directory() const { return directory_; }
  const std::string& name(size_t w) const { return weights_[w].name; }
  /// The host bytes of weight `w` (its aligned copy, or in the artifact).
  const uint8_t* bytes(size_t w) const { return weights_[w].bytes; }
  size_t byteSize(size_t w) const { return weights_[w].size; }
  /// Weight `w`'s buffer on `device` (runtime device `deviceIndex`), made at
  /// first use: host memory bound in place where the device addresses it
  /// and it is aligned for kernels, else a copy in the device's memory.
  StatusOr<const hal::Buffer*> buffer(size_t w, hal::Device& device, size_t deviceIndex);

 private:
  struct Mapping {
    const uint8_t* data = nullptr;
    size_t size = 0;
    std::string path;
  };
  struct Entry {
    std::string name;
    const uint8_t* bytes = nullptr;
    size_t size = 0;
  };
  WeightStore() = default;

  std::string directory_;
  std::vector<Mapping> mappings_;
  /// Host copies of weights made of several pieces.
  std::vector<std::unique_ptr<uint8_t, void (*)(void*)>> copies_;
  std::vector<Entry> weights_;
  std::mutex mutex_;
  std::vector<std::vector<std::unique_ptr<hal::Buffer>>> buffers_;  // by device, then weight
};

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_CORE_WEIGHTS_H_
