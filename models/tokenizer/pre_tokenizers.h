// The "pre_tokenizer" of tokenizer.json: how normalized text is cut into
// the words BPE sees. Supported: Sequence, Split (String or Regex pattern;
// behavior Removed, Isolated, MergedWithPrevious, MergedWithNext,
// Contiguous; invert), ByteLevel (add_prefix_space, trim_offsets,
// use_regex), Digits (individual_digits) and Metaspace (replacement,
// prepend_scheme always/first/never or the older add_prefix_space, split).
#ifndef HEXMOE_MODELS_TOKENIZER_PRE_TOKENIZERS_H_
#define HEXMOE_MODELS_TOKENIZER_PRE_TOKENIZERS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/tokenizer/json_reader.h"
#include "runtime/base/status.h"

namespace hexmoe::tokenizer {

/// One piece of the text on its way to the model: an added token already
/// matched (`addedId` >= 0), or text still to be split and tokenized.
struct Piece {
  std::string text;
  /// Whether the piece begins at offset 0 of the original text, which the
  /// Metaspace "first" prepend scheme asks.
  bool atStart = false;
  int32_t addedId = -1;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  /// Splits (and may rewrite) every piece that is not an added token,
  /// dropping pieces that end up empty, as the library does.
  virtual Status preTokenize(std::vector<Piece>& pieces) const = 0;
};

/// Reads the pre_tokenizer object at `path`; null in the file gives null.
StatusOr<std::unique_ptr<PreTokenizer>> parsePreTokenizer(const json& j, const std::string& path,
                                                          const JsonReader& reader, int depth = 0);

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_PRE_TOKENIZERS_H_
