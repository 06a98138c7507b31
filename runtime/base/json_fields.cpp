#include "runtime/base/json_fields.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace hexmoe {

/// `source:line:column` of byte `offset` in `text` (both from 1).
static std::string positionIn(const std::string& text, const std::string& source, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return source + ":" + std::to_string(line) + ":" + std::to_string(column);
}

/// The offset of the first bracket (outside strings) that opens a level
/// deeper than kMaxJsonDepth, or npos. nlohmann parses deep input without
/// recursion, but dumping it (into an error message, or to re-parse a
/// nested document) recurses once per level and overflows the stack.
static size_t tooDeepAt(const std::string& text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string::npos;
}

/// nlohmann's message without its "[json.exception.parse_error.101] parse error at ...: " prefix.
static std::string withoutPrefix(const std::string& what) {
  size_t colon = what.find(": ");
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

Status parseJsonText(const std::string& text, const std::string& source, Json* out) {
  size_t deep = tooDeepAt(text);
  if (deep != std::string::npos) {
    return invalidArgument(positionIn(text, source, deep) + ": invalid JSON: nested deeper than " +
                           std::to_string(kMaxJsonDepth) + " levels");
  }
  try {
    *out = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // nlohmann reports a byte offset; people think in lines and columns.
    size_t byte = e.byte == 0 ? 0 : e.byte - 1;
    return invalidArgument(positionIn(text, source, byte) + ": invalid JSON: " + withoutPrefix(e.what()));
  } catch (const Json::exception& e) {
    // A number beyond a double (1e400) is reported without a position, but
    // with the number in quotes: find it in the text.
    if (e.id != 406) return invalidArgument(source + ": invalid JSON: " + withoutPrefix(e.what()));
    std::string what = e.what();
    size_t open = what.find('\''), close = what.rfind('\'');
    std::string number = open != std::string::npos && close > open ? what.substr(open + 1, close - open - 1) : "";
    size_t at = number.empty() ? std::string::npos : text.find(number);
    return invalidArgument((at == std::string::npos ? source : positionIn(text, source, at)) +
                           ": invalid JSON: the number " + number + " is beyond the range of a double");
  }
  return okStatus();
}

StatusOr<std::string> readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound(path + ": cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return invalidArgument(path + ": read error");
  return buffer.str();
}

std::string describeJsonValue(const Json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

std::string joinJsonPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string indexJsonPath(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

StatusOr<JsonFields> JsonFields::of(const std::string& source, const Json& node,
                                    const std::string& path) {
  if (!node.is_object()) {
    return invalidArgument(source + ": " + (path.empty() ? "(top level)" : path) +
                           ": expected an object, got " + describeJsonValue(node));
  }
  return JsonFields(&source, &node, path);
}

bool JsonFields::has(const char* key) const {
  return object_->contains(key) && !(*object_)[key].is_null();
}

Status JsonFields::error(const std::string& path, const std::string& what) const {
  return invalidArgument(*source_ + ": " + (path.empty() ? "(top level)" : path) + ": " + what);
}

/// A bound for messages: 1e+06 reads better than 1000000.000000.
static std::string formatBound(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", v);
  return buffer;
}

Status checkJsonNumber(const std::string& source, const std::string& path, const Json& value,
                       JsonFields::Range range, double* out, double max) {
  const char* expected = "a number";
  switch (range) {
    case JsonFields::Range::kAny: break;
    case JsonFields::Range::kPositive: expected = "a positive number"; break;
    case JsonFields::Range::kNonNegative: expected = "a non-negative number"; break;
    case JsonFields::Range::kFraction: expected = "a number in (0, 1]"; break;
  }
  auto fail = [&](const std::string& what) {
    return invalidArgument(source + ": " + path + ": expected " + what + ", got " + describeJsonValue(value));
  };
  if (!value.is_number()) return fail(expected);
  double v = value.get<double>();
  if (!std::isfinite(v)) return fail(expected);
  switch (range) {
    case JsonFields::Range::kAny: break;
    case JsonFields::Range::kPositive:
      if (!(v > 0)) return fail(expected);
      break;
    case JsonFields::Range::kNonNegative:
      if (!(v >= 0)) return fail(expected);
      break;
    case JsonFields::Range::kFraction:
      if (!(v > 0 && v <= 1)) return fail(expected);
      break;
  }
  if (std::fabs(v) > max) {
    const char* bound = range == JsonFields::Range::kAny ? " of magnitude at most " : " no larger than ";
    return fail(expected + std::string(bound) + formatBound(max));
  }
  *out = v;
  return okStatus();
}

Status checkJsonInteger(const std::string& source, const std::string& path, const Json& value,
                        int64_t min_value, int64_t max_value, int64_t* out) {
  // Read as what JSON holds (int64, uint64 or an integral double), never
  // through a 32-bit or lossy conversion.
  bool whole = false;
  int64_t v = 0;
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    whole = u <= static_cast<uint64_t>(INT64_MAX);
    v = whole ? static_cast<int64_t>(u) : 0;
  } else if (value.is_number_integer()) {
    whole = true;
    v = value.get<int64_t>();
  } else if (value.is_number_float()) {
    double d = value.get<double>();
    whole = std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= static_cast<double>(kMaxJsonInteger);
    v = whole ? static_cast<int64_t>(d) : 0;
  }
  if (!whole || v < min_value || v > max_value) {
    std::string expected = max_value == kMaxJsonInteger ? "an integer >= " + std::to_string(min_value)
                                                        : "an integer from " + std::to_string(min_value) +
                                                              " to " + std::to_string(max_value);
    return invalidArgument(source + ": " + path + ": expected " + expected + ", got " + describeJsonValue(value));
  }
  *out = v;
  return okStatus();
}

Status JsonFields::number(const char* key, double* out, Range range, double max) const {
  if (!has(key)) return errorAt(key, "missing (required)");
  return checkJsonNumber(*source_, pathOf(key), (*object_)[key], range, out, max);
}

Status JsonFields::optionalNumber(const char* key, double* out, Range range, double max) const {
  if (!has(key)) return okStatus();
  return number(key, out, range, max);
}

Status JsonFields::integer(const char* key, int64_t* out, int64_t min_value, int64_t max_value) const {
  if (!has(key)) return errorAt(key, "missing (required)");
  return checkJsonInteger(*source_, pathOf(key), (*object_)[key], min_value, max_value, out);
}

Status JsonFields::optionalInteger(const char* key, int64_t* out, int64_t min_value, int64_t max_value) const {
  if (!has(key)) return okStatus();
  return integer(key, out, min_value, max_value);
}

Status JsonFields::string(const char* key, std::string* out) const {
  if (!has(key)) return errorAt(key, "missing (required)");
  const Json& value = (*object_)[key];
  if (!value.is_string()) return errorAt(key, "expected a string, got " + describeJsonValue(value));
  *out = value.get<std::string>();
  return okStatus();
}

Status JsonFields::optionalString(const char* key, std::string* out) const {
  if (!has(key)) return okStatus();
  return string(key, out);
}

Status JsonFields::optionalBool(const char* key, bool* out) const {
  if (!has(key)) return okStatus();
  const Json& value = (*object_)[key];
  if (!value.is_boolean()) return errorAt(key, "expected true or false, got " + describeJsonValue(value));
  *out = value.get<bool>();
  return okStatus();
}

Status JsonFields::child(const char* key, Json::value_t type, const Json** out) const {
  if (!has(key)) return errorAt(key, "missing (required)");
  return optionalChild(key, type, out);
}

Status JsonFields::optionalChild(const char* key, Json::value_t type, const Json** out) const {
  if (!has(key)) return okStatus();
  const Json& value = (*object_)[key];
  if (value.type() != type) {
    const char* expected = type == Json::value_t::array ? "an array" : "an object";
    return errorAt(key, std::string("expected ") + expected + ", got " + describeJsonValue(value));
  }
  *out = &value;
  return okStatus();
}

Status JsonFields::onlyKnown(std::initializer_list<const char*> known) const {
  for (auto it = object_->begin(); it != object_->end(); ++it) {
    bool found = false;
    for (const char* k : known) found = found || it.key() == k;
    if (!found) {
      std::string list;
      for (const char* k : known) list += std::string(list.empty() ? "" : ", ") + k;
      return error(joinJsonPath(path_, it.key()), "unknown field (known: " + list + ")");
    }
  }
  return okStatus();
}

}  // namespace hexmoe
