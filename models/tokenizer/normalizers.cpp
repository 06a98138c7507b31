// Normalizers, each as the tokenizers library applies it to one piece.
#include "models/tokenizer/normalizers.h"

#include <vector>

#include "models/tokenizer/regex.h"
#include "models/tokenizer/unicode.h"

namespace hexmoe::tokenizer {
namespace {

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : parts_(std::move(parts)) {}
  Status normalize(std::string& text) const override {
    for (const auto& p : parts_) HEXMOE_RETURN_IF_ERROR(p->normalize(text));
    return okStatus();
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(NormalForm form) : form_(form) {}
  Status normalize(std::string& text) const override {
    HEXMOE_ASSIGN_OR_RETURN(text, normalizeUnicode(text, form_));
    return okStatus();
  }

 private:
  NormalForm form_;
};

/// Prepends a string to a non-empty piece (Llama's "▁").
class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  Status normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
    return okStatus();
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(std::unique_ptr<Pattern> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  Status normalize(std::string& text) const override {
    std::vector<std::pair<size_t, size_t>> matches;
    HEXMOE_RETURN_IF_ERROR(pattern_->findAll(text, matches));
    if (matches.empty()) return okStatus();
    std::string out;
    size_t at = 0;
    for (const auto& [b, e] : matches) {
      out.append(text, at, b - at);
      out += content_;
      at = e;
    }
    out.append(text, at, std::string::npos);
    text = std::move(out);
    return okStatus();
  }

 private:
  std::unique_ptr<Pattern> pattern_;
  std::string content_;
};

}  // namespace

StatusOr<std::unique_ptr<Normalizer>> parseNormalizer(const json& j, const std::string& path,
                                                      const JsonReader& reader, int depth) {
  if (j.is_null()) return std::unique_ptr<Normalizer>();
  if (depth > kMaxComponentDepth) return reader.error(path, "Sequences nested too deeply");
  HEXMOE_ASSIGN_OR_RETURN(std::string type, reader.type(j, path));
  if (type == "Sequence") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"normalizers"}));
    HEXMOE_ASSIGN_OR_RETURN(const json* list, reader.array(j, path, "normalizers"));
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string where = indexPath(childPath(path, "normalizers"), i);
      if ((*list)[i].is_null()) return reader.error(where, "expected a normalizer, found null");
      HEXMOE_ASSIGN_OR_RETURN(auto part, parseNormalizer((*list)[i], where, reader, depth + 1));
      parts.push_back(std::move(part));
    }
    return std::unique_ptr<Normalizer>(new SequenceNormalizer(std::move(parts)));
  }
  if (type == "NFC" || type == "NFD" || type == "NFKC" || type == "NFKD") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {}));
    const NormalForm form = type == "NFC"    ? NormalForm::kNFC
                            : type == "NFD"  ? NormalForm::kNFD
                            : type == "NFKC" ? NormalForm::kNFKC
                                             : NormalForm::kNFKD;
    return std::unique_ptr<Normalizer>(new UnicodeNormalizer(form));
  }
  if (type == "Prepend") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"prepend"}));
    HEXMOE_ASSIGN_OR_RETURN(std::string prefix, reader.string(j, path, "prepend"));
    return std::unique_ptr<Normalizer>(new PrependNormalizer(std::move(prefix)));
  }
  if (type == "Replace") {
    HEXMOE_RETURN_IF_ERROR(reader.object(j, path, {"pattern", "content"}));
    HEXMOE_ASSIGN_OR_RETURN(auto pattern, Pattern::parse(j, path, "pattern", reader));
    HEXMOE_ASSIGN_OR_RETURN(std::string content, reader.string(j, path, "content"));
    return std::unique_ptr<Normalizer>(new ReplaceNormalizer(std::move(pattern), std::move(content)));
  }
  return reader.error(path, "unsupported type \"" + type + "\"");
}

}  // namespace hexmoe::tokenizer
