// The BPE model: vocab and merge checks, then the merge loop.
#include "models/tokenizer/bpe.h"

#include <cstdio>
#include <queue>

#include "models/tokenizer/unicode.h"

namespace hexmoe::tokenizer {
namespace {

/// Entries kept in the word cache before it starts afresh.
constexpr size_t kCacheEntries = 1 << 16;
/// Words longer than this bypass the cache (they rarely repeat).
constexpr size_t kCacheWordBytes = 256;

uint64_t pairKey(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

std::string quote(const std::string& s) { return json(s).dump(); }

}  // namespace

StatusOr<std::unique_ptr<BpeModel>> BpeModel::parse(const json& model, const std::string& path,
                                                    const JsonReader& reader) {
  HEXMOE_RETURN_IF_ERROR(reader.object(model, path,
                                       {"dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
                                        "fuse_unk", "byte_fallback", "ignore_merges", "vocab", "merges"}));
  std::unique_ptr<BpeModel> m(new BpeModel());
  auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null()) {
    if (!dropout->is_number()) return reader.error(childPath(path, "dropout"), "expected a number or null");
    if (dropout->get<double>() != 0.0)
      return reader.error(childPath(path, "dropout"), "unsupported: BPE dropout " + dropout->dump() +
                                                          " makes encoding random (only null or 0 is accepted)");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    HEXMOE_ASSIGN_OR_RETURN(auto affix, reader.optionalString(model, path, key));
    if (affix && !affix->empty())
      return reader.error(childPath(path, key), "unsupported: " + quote(*affix) + " (only null or \"\")");
  }
  HEXMOE_ASSIGN_OR_RETURN(m->fuseUnk_, reader.boolean(model, path, "fuse_unk", false));
  HEXMOE_ASSIGN_OR_RETURN(m->byteFallback_, reader.boolean(model, path, "byte_fallback", false));
  HEXMOE_ASSIGN_OR_RETURN(m->ignoreMerges_, reader.boolean(model, path, "ignore_merges", false));

  // The vocab: token -> id, ids exactly 0..n-1.
  const std::string vocabPath = childPath(path, "vocab");
  auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_object())
    return reader.error(path, "no \"vocab\" object" +
                                  (vocab == model.end() ? std::string() : ", found " + JsonReader::describe(*vocab)));
  const size_t n = vocab->size();
  if (n == 0) return reader.error(vocabPath, "the vocab is empty");
  if (n > kMaxVocab)
    return reader.error(vocabPath, std::to_string(n) + " entries, over the limit of " + std::to_string(kMaxVocab));
  m->tokens_.assign(n, std::string());
  std::vector<bool> seen(n, false);
  m->vocab_.reserve(n);
  for (const auto& [token, idValue] : vocab->items()) {
    const std::string where = vocabPath + "[" + quote(token) + "]";
    if (!idValue.is_number_integer())
      return reader.error(where, "expected an integer id, found " + JsonReader::describe(idValue));
    const bool negative = !idValue.is_number_unsigned() && idValue.get<int64_t>() < 0;
    const uint64_t id = negative ? 0 : idValue.get<uint64_t>();
    if (negative || id >= n)
      return reader.error(where, "id " + idValue.dump() + " is out of range: the vocab has " + std::to_string(n) +
                                     " entries, so its ids are 0.." + std::to_string(n - 1));
    if (seen[id])
      return reader.error(where, "id " + std::to_string(id) + " is also the id of " + quote(m->tokens_[id]));
    seen[id] = true;
    m->tokens_[id] = token;
    m->vocab_.emplace(token, static_cast<int32_t>(id));
  }

  HEXMOE_ASSIGN_OR_RETURN(auto unk, reader.optionalString(model, path, "unk_token"));
  if (unk) {
    auto it = m->vocab_.find(*unk);
    if (it == m->vocab_.end()) return reader.error(childPath(path, "unk_token"), quote(*unk) + " is not in the vocab");
    m->unk_ = it->second;
  }
  m->byteTokens_.fill(-1);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    auto it = m->vocab_.find(name);
    if (it != m->vocab_.end()) m->byteTokens_[b] = it->second;
  }

  // Merges, "a b" strings or ["a", "b"] pairs; a later duplicate replaces
  // an earlier one's rank, as in the library's map.
  HEXMOE_ASSIGN_OR_RETURN(const json* merges, reader.array(model, path, "merges"));
  if (merges->size() > kMaxVocab)
    return reader.error(childPath(path, "merges"), std::to_string(merges->size()) + " merges, over the limit of " +
                                                       std::to_string(kMaxVocab));
  m->merges_.reserve(merges->size());
  const std::string mergesPath = childPath(path, "merges");
  for (size_t i = 0; i < merges->size(); ++i) {
    const json& entry = (*merges)[i];
    const std::string where = indexPath(mergesPath, i);
    std::string a, b;
    if (entry.is_string()) {
      const std::string& s = entry.get_ref<const std::string&>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        return reader.error(where, quote(s) + " is not two tokens separated by one space");
      a = s.substr(0, space);
      b = s.substr(space + 1);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() && entry[1].is_string()) {
      a = entry[0].get<std::string>();
      b = entry[1].get<std::string>();
    } else {
      return reader.error(where, "expected \"a b\" or [\"a\", \"b\"], found " + JsonReader::describe(entry));
    }
    auto ia = m->vocab_.find(a);
    if (ia == m->vocab_.end()) return reader.error(where, "the token " + quote(a) + " is not in the vocab");
    auto ib = m->vocab_.find(b);
    if (ib == m->vocab_.end()) return reader.error(where, "the token " + quote(b) + " is not in the vocab");
    auto ir = m->vocab_.find(a + b);
    if (ir == m->vocab_.end())
      return reader.error(where, "the merged token " + quote(a + b) + " is not in the vocab");
    m->merges_[pairKey(ia->second, ib->second)] = Merge{static_cast<int32_t>(i), ir->second};
  }
  return m;
}

