// hexmoe-run's text generation: the prefill and decode loop over an
// artifact compiled from a model directory (its `forward` function and the
// KV caches it keeps), greedy or sampled, with the model's tokenizer.
#ifndef HEXMOE_TOOLS_HEXMOE_RUN_GENERATE_H_
#define HEXMOE_TOOLS_HEXMOE_RUN_GENERATE_H_

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "hexmoe/hexmoe.h"

namespace hexmoe::tools {

struct GenerateOptions {
  bool textPrompt = false;
  std::string prompt;              // with textPrompt
  std::vector<int32_t> promptIds;  // otherwise
  int maxNewTokens = 16;
  double temperature = 0;          // 0: greedy
  int topK = 0;                    // 0: all
  double topP = 1.0;
  uint64_t seed = 0;
  std::string dumpLogits;          // "" or a .npy path
  std::string tokenizerPath;       // "": tokenizer.json beside the checkpoint
  int64_t eosId = -2;              // -2: from the checkpoint's config; -1: none
  bool printIds = false;           // print ids even when there is a tokenizer
  /// Called with `forward` after the run when set: the decode steps were
  /// profiled (hexmoe_function_set_profiling), the prefill not.
  std::function<void(const hexmoe_function_t*)> printDecodeProfile;
};

/// A failure with its message; hexmoe-run prints it and exits with 1.
struct GenerateError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Runs prompt + max_new_tokens through `forward` of `module` on its default
/// device, prints the generated text (or ids) and the prefill and decode
/// speeds to stdout. Throws GenerateError.
void generate(hexmoe_runtime_t* runtime, hexmoe_module_t* module, const GenerateOptions& options);

/// "1,15,27" → ids; throws GenerateError naming the bad entry.
std::vector<int32_t> parseIds(const std::string& text);

}  // namespace hexmoe::tools

#endif  // HEXMOE_TOOLS_HEXMOE_RUN_GENERATE_H_
