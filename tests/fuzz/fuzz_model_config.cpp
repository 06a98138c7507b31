// Fuzz target: config.json. A config that parses is consistent (heads,
// routing groups, layer kinds), and its tensor manifest can be built.
#include <cstdint>
#include <string>

#include "models/config/tensor_manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hexmoe::models;
  auto c = parseModelConfig(std::string(reinterpret_cast<const char*>(data), size), "config.json");
  if (!c.ok()) {
    if (c.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (c->numHeads % c->numKvHeads != 0 || c->topK > c->numExperts || c->numExperts % c->nGroup != 0 ||
      c->topkGroup * (c->numExperts / c->nGroup) < c->topK ||
      static_cast<int64_t>(c->moeLayers.size()) != c->numLayers)
    __builtin_trap();
  // Manifests of real sizes are millions of names: build the small ones.
  if (c->numLayers * (c->numExperts + 8) <= 20000) {
    for (ExpertLayout layout : {ExpertLayout::kPerExpert, ExpertLayout::kPacked}) {
      for (const ExpectedTensor& t : expectedTensors(*c, {layout, "mlp"}))
        for (int64_t d : t.shape)
          if (d < 0) __builtin_trap();
    }
  }
  return 0;
}
