// The "normalizer" of tokenizer.json: what the text becomes before it is
// split. Supported: Sequence, NFC, NFD, NFKC, NFKD, Prepend, Replace (a
// String or Regex pattern). Any other type is refused with its JSON path.
#ifndef HEXMOE_MODELS_TOKENIZER_NORMALIZERS_H_
#define HEXMOE_MODELS_TOKENIZER_NORMALIZERS_H_

#include <memory>
#include <string>

#include "models/tokenizer/json_reader.h"
#include "runtime/base/status.h"

namespace hexmoe::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  /// Rewrites `text` (well-formed UTF-8, and so it stays).
  virtual Status normalize(std::string& text) const = 0;
};

/// Reads the normalizer object at `path`; null in the file gives null here.
StatusOr<std::unique_ptr<Normalizer>> parseNormalizer(const json& j, const std::string& path,
                                                      const JsonReader& reader, int depth = 0);

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_NORMALIZERS_H_
