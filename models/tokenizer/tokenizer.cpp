// The tokenizer: reading tokenizer.json, and the encode/decode pipelines.
#include "models/tokenizer/tokenizer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <unordered_set>

#include "models/tokenizer/unicode.h"

namespace hexmoe::tokenizer {
namespace {

/// nlohmann keeps the last of duplicate keys silently; this sees each one.
struct DuplicateKeys {
  std::vector<std::unordered_set<std::string>> open;
  std::string first;
  json::parser_callback_t callback() {
    return [this](int, json::parse_event_t event, json& parsed) {
      if (event == json::parse_event_t::object_start) open.emplace_back();
      if (event == json::parse_event_t::object_end && !open.empty()) open.pop_back();
      if (event == json::parse_event_t::key && first.empty() && !open.empty()) {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (!open.back().insert(key).second) first = key;
      }
      return true;
    };
  }
};

}  // namespace

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::fromFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return errnoStatus(errno, "opening tokenizer " + path);
  std::string text;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) {
    text.append(buffer, n);
    if (text.size() > kMaxTokenizerFileBytes) {
      std::fclose(f);
      return invalidArgument(path + ": over " + std::to_string(kMaxTokenizerFileBytes >> 20) +
                             " MiB, too large for a tokenizer.json");
    }
  }
  const bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return dataLoss(path + ": read error");
  return fromJson(text, path);
}

StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::fromJson(std::string_view text, const std::string& name) {
  const JsonReader reader(name);
  DuplicateKeys duplicates;
  const json doc = json::parse(text.begin(), text.end(), duplicates.callback(), /*allow_exceptions=*/false);
  if (doc.is_discarded()) return reader.error("", "not valid JSON (or not UTF-8)");
  if (!duplicates.first.empty())
    return reader.error("", "the key " + json(duplicates.first).dump() + " appears twice in one object");
  HEXMOE_RETURN_IF_ERROR(reader.object(doc, "", {"version", "truncation", "padding", "added_tokens", "normalizer",
                                                 "pre_tokenizer", "post_processor", "decoder", "model"}));
  HEXMOE_ASSIGN_OR_RETURN(std::string version, reader.string(doc, "", "version", std::string("1.0")));
  if (version != "1.0") return reader.error("version", "unsupported version \"" + version + "\" (expected \"1.0\")");
  for (const char* key : {"truncation", "padding"})
    if (doc.contains(key) && !doc[key].is_null())
      return reader.error(key, "unsupported: encode here never truncates or pads (expected null)");

  std::unique_ptr<Tokenizer> t(new Tokenizer());
  t->name_ = name;
  auto model = doc.find("model");
  if (model == doc.end()) return reader.error("", "no \"model\"");
  HEXMOE_ASSIGN_OR_RETURN(std::string modelType, reader.type(*model, "model"));
  if (modelType != "BPE") return reader.error("model", "unsupported type \"" + modelType + "\"");
  HEXMOE_ASSIGN_OR_RETURN(t->model_, BpeModel::parse(*model, "model", reader));

  static const json kNull;
  auto member = [&](const char* key) -> const json& {
    auto it = doc.find(key);
    return it == doc.end() ? kNull : *it;
  };
  HEXMOE_ASSIGN_OR_RETURN(t->normalizer_, parseNormalizer(member("normalizer"), "normalizer", reader));
  HEXMOE_ASSIGN_OR_RETURN(t->preTokenizer_, parsePreTokenizer(member("pre_tokenizer"), "pre_tokenizer", reader));
  HEXMOE_ASSIGN_OR_RETURN(t->decoder_, parseDecoder(member("decoder"), "decoder", reader));
  HEXMOE_ASSIGN_OR_RETURN(t->added_, AddedVocabulary::parse(member("added_tokens"), "added_tokens", *t->model_,
                                                            t->normalizer_.get(), reader));
  t->vocabSize_ = static_cast<int32_t>(std::max<int64_t>(static_cast<int64_t>(t->model_->size()), t->added_.idEnd()));
  HEXMOE_ASSIGN_OR_RETURN(t->postProcessor_, parsePostProcessor(member("post_processor"), "post_processor", reader,
                                                                t->vocabSize_));
  return t;
}

StatusOr<std::vector<int32_t>> Tokenizer::encode(std::string_view text, bool addSpecialTokens) const {
  const size_t bad = firstInvalidUtf8(text);
  if (bad != text.size())
    return invalidArgument(name_ + ": cannot encode text that is not UTF-8 (ill-formed at byte " +
                           std::to_string(bad) + " of " + std::to_string(text.size()) + ")");
  std::vector<int32_t> ids;
  if (!text.empty()) {
    // AddedVocabulary::extract_and_normalize, then pre-tokenize, then BPE.
    std::vector<Piece> pieces{Piece{std::string(text), true, -1}};
    added_.split(pieces, /*normalizedKind=*/false);
    if (normalizer_) {
      std::vector<Piece> kept;
      kept.reserve(pieces.size());
      for (Piece& p : pieces) {
        if (p.addedId < 0) HEXMOE_RETURN_IF_ERROR(normalizer_->normalize(p.text));
        if (p.addedId >= 0 || !p.text.empty()) kept.push_back(std::move(p));
      }
      pieces = std::move(kept);
    }
    added_.split(pieces, /*normalizedKind=*/true);
    if (preTokenizer_) HEXMOE_RETURN_IF_ERROR(preTokenizer_->preTokenize(pieces));
    for (const Piece& p : pieces) {
      if (p.addedId >= 0) {
        ids.push_back(p.addedId);
      } else {
        model_->tokenize(p.text, ids);
      }
    }
  }
  if (addSpecialTokens && postProcessor_) postProcessor_->process(ids);
  return ids;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skipSpecialTokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    const std::string* token = nullptr;
    if (const AddedToken* a = added_.byId(id)) {
      token = &a->content;
    } else {
      token = model_->idToToken(id);
    }
    if (!token || (skipSpecialTokens && added_.isSpecial(*token))) continue;
    tokens.push_back(*token);
  }
  if (!decoder_) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
    return out;
  }
  decoder_->decodeChain(tokens);
  std::string out;
  for (const std::string& t : tokens) out += t;
  return out;
}

std::optional<int32_t> Tokenizer::tokenToId(std::string_view token) const {
  for (const AddedToken& a : added_.tokens())
    if (a.content == token) return a.id;
  return model_->tokenToId(token);
}

std::optional<std::string> Tokenizer::idToToken(int32_t id) const {
  if (const AddedToken* a = added_.byId(id)) return a->content;
  if (const std::string* t = model_->idToToken(id)) return *t;
  return std::nullopt;
}

bool Tokenizer::isSpecial(int32_t id) const {
  const AddedToken* a = added_.byId(id);
  if (a) return a->special;
  const std::string* t = model_->idToToken(id);
  return t && added_.isSpecial(*t);
}

}  // namespace hexmoe::tokenizer
