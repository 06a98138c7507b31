// The "post_processor" of tokenizer.json: what encode adds around the
// tokens of the text when asked for special tokens. Supported:
// TemplateProcessing (its "single" template: BOS and the like), ByteLevel
// (it changes offsets only, so nothing here), and Sequence of those.
#ifndef HEXMOE_MODELS_TOKENIZER_POST_PROCESSORS_H_
#define HEXMOE_MODELS_TOKENIZER_POST_PROCESSORS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/tokenizer/json_reader.h"
#include "runtime/base/status.h"

namespace hexmoe::tokenizer {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  /// Rewrites the ids of one sequence (only when special tokens are added).
  virtual void process(std::vector<int32_t>& ids) const = 0;
};

/// Reads the post_processor at `path`; template ids must be below `vocabSize`.
StatusOr<std::unique_ptr<PostProcessor>> parsePostProcessor(const json& j, const std::string& path,
                                                            const JsonReader& reader, int64_t vocabSize,
                                                            int depth = 0);

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_POST_PROCESSORS_H_
