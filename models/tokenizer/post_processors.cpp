// Post-processors.
#include "models/tokenizer/post_processors.h"

#include <map>

namespace hexmoe::tokenizer {
namespace {

class SequenceProcessor : public PostProcessor {
 public:
  explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
  void process(std::vector<int32_t>& ids) const override {
    for (const auto& p : parts_) p->process(ids);
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

class NoOpProcessor : public PostProcessor {
 public:
  void process(std::vector<int32_t>&) const override {}
};

/// The "single" template: special-token ids and the sequence, in order.
class TemplateProcessor : public PostProcessor {
 public:
  /// Each item is a list of ids, or empty standing for the sequence.
  explicit TemplateProcessor(std::vector<std::vector<int32_t>> items) : items_(std::move(items)) {}
  void process(std::vector<int32_t>& ids) const override {
    std::vector<int32_t> out;
    for (const auto& item : items_) {
      if (item.empty()) {
        out.insert(out.end(), ids.begin(), ids.end());
      } else {
        out.insert(out.end(), item.begin(), item.end());
      }
    }
    ids = std::move(out);
  }

 private:
  std::vector<std::vector<int32_t>> items_;
};

/// One template ({"SpecialToken": ...} / {"Sequence": ...} items); the
/// sequences it may name are "A" (and "B" for a pair).
StatusOr<std::vector<std::vector<int32_t>>> parseTemplate(const json& j, const std::string& path, const char* key,
                                                          bool pair,
                                                          const std::map<std::string, std::vector<int32_t>>& specials,
                                                          const JsonReader& reader) {
  HEXMOE_ASSIGN_OR_RETURN(const json* list, reader.array(j, path, key));
  const std::string listPath = childPath(path, key);
  std::vector<std::vector<int32_t>> items;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    const std::string where = indexPath(listPath, i);
    if (!item.is_object() || item.size() != 1)
      return reader.error(where, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}, found " +
                                     JsonReader::describe(item));
    const std::string kind = item.begin().key();
    const json& body = item.begin().value();
    const std::string bodyPath = childPath(where, kind);
    if (kind != "SpecialToken" && kind != "Sequence")
      return reader.error(where, "unknown template item \"" + kind + "\"");
    HEXMOE_RETURN_IF_ERROR(reader.object(body, bodyPath, {"id", "type_id"}));
    HEXMOE_ASSIGN_OR_RETURN(std::string id, reader.string(body, bodyPath, "id"));
    HEXMOE_RETURN_IF_ERROR(reader.integer(body, bodyPath, "type_id", 0, INT32_MAX, 0).status());
    if (kind == "Sequence") {
      if (id != "A" && !(pair && id == "B"))
        return reader.error(childPath(bodyPath, "id"), "the sequence \"" + id + "\" is not " +
                                                           (pair ? "\"A\" or \"B\"" : "\"A\""));
      items.emplace_back();
    } else {
      auto it = specials.find(id);
      if (it == specials.end())
        return reader.error(childPath(bodyPath, "id"), "\"" + id + "\" is not in special_tokens");
      items.push_back(it->second);
    }
  }
  return items;
}

StatusOr<std::unique_ptr<PostProcessor>> parseTemplateProcessing(const json& j, const std::string& path,
                                                                 const JsonReader& reader, int64_t vocabSize) {
  HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"single", "pair", "special_tokens"}));
  const std::string specialsPath = childPath(path, "special_tokens");
  auto sp = j.find("special_tokens");
  if (sp == j.end() || !sp->is_object()) return reader.error(path, "no \"special_tokens\" object");
  std::map<std::string, std::vector<int32_t>> specials;
  for (const auto& [name, entry] : sp->items()) {
    const std::string where = specialsPath + "[" + json(name).dump() + "]";
    HEXMOE_RETURN_IF_ERROR(reader.object(entry, where, {"id", "ids", "tokens"}));
    HEXMOE_ASSIGN_OR_RETURN(std::string id, reader.string(entry, where, "id"));
    if (id != name) return reader.error(childPath(where, "id"), "\"" + id + "\" differs from its key");
    HEXMOE_ASSIGN_OR_RETURN(const json* ids, reader.array(entry, where, "ids"));
    HEXMOE_ASSIGN_OR_RETURN(const json* tokens, reader.array(entry, where, "tokens"));
    if (ids->empty()) return reader.error(childPath(where, "ids"), "no ids");
    if (ids->size() != tokens->size())
      return reader.error(where, std::to_string(ids->size()) + " ids but " + std::to_string(tokens->size()) +
                                     " tokens");
    std::vector<int32_t> out;
    for (size_t i = 0; i < ids->size(); ++i) {
      const json& v = (*ids)[i];
      const std::string idPath = indexPath(childPath(where, "ids"), i);
      if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0) ||
          (v.is_number_unsigned() && v.get<uint64_t>() >= static_cast<uint64_t>(vocabSize)))
        return reader.error(idPath, v.dump() + " is not an id of the vocab (0.." + std::to_string(vocabSize - 1) + ")");
      out.push_back(static_cast<int32_t>(v.get<int64_t>()));
      if (!(*tokens)[i].is_string())
        return reader.error(indexPath(childPath(where, "tokens"), i), "expected a string");
    }
    specials[name] = std::move(out);
  }
  HEXMOE_ASSIGN_OR_RETURN(auto single, parseTemplate(j, path, "single", false, specials, reader));
  if (j.contains("pair") && !j["pair"].is_null())
    HEXMOE_RETURN_IF_ERROR(parseTemplate(j, path, "pair", true, specials, reader).status());
  return std::unique_ptr<PostProcessor>(new TemplateProcessor(std::move(single)));
}

}  // namespace

StatusOr<std::unique_ptr<PostProcessor>> parsePostProcessor(const json& j, const std::string& path,
                                                            const JsonReader& reader, int64_t vocabSize, int depth) {
  if (j.is_null()) return std::unique_ptr<PostProcessor>();
  if (depth > kMaxComponentDepth) return reader.error(path, "Sequences nested too deeply");
  HEXMOE_ASSIGN_OR_RETURN(std::string type, reader.type(j, path));
  if (type == "Sequence") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"processors"}));
    HEXMOE_ASSIGN_OR_RETURN(const json* list, reader.array(j, path, "processors"));
    std::vector<std::unique_ptr<PostProcessor>> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string where = indexPath(childPath(path, "processors"), i);
      if ((*list)[i].is_null()) return reader.error(where, "expected a post-processor, found null");
      HEXMOE_ASSIGN_OR_RETURN(auto part, parsePostProcessor((*list)[i], where, reader, vocabSize, depth + 1));
      parts.push_back(std::move(part));
    }
    return std::unique_ptr<PostProcessor>(new SequenceProcessor(std::move(parts)));
  }
  if (type == "TemplateProcessing") return parseTemplateProcessing(j, path, reader, vocabSize);
  if (type == "ByteLevel") {
    // Its options adjust offsets, which this reader does not report.
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"add_prefix_space", "trim_offsets", "use_regex"}));
    for (const char* key : {"add_prefix_space", "trim_offsets", "use_regex"})
      HEXMOE_RETURN_IF_ERROR(reader.boolean(j, path, key, true).status());
    return std::unique_ptr<PostProcessor>(new NoOpProcessor());
  }
  return reader.error(path, "unsupported type \"" + type + "\"");
}

}  // namespace hexmoe::tokenizer
