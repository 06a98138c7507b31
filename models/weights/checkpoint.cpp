// A Hugging Face checkpoint directory: one safetensors file or an index of
// shards.
#include "models/weights/checkpoint.h"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace hexmoe::weights {
namespace {

using json = nlohmann::json;

constexpr const char* kIndexName = "model.safetensors.index.json";
constexpr const char* kSingleName = "model.safetensors";
/// Far above any real index (DeepSeek-V3's is under 10 MB).
constexpr uint64_t kMaxIndexBytes = 256ull << 20;

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

/// Why a shard name may not be opened, or "" when it may: shards sit in the
/// checkpoint's directory tree, never outside it.
std::string badShardName(const std::string& shard) {
  if (shard.empty()) return "is empty";
  if (shard[0] == '/') return "is an absolute path";
  if (shard.find('\0') != std::string::npos) return "holds a NUL byte";
  std::stringstream parts(shard);
  std::string part;
  while (std::getline(parts, part, '/'))
    if (part == "..") return "has a '..' component";
  return "";
}

StatusOr<std::string> readSmallFile(const std::string& path, uint64_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound(path + ": cannot be read");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return invalidArgument(path + ": cannot be read");
  if (static_cast<uint64_t>(size) > limit)
    return invalidArgument(path + ": " + std::to_string(size) + " bytes, over the limit of " + std::to_string(limit));
  in.seekg(0);
  std::string text(static_cast<size_t>(size), '\0');
  if (!in.read(text.data(), size)) return invalidArgument(path + ": read failed");
  return text;
}

}  // namespace

StatusOr<std::map<std::string, std::string>> parseSafetensorsIndex(const std::string& text,
                                                                   const std::string& file) {
  auto bad = [&](const std::string& what) { return invalidArgument(file + ": " + what); };
  std::set<std::string> seen;
  std::string duplicate;
  bool inWeightMap = false;
  json::parser_callback_t onEvent = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1)
      inWeightMap = parsed.get_ref<const std::string&>() == "weight_map";
    if (event == json::parse_event_t::key && depth == 2 && inWeightMap && duplicate.empty() &&
        !seen.insert(parsed.get_ref<const std::string&>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  const json index = json::parse(text, onEvent, /*allow_exceptions=*/false);
  if (index.is_discarded()) return bad("not valid JSON");
  if (!index.is_object()) return bad("not a JSON object");
  if (!duplicate.empty()) return bad("weight_map lists tensor '" + duplicate + "' twice");
  auto map = index.find("weight_map");
  if (map == index.end() || !map->is_object()) return bad("no \"weight_map\" object");
  std::map<std::string, std::string> out;
  for (const auto& [name, shard] : map->items()) {
    if (!shard.is_string()) return bad("weight_map: tensor '" + name + "': the shard is not a string");
    const std::string s = shard.get<std::string>();
    const std::string why = badShardName(s);
    if (!why.empty()) return bad("weight_map: tensor '" + name + "': shard name '" + s + "' " + why);
    out[name] = s;
  }
  return out;
}

StatusOr<std::unique_ptr<Checkpoint>> Checkpoint::open(const std::string& dir) {
  std::unique_ptr<Checkpoint> ckpt(new Checkpoint(dir));
  const std::string indexPath = dir + "/" + kIndexName;
  if (!exists(indexPath)) {
    const std::string single = dir + "/" + kSingleName;
    if (!exists(single))
      return notFound(dir + ": no " + kIndexName + " and no " + kSingleName + " (not a safetensors checkpoint?)");
    auto file = SafetensorsFile::open(single);
    if (!file.ok()) return std::move(file).status();
    ckpt->shards_.push_back(std::move(*file));
    for (const TensorInfo& t : ckpt->shards_.back()->tensors())
      ckpt->tensors_[t.name] = {&t, ckpt->shards_.back().get()};
    return ckpt;
  }

  auto text = readSmallFile(indexPath, kMaxIndexBytes);
  if (!text.ok()) return std::move(text).status();
  auto weightMap = parseSafetensorsIndex(*text, indexPath);
  if (!weightMap.ok()) return std::move(weightMap).status();

  // Open each shard once, in name order, noting one tensor that needs it.
  std::map<std::string, std::string> firstUser;
  for (const auto& [name, shard] : *weightMap) firstUser.emplace(shard, name);
  std::map<std::string, const SafetensorsFile*> byShard;
  for (const auto& [shard, user] : firstUser) {
    const std::string path = dir + "/" + shard;
    if (!exists(path))
      return notFound(indexPath + ": shard '" + shard + "' (holding tensor '" + user + "') is missing from " + dir);
    auto file = SafetensorsFile::open(path);
    if (!file.ok()) return std::move(file).status();
    ckpt->shards_.push_back(std::move(*file));
    byShard[shard] = ckpt->shards_.back().get();
  }
  for (const auto& [shard, file] : byShard) {
    for (const TensorInfo& t : file->tensors()) {
      auto listed = weightMap->find(t.name);
      if (listed == weightMap->end())
        return invalidArgument(file->path() + ": tensor '" + t.name + "' is not listed in " + indexPath);
      if (listed->second != shard)
        return invalidArgument(indexPath + ": tensor '" + t.name + "' is held by shard '" + shard +
                               "', but the index puts it in shard '" + listed->second + "'");
      ckpt->tensors_[t.name] = {&t, file};
    }
  }
  for (const auto& [name, shard] : *weightMap)
    if (!ckpt->tensors_.count(name))
      return invalidArgument(indexPath + ": tensor '" + name + "' is listed in shard '" + shard +
                             "', which does not hold it");
  return ckpt;
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, t] : tensors_) out.push_back(name);
  return out;
}

const CheckpointTensor* Checkpoint::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

StatusOr<const CheckpointTensor*> Checkpoint::require(const std::string& name) const {
  const CheckpointTensor* t = find(name);
  if (!t) return notFound(dir_ + ": the checkpoint has no tensor '" + name + "'");
  return t;
}

}  // namespace hexmoe::weights