std::optional<int32_t> BpeModel::tokenToId(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::idToToken(int64_t id) const {
  if (id < 0 || static_cast<uint64_t>(id) >= tokens_.size()) return nullptr;
  return &tokens_[static_cast<size_t>(id)];
}

const BpeModel::Merge* BpeModel::findMerge(int32_t left, int32_t right) const {
  auto it = merges_.find(pairKey(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void BpeModel::tokenize(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (ignoreMerges_) {
    auto it = vocab_.find(std::string(word));
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = word.size() <= kCacheWordBytes;
  std::string key;
  if (cacheable) {
    key.assign(word);
    std::lock_guard<std::mutex> lock(cacheMutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids = merge(word);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    if (cache_.size() >= kCacheEntries) cache_.clear();
    cache_.emplace(std::move(key), std::move(ids));
  }
}

std::vector<int32_t> BpeModel::merge(std::string_view word) const {
  // One symbol per character (or per byte through <0xNN>, or an unk run).
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  std::optional<int32_t> pendingUnk;
  for (size_t i = 0; i < word.size();) {
    const size_t begin = i;
    i += utf8Length(static_cast<uint8_t>(word[i]));
    if (i > word.size()) i = word.size();
    auto it = vocab_.find(std::string(word.substr(begin, i - begin)));
    if (it != vocab_.end()) {
      if (pendingUnk) symbols.push_back(*pendingUnk), pendingUnk.reset();
      symbols.push_back(it->second);
      continue;
    }
    if (byteFallback_) {
      bool all = true;
      for (size_t k = begin; k < i; ++k) all = all && byteTokens_[static_cast<uint8_t>(word[k])] >= 0;
      if (all) {
        // The library adds these without flushing a pending unk first.
        for (size_t k = begin; k < i; ++k) symbols.push_back(byteTokens_[static_cast<uint8_t>(word[k])]);
        continue;
      }
    }
    if (unk_) {
      if (pendingUnk && !fuseUnk_) symbols.push_back(*pendingUnk);
      pendingUnk = *unk_;
    }
    // Without unk_token the character is dropped, as the library does.
  }
  if (pendingUnk) symbols.push_back(*pendingUnk);

  // Merge lowest rank first, leftmost first among equal ranks; stale queue
  // entries are recognised and skipped (the library's Word::merge_all).
  const int n = static_cast<int>(symbols.size());
  std::vector<int> prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (int k = 0; k < n; ++k) prev[k] = k - 1, next[k] = k + 1 < n ? k + 1 : -1;
  struct Candidate {
    int32_t rank;
    int pos;
    int32_t result;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
  for (int k = 0; k + 1 < n; ++k)
    if (const Merge* mg = findMerge(symbols[k], symbols[k + 1])) queue.push({mg->rank, k, mg->result});
  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    if (!alive[top.pos] || next[top.pos] < 0) continue;
    const int right = next[top.pos];
    const Merge* current = findMerge(symbols[top.pos], symbols[right]);
    if (!current || current->result != top.result) continue;
    symbols[top.pos] = top.result;
    alive[right] = false;
    next[top.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = top.pos;
    if (prev[top.pos] >= 0)
      if (const Merge* mg = findMerge(symbols[prev[top.pos]], symbols[top.pos]))
        queue.push({mg->rank, prev[top.pos], mg->result});
    if (next[top.pos] >= 0)
      if (const Merge* mg = findMerge(symbols[top.pos], symbols[next[top.pos]]))
        queue.push({mg->rank, top.pos, mg->result});
  }
  std::vector<int32_t> ids;
  ids.reserve(n);
  for (int k = 0; k < n; ++k)
    if (alive[k]) ids.push_back(symbols[k]);
  return ids;
}

}  // namespace hexmoe::tokenizer
