// Fuzz target: model.safetensors.index.json. A weight map that parses names
// only shards inside the checkpoint directory.
#include <cstdint>
#include <string>

#include "models/weights/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hexmoe::weights;
  auto map = parseSafetensorsIndex(std::string(reinterpret_cast<const char*>(data), size), "index.json");
  if (!map.ok()) {
    if (map.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (const auto& [name, shard] : *map) {
    if (shard.empty() || shard[0] == '/' || shard == ".." || shard.rfind("../", 0) == 0 ||
        shard.find("/../") != std::string::npos ||
        (shard.size() >= 3 && shard.compare(shard.size() - 3, 3, "/..") == 0))
      __builtin_trap();
  }
  return 0;
}
