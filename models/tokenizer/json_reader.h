// Checked access to the fields of an untrusted tokenizer.json. Every error
// names the file and the JSON path of the offending value, as
// `tokenizer.json: pre_tokenizer.pretokenizers[1]: unsupported type "X"`,
// and every object is checked for keys this reader does not know, so an
// option it would not honour is refused rather than silently ignored.
#ifndef HEXMOE_MODELS_TOKENIZER_JSON_READER_H_
#define HEXMOE_MODELS_TOKENIZER_JSON_READER_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/base/status.h"

namespace hexmoe::tokenizer {

using json = nlohmann::json;

/// How deep Sequence components may nest: real files use one level.
constexpr int kMaxComponentDepth = 8;

/// "a" + "b" -> "a.b"; index("a", 2) -> "a[2]".
std::string childPath(const std::string& path, const std::string& key);
std::string indexPath(const std::string& path, size_t i);

class JsonReader {
 public:
  explicit JsonReader(std::string file) : file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  /// "<file>: <path>: <what>" (or "<file>: <what>" at the root).
  Status error(const std::string& path, const std::string& what) const;

  /// `j` is an object whose keys are all in `known` (plus "type").
  Status object(const json& j, const std::string& path, std::initializer_list<const char*> known) const;
  /// The "type" string of the component object at `path`.
  StatusOr<std::string> type(const json& j, const std::string& path) const;
  /// `obj[key]` as a string; absent or null is an error unless `fallback`.
  StatusOr<std::string> string(const json& obj, const std::string& path, const char* key,
                               std::optional<std::string> fallback = std::nullopt) const;
  /// `obj[key]` as a string, or nullopt when absent or null.
  StatusOr<std::optional<std::string>> optionalString(const json& obj, const std::string& path,
                                                      const char* key) const;
  StatusOr<bool> boolean(const json& obj, const std::string& path, const char* key,
                         std::optional<bool> fallback = std::nullopt) const;
  /// `obj[key]` as an integer in [lo, hi].
  StatusOr<int64_t> integer(const json& obj, const std::string& path, const char* key, int64_t lo, int64_t hi,
                            std::optional<int64_t> fallback = std::nullopt) const;
  /// `obj[key]` as a JSON array (absent or null is an error).
  StatusOr<const json*> array(const json& obj, const std::string& path, const char* key) const;

  /// "a string", "an array", ... for messages.
  static std::string describe(const json& j);

 private:
  std::string file_;
};

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_JSON_READER_H_
