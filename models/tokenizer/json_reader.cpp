// Checked access to tokenizer.json fields.
#include "models/tokenizer/json_reader.h"

#include <cstring>

namespace hexmoe::tokenizer {

std::string childPath(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string indexPath(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

Status JsonReader::error(const std::string& path, const std::string& what) const {
  return invalidArgument(file_ + ": " + (path.empty() ? "" : path + ": ") + what);
}

std::string JsonReader::describe(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "the integer " + j.dump();
    case json::value_t::number_float: return "the number " + j.dump();
    default: return "something else";
  }
}

Status JsonReader::object(const json& j, const std::string& path, std::initializer_list<const char*> known) const {
  if (!j.is_object()) return error(path, "expected an object, found " + describe(j));
  for (const auto& item : j.items()) {
    const std::string& key = item.key();
    if (key == "type") continue;
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found) return error(path, "unsupported option \"" + key + "\"");
  }
  return okStatus();
}

StatusOr<std::string> JsonReader::type(const json& j, const std::string& path) const {
  if (!j.is_object()) return error(path, "expected an object, found " + describe(j));
  auto it = j.find("type");
  if (it == j.end()) return error(path, "no \"type\"");
  if (!it->is_string()) return error(childPath(path, "type"), "expected a string, found " + describe(*it));
  return it->get<std::string>();
}

StatusOr<std::string> JsonReader::string(const json& obj, const std::string& path, const char* key,
                                         std::optional<std::string> fallback) const {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (fallback) return *fallback;
    return error(path, std::string("no \"") + key + "\" string");
  }
  if (!it->is_string()) return error(childPath(path, key), "expected a string, found " + describe(*it));
  return it->get<std::string>();
}

StatusOr<std::optional<std::string>> JsonReader::optionalString(const json& obj, const std::string& path,
                                                                const char* key) const {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return error(childPath(path, key), "expected a string or null, found " + describe(*it));
  return std::optional<std::string>(it->get<std::string>());
}

StatusOr<bool> JsonReader::boolean(const json& obj, const std::string& path, const char* key,
                                   std::optional<bool> fallback) const {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (fallback) return *fallback;
    return error(path, std::string("no \"") + key + "\" boolean");
  }
  if (!it->is_boolean()) return error(childPath(path, key), "expected a boolean, found " + describe(*it));
  return it->get<bool>();
}

StatusOr<int64_t> JsonReader::integer(const json& obj, const std::string& path, const char* key, int64_t lo,
                                      int64_t hi, std::optional<int64_t> fallback) const {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (fallback) return *fallback;
    return error(path, std::string("no \"") + key + "\" integer");
  }
  const std::string where = childPath(path, key);
  int64_t v;
  if (it->is_number_unsigned()) {
    const uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) return error(where, it->dump() + " is out of range [" + std::to_string(lo) +
                                                              ", " + std::to_string(hi) + "]");
    v = static_cast<int64_t>(u);
  } else if (it->is_number_integer()) {
    v = it->get<int64_t>();
  } else {
    return error(where, "expected an integer, found " + describe(*it));
  }
  if (v < lo || v > hi)
    return error(where, std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                            "]");
  return v;
}

StatusOr<const json*> JsonReader::array(const json& obj, const std::string& path, const char* key) const {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return error(path, std::string("no \"") + key + "\" array");
  if (!it->is_array()) return error(childPath(path, key), "expected an array, found " + describe(*it));
  return &*it;
}

}  // namespace hexmoe::tokenizer
