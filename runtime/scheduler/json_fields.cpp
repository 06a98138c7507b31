#include "runtime/scheduler/json_fields.h"

#include <cmath>
#include <fstream>
#include <sstream>

namespace hexmoe::sched {

Status parseJsonText(const std::string& text, const std::string& source, Json* out) {
  try {
    *out = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // nlohmann reports a byte offset; people think in lines and columns.
    size_t byte = e.byte == 0 ? 0 : e.byte - 1;
    size_t line = 1, column = 1;
    for (size_t i = 0; i < byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at ..." prefix.
    size_t colon = what.find(": ");
    if (colon != std::string::npos) what = what.substr(colon + 2);
    return invalidArgument(source + ":" + std::to_string(line) + ":" +
                           std::to_string(column) + ": invalid JSON: " + what);
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

Status checkJsonNumber(const std::string& source, const std::string& path, const Json& value,
                       JsonFields::Range range, double* out) {
  const char* expected = "a number";
  switch (range) {
    case JsonFields::Range::kAny: break;
    case JsonFields::Range::kPositive: expected = "a positive number"; break;
    case JsonFields::Range::kNonNegative: expected = "a non-negative number"; break;
    case JsonFields::Range::kFraction: expected = "a number in (0, 1]"; break;
  }
  auto fail = [&] {
    return invalidArgument(source + ": " + path + ": expected " + expected + ", got " +
                           describeJsonValue(value));
  };
  if (!value.is_number()) return fail();
  double v = value.get<double>();
  if (!std::isfinite(v)) return fail();
  switch (range) {
    case JsonFields::Range::kAny: break;
    case JsonFields::Range::kPositive:
      if (!(v > 0)) return fail();
      break;
    case JsonFields::Range::kNonNegative:
      if (!(v >= 0)) return fail();
      break;
    case JsonFields::Range::kFraction:
      if (!(v > 0 && v <= 1)) return fail();
      break;
  }
  *out = v;
  return okStatus();
}

Status JsonFields::number(const char* key, double* out, Range range) const {
  if (!has(key)) return errorAt(key, "missing (required)");
  return checkJsonNumber(*source_, pathOf(key), (*object_)[key], range, out);
}

Status JsonFields::optionalNumber(const char* key, double* out, Range range) const {
  if (!has(key)) return okStatus();
  return number(key, out, range);
}

Status JsonFields::integer(const char* key, int64_t* out, int64_t min_value) const {
  if (!has(key)) return errorAt(key, "missing (required)");
  const Json& value = (*object_)[key];
  double v = value.is_number() ? value.get<double>() : NAN;
  // Doubles hold every integer up to 2^53, far beyond any count here.
  if (!std::isfinite(v) || std::floor(v) != v || v < static_cast<double>(min_value) ||
      std::fabs(v) > 9e15) {
    return errorAt(key, "expected an integer >= " + std::to_string(min_value) + ", got " +
                            describeJsonValue(value));
  }
  *out = static_cast<int64_t>(v);
  return okStatus();
}

Status JsonFields::optionalInteger(const char* key, int64_t* out, int64_t min_value) const {
  if (!has(key)) return okStatus();
  return integer(key, out, min_value);
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

}  // namespace hexmoe::sched
