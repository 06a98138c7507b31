// The options of Metaspace, which the pre-tokenizer and the decoder share
// (one serialised form for both, as in the tokenizers library).
#ifndef HEXMOE_MODELS_TOKENIZER_METASPACE_H_
#define HEXMOE_MODELS_TOKENIZER_METASPACE_H_

#include <string>

#include "models/tokenizer/json_reader.h"
#include "runtime/base/status.h"

namespace hexmoe::tokenizer {

enum class PrependScheme { kAlways, kFirst, kNever };

struct MetaspaceOptions {
  /// One character, as UTF-8 ("▁" in every released file).
  std::string replacement;
  PrependScheme prepend = PrependScheme::kAlways;
  bool split = true;
};

/// Reads a Metaspace object: replacement, prepend_scheme ("always",
/// "first", "never"), split, and the older add_prefix_space (false means
/// "never"; it may not contradict prepend_scheme) and str_rep.
StatusOr<MetaspaceOptions> parseMetaspace(const json& j, const std::string& path, const JsonReader& reader);

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_METASPACE_H_
