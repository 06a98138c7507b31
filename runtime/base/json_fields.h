// Checked reading of JSON input files (the scheduler's pools, traces,
// calibrations and plans; models' config.json).
//
// Every error names the file and the JSON path of the offending field, e.g.
// `pool.json: devices[2].memory_gb: expected a positive number, got -4`, so a
// user can fix a hand-written file without reading the source.
#ifndef HEXMOE_RUNTIME_BASE_JSON_FIELDS_H_
#define HEXMOE_RUNTIME_BASE_JSON_FIELDS_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/base/status.h"

namespace hexmoe {

using Json = nlohmann::json;

/// Documents nest no deeper than this (a scheduler plan, the deepest read, needs 6 levels).
/// Checked before parsing, so nothing deeper is ever built or re-serialised.
constexpr int kMaxJsonDepth = 64;
/// Numbers read without a tighter bound of their own: no quantity in the
/// documents read comes near it in its unit (bytes, FLOPs, tokens).
constexpr double kMaxJsonNumber = 1e15;
/// Integers read without a tighter bound: every integer up to here is exact
/// in a double, as JSON numbers are.
constexpr int64_t kMaxJsonInteger = int64_t{1} << 53;

/// Parses `text`; on a syntax error, a number beyond a double's range or
/// nesting deeper than kMaxJsonDepth says where (line and column) in
/// `source`. Never throws.
Status parseJsonText(const std::string& text, const std::string& source, Json* out);

/// Reads a whole file; the error names the path.
StatusOr<std::string> readTextFile(const std::string& path);

/// A short rendering of a value for error messages (long values are cut).
std::string describeJsonValue(const Json& value);

/// `path` + "." + key, or just key at the root.
std::string joinJsonPath(const std::string& path, const std::string& key);
/// `path` + "[index]".
std::string indexJsonPath(const std::string& path, size_t index);

/// The fields of one JSON object, with the file name and path used in errors.
class JsonFields {
 public:
  enum class Range { kAny, kPositive, kNonNegative, kFraction /* (0, 1] */ };

  /// Fails unless `node` is an object.
  static StatusOr<JsonFields> of(const std::string& source, const Json& node,
                                 const std::string& path);

  const Json& json() const { return *object_; }
  const std::string& source() const { return *source_; }
  const std::string& path() const { return path_; }
  bool has(const char* key) const;
  std::string pathOf(const char* key) const { return joinJsonPath(path_, key); }

  /// `source: path: what` as an InvalidArgument status.
  Status error(const std::string& path, const std::string& what) const;
  Status errorAt(const char* key, const std::string& what) const {
    return error(pathOf(key), what);
  }

  // Required fields fail when absent; optional ones leave `*out` untouched.
  // Numbers are finite, in `range` and of magnitude at most `max`; integers
  // are whole numbers in [min_value, max_value], read without truncation.
  Status number(const char* key, double* out, Range range = Range::kAny,
                double max = kMaxJsonNumber) const;
  Status optionalNumber(const char* key, double* out, Range range = Range::kAny,
                        double max = kMaxJsonNumber) const;
  Status integer(const char* key, int64_t* out, int64_t min_value,
                 int64_t max_value = kMaxJsonInteger) const;
  Status optionalInteger(const char* key, int64_t* out, int64_t min_value,
                         int64_t max_value = kMaxJsonInteger) const;
  Status string(const char* key, std::string* out) const;
  Status optionalString(const char* key, std::string* out) const;
  Status optionalBool(const char* key, bool* out) const;
  /// The field's node, which must have the given type (array or object).
  Status child(const char* key, Json::value_t type, const Json** out) const;
  Status optionalChild(const char* key, Json::value_t type, const Json** out) const;

  /// Rejects keys not in `known`, which catches typos such as `memroy_gb`
  /// that would otherwise silently fall back to a default.
  Status onlyKnown(std::initializer_list<const char*> known) const;

 private:
  JsonFields(const std::string* source, const Json* object, std::string path)
      : source_(source), object_(object), path_(std::move(path)) {}

  const std::string* source_;
  const Json* object_;
  std::string path_;
};

/// Checks a number found at `path` against `range` and `max`; shared with
/// array readers.
Status checkJsonNumber(const std::string& source, const std::string& path, const Json& value,
                       JsonFields::Range range, double* out, double max = kMaxJsonNumber);

/// Checks an integer found at `path`: a whole number (an integral float such
/// as 2.0 too) in [min_value, max_value], as int64 so that 4294967297 is not
/// read as 1; shared with array readers.
Status checkJsonInteger(const std::string& source, const std::string& path, const Json& value,
                        int64_t min_value, int64_t max_value, int64_t* out);

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_BASE_JSON_FIELDS_H_
