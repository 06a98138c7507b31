// Added tokens: the checks, and matching them in text.
#include "models/tokenizer/added_tokens.h"

#include <algorithm>

#include "models/tokenizer/unicode.h"

namespace hexmoe::tokenizer {
namespace {

bool endsWithWord(std::string_view s) {
  if (s.empty()) return false;
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<uint8_t>(s[i]) & 0xc0) == 0x80) --i;
  return isWordCharacter(nextCodePoint(s, i));
}

bool startsWithWord(std::string_view s) {
  size_t i = 0;
  return !s.empty() && isWordCharacter(nextCodePoint(s, i));
}

/// Where the whitespace that ends `s` begins (s.size() when none does).
size_t trailingWhitespaceStart(std::string_view s) {
  size_t start = s.size();
  while (start > 0) {
    size_t i = start - 1;
    while (i > 0 && (static_cast<uint8_t>(s[i]) & 0xc0) == 0x80) --i;
    size_t j = i;
    if (!isWhitespace(nextCodePoint(s, j))) break;
    start = i;
  }
  return start;
}

/// How many bytes of whitespace `s` starts with.
size_t leadingWhitespaceLength(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    if (!isWhitespace(nextCodePoint(s, j))) break;
    i = j;
  }
  return i;
}

}  // namespace

void AddedVocabulary::Trie::insert(std::string_view pattern, int32_t token) {
  int32_t node = 0;
  for (char ch : pattern) {
    const auto c = static_cast<uint8_t>(ch);
    auto& next = nodes_[node].next;
    auto it = std::find_if(next.begin(), next.end(), [c](const auto& e) { return e.first == c; });
    if (it != next.end()) {
      node = it->second;
    } else {
      const auto child = static_cast<int32_t>(nodes_.size());
      next.emplace_back(c, child);
      nodes_.emplace_back();
      node = child;
    }
  }
  if (nodes_[node].token < 0) nodes_[node].token = token;  // the first of equal patterns wins
  first_[static_cast<uint8_t>(pattern[0])] = true;
}

int32_t AddedVocabulary::Trie::longestAt(std::string_view text, size_t pos, size_t& length) const {
  int32_t node = 0, best = -1;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    const auto& next = nodes_[node].next;
    auto it = std::find_if(next.begin(), next.end(), [c](const auto& e) { return e.first == c; });
    if (it == next.end()) break;
    node = it->second;
    if (nodes_[node].token >= 0) best = nodes_[node].token, length = i + 1 - pos;
  }
  return best;
}

