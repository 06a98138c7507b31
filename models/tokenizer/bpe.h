// The BPE model of tokenizer.json: a vocab of token -> id and a ranked list
// of merges, applied to each pre-tokenized word exactly as the tokenizers
// library's BPE does (lowest rank first, leftmost first among equals),
// with byte_fallback to <0xNN> tokens, unk_token and fuse_unk, and
// ignore_merges (a word that is itself in the vocab is one token).
//
// Checked on load: every field's type; the vocab is non-empty, at most
// kMaxVocab entries, and its ids are exactly 0..n-1, each used once (the
// library accepts holes and shared ids; no real file has them, and refusing
// them keeps decoding unambiguous); each merge names two vocab tokens whose
// concatenation is in the vocab; unk_token is in the vocab. Options that
// change the result and that no model we load uses (dropout,
// continuing_subword_prefix, end_of_word_suffix) are refused when set.
#ifndef HEXMOE_MODELS_TOKENIZER_BPE_H_
#define HEXMOE_MODELS_TOKENIZER_BPE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "models/tokenizer/json_reader.h"
#include "runtime/base/status.h"

namespace hexmoe::tokenizer {

/// 16M entries: above every released vocab (the largest are ~260K).
constexpr size_t kMaxVocab = 1u << 24;

class BpeModel {
 public:
  /// Reads the "model" object at `path`.
  static StatusOr<std::unique_ptr<BpeModel>> parse(const json& model, const std::string& path,
                                                   const JsonReader& reader);

  /// Appends the ids of one pre-tokenized word (well-formed UTF-8).
  void tokenize(std::string_view word, std::vector<int32_t>& out) const;

  size_t size() const { return tokens_.size(); }
  std::optional<int32_t> tokenToId(std::string_view token) const;
  /// The token of `id`, or null when `id` is not in the vocab.
  const std::string* idToToken(int64_t id) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  BpeModel() = default;
  std::vector<int32_t> merge(std::string_view word) const;
  const Merge* findMerge(int32_t left, int32_t right) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<std::string> tokens_;  // by id
  std::unordered_map<uint64_t, Merge> merges_;
  std::optional<int32_t> unk_;
  bool fuseUnk_ = false;
  bool byteFallback_ = false;
  bool ignoreMerges_ = false;
  std::array<int32_t, 256> byteTokens_{};  // id of <0xNN>, or -1

  /// Words seen before, as the library caches them: most words repeat.
  mutable std::mutex cacheMutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_BPE_H_
