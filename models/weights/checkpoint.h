// A Hugging Face checkpoint directory's tensors: model.safetensors, or the
// shards model.safetensors.index.json names, each memory-mapped.
//
// The index is untrusted input too. Refused, each naming the file and the
// tensor or shard: an index that is not JSON or has no "weight_map" object,
// a name listed twice, a shard name that is empty, absolute or has a ".."
// component, a shard that is missing, a listed tensor its shard does not
// hold, a tensor held by two shards, and a tensor a shard holds that the
// index does not list.
#ifndef HEXMOE_MODELS_WEIGHTS_CHECKPOINT_H_
#define HEXMOE_MODELS_WEIGHTS_CHECKPOINT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/weights/safetensors.h"
#include "runtime/base/status.h"

namespace hexmoe::weights {

/// model.safetensors.index.json's weight_map: tensor name -> shard file name.
/// `file` names the index in errors.
StatusOr<std::map<std::string, std::string>> parseSafetensorsIndex(const std::string& text,
                                                                   const std::string& file);

/// A tensor of a checkpoint: where it is and its bytes in the mapping.
struct CheckpointTensor {
  const TensorInfo* info;
  const SafetensorsFile* shard;
  const uint8_t* bytes() const { return shard->bytes(*info); }
};

class Checkpoint {
 public:
  /// Opens `dir`: model.safetensors.index.json if present, else
  /// model.safetensors.
  static StatusOr<std::unique_ptr<Checkpoint>> open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  /// Tensor names, sorted.
  std::vector<std::string> names() const;
  size_t size() const { return tensors_.size(); }
  /// The tensor called `name`, or null.
  const CheckpointTensor* find(const std::string& name) const;
  /// The tensor called `name`, or NotFound naming the checkpoint.
  StatusOr<const CheckpointTensor*> require(const std::string& name) const;
  const std::vector<std::unique_ptr<SafetensorsFile>>& shards() const { return shards_; }

 private:
  explicit Checkpoint(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, CheckpointTensor> tensors_;
};

}  // namespace hexmoe::weights

#endif  // HEXMOE_MODELS_WEIGHTS_CHECKPOINT_H_
