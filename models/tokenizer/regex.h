// Patterns of the Split pre-tokenizer and the Replace normalizer/decoder:
// a literal string or a regular expression, found left to right without
// overlap the way the tokenizers library finds them.
//
// The library compiles {"Regex": ...} with Oniguruma (Ruby syntax); PCRE2
// with UTF and UCP agrees with it on what these files use: \p{L}, \p{N},
// \p{P}, \s with Unicode meaning, (?i:...), (?!\S), character ranges of
// CJK. Like Oniguruma's Ruby syntax, ^ and $ match at line breaks.
#ifndef HEXMOE_MODELS_TOKENIZER_REGEX_H_
#define HEXMOE_MODELS_TOKENIZER_REGEX_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/tokenizer/json_reader.h"
#include "runtime/base/status.h"

namespace hexmoe::tokenizer {

/// A compiled {"String": ...} or {"Regex": ...} pattern.
class Pattern {
 public:
  /// Reads `obj[key]`, the pattern object at `path`.
  static StatusOr<std::unique_ptr<Pattern>> parse(const json& obj, const std::string& path, const char* key,
                                                  const JsonReader& reader);
  /// Compiles `regex` directly (for tests and built-in patterns).
  static StatusOr<std::unique_ptr<Pattern>> regex(const std::string& regex);
  ~Pattern();

  /// Appends the [begin, end) byte ranges of the matches in `text`
  /// (well-formed UTF-8). An empty match right after the previous match is
  /// skipped, as the Rust onig crate's find_iter does. Fails only when PCRE2
  /// gives up (its match limit), which a pathological pattern can cause.
  Status findAll(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

  bool empty() const { return literal_ && text_.empty(); }

 private:
  Pattern() = default;
  bool literal_ = true;
  std::string text_;
  // PCRE2's types, kept out of this header: the code and a match context
  // holding the match limit (only read while matching, so shared).
  void* code_ = nullptr;
  void* context_ = nullptr;
};

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_REGEX_H_