StatusOr<AddedVocabulary> AddedVocabulary::parse(const json& list, const std::string& path, const BpeModel& model,
                                                 const Normalizer* normalizer, const JsonReader& reader) {
  AddedVocabulary v;
  if (list.is_null()) return v;
  if (!list.is_array()) return reader.error(path, "expected an array, found " + JsonReader::describe(list));
  if (list.size() > kMaxVocab)
    return reader.error(path, std::to_string(list.size()) + " added tokens, over the limit of " +
                                  std::to_string(kMaxVocab));
  const auto modelSize = static_cast<int64_t>(model.size());
  std::unordered_map<std::string, size_t> byContent;
  int64_t maxId = -1;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& entry = list[i];
    const std::string where = indexPath(path, i);
    HEXMOE_RETURN_IF_ERROR(
        reader.object(entry, where, {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"}));
    AddedToken t;
    HEXMOE_ASSIGN_OR_RETURN(int64_t id, reader.integer(entry, where, "id", 0, 2 * static_cast<int64_t>(kMaxVocab)));
    HEXMOE_ASSIGN_OR_RETURN(t.content, reader.string(entry, where, "content"));
    if (t.content.empty()) return reader.error(childPath(where, "content"), "the content is empty");
    // The library requires every flag; so do we.
    HEXMOE_ASSIGN_OR_RETURN(t.special, reader.boolean(entry, where, "special"));
    HEXMOE_ASSIGN_OR_RETURN(t.normalized, reader.boolean(entry, where, "normalized"));
    HEXMOE_ASSIGN_OR_RETURN(t.lstrip, reader.boolean(entry, where, "lstrip"));
    HEXMOE_ASSIGN_OR_RETURN(t.rstrip, reader.boolean(entry, where, "rstrip"));
    HEXMOE_ASSIGN_OR_RETURN(t.singleWord, reader.boolean(entry, where, "single_word"));
    const std::string name = json(t.content).dump();
    if (byContent.count(t.content))
      return reader.error(where, name + " is also added_tokens[" + std::to_string(byContent[t.content]) + "]");

    // The id the library gives it (AddedVocabulary::add_tokens).
    int64_t expected;
    const auto inVocab = model.tokenToId(t.content);
    if (inVocab) {
      expected = *inVocab;
      if (id != expected)
        return reader.error(childPath(where, "id"), name + " has id " + std::to_string(id) +
                                                        ", but the vocab gives it id " + std::to_string(expected));
    } else {
      expected = maxId < 0 || maxId < modelSize ? modelSize : maxId + 1;
      if (id != expected) {
        const std::string* other = model.idToToken(id);
        return reader.error(childPath(where, "id"),
                            name + " has id " + std::to_string(id) +
                                (other ? ", which the vocab gives to " + json(*other).dump()
                                       : std::string(", but a token outside the vocab takes the next free id, ") +
                                             std::to_string(expected)));
      }
    }
    maxId = std::max(maxId, expected);
    t.id = static_cast<int32_t>(expected);

    std::string pattern = t.content;
    if (t.normalized && normalizer) {
      Status s = normalizer->normalize(pattern);
      if (!s.ok()) return reader.error(childPath(where, "content"), "normalizing it failed: " + s.message());
      if (pattern.empty()) return reader.error(childPath(where, "content"), name + " normalizes to nothing");
    }
    const auto index = static_cast<int32_t>(v.tokens_.size());
    (t.normalized ? v.normalized_ : v.raw_).insert(pattern, index);
    if (t.special) v.specials_.insert(t.content);
    byContent[t.content] = i;
    v.byId_[t.id] = v.tokens_.size();
    v.tokens_.push_back(std::move(t));
  }
  v.idEnd_ = maxId + 1;
  return v;
}

const AddedToken* AddedVocabulary::byId(int64_t id) const {
  if (id < INT32_MIN || id > INT32_MAX) return nullptr;
  auto it = byId_.find(static_cast<int32_t>(id));
  return it == byId_.end() ? nullptr : &tokens_[it->second];
}

void AddedVocabulary::split(std::vector<Piece>& pieces, bool normalizedKind) const {
  const Trie& trie = normalizedKind ? normalized_ : raw_;
  if (trie.empty()) return;
  std::vector<Piece> out;
  out.reserve(pieces.size());
  for (Piece& piece : pieces) {
    if (piece.addedId >= 0) {
      out.push_back(std::move(piece));
      continue;
    }
    const std::string_view text = piece.text;
    auto emit = [&](size_t b, size_t e, int32_t id) {
      if (e > b) out.push_back(Piece{std::string(text.substr(b, e - b)), piece.atStart && b == 0, id});
    };
    // AddedVocabulary::find_matches: matches never overlap in the text as
    // found; stripping may then widen a token over its neighbours' spaces.
    size_t done = 0;  // the end of what has been emitted
    for (size_t pos = 0; pos < text.size();) {
      size_t length = 0;
      const int32_t index = trie.mayStartWith(static_cast<uint8_t>(text[pos])) ? trie.longestAt(text, pos, length) : -1;
      if (index < 0) {
        ++pos;
        continue;
      }
      const AddedToken& t = tokens_[index];
      size_t start = pos, stop = pos + length;
      pos = stop;
      if (t.singleWord && ((start != 0 && endsWithWord(text.substr(0, start))) ||
                           (stop != text.size() && startsWithWord(text.substr(stop)))))
        continue;
      if (t.lstrip) start = std::max(trailingWhitespaceStart(text.substr(0, start)), done);
      if (t.rstrip) stop += leadingWhitespaceLength(text.substr(stop));
      if (done < start) emit(done, start, -1);
      emit(start, stop, t.id);
      done = stop;
    }
    if (done < text.size()) emit(done, text.size(), -1);
  }
  pieces = std::move(out);
}

}  // namespace hexmoe::tokenizer
