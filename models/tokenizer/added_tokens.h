// The added_tokens of tokenizer.json: special and extra tokens that are
// found in the text before anything else splits it, leftmost-longest, as
// the library's Aho-Corasick matcher finds them. Tokens marked
// "normalized": false are matched in the raw text; the others in the
// normalized text, against their own normalized content. lstrip / rstrip
// take the whitespace on that side into the token; single_word matches
// only where no word character (the regex crate's \w) touches the token.
//
// Checked on load: every field is present (the library requires all seven)
// and of its type; content is non-empty and unique;
// each id is the one the library would give it: the vocab's id when the
// content is in the vocab, else the next id after the vocab and the added
// tokens before it (the library silently renumbers a file that says
// otherwise; we refuse it, naming both ids).
#ifndef HEXMOE_MODELS_TOKENIZER_ADDED_TOKENS_H_
#define HEXMOE_MODELS_TOKENIZER_ADDED_TOKENS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "models/tokenizer/bpe.h"
#include "models/tokenizer/json_reader.h"
#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/pre_tokenizers.h"
#include "runtime/base/status.h"

namespace hexmoe::tokenizer {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  bool normalized = true;
  bool lstrip = false;
  bool rstrip = false;
  bool singleWord = false;
};

class AddedVocabulary {
 public:
  /// Reads the added_tokens array (or null) at `path`.
  static StatusOr<AddedVocabulary> parse(const json& list, const std::string& path, const BpeModel& model,
                                         const Normalizer* normalizer, const JsonReader& reader);

  /// Cuts the text pieces at the tokens of one kind: those matched in the
  /// raw text (`normalizedKind` false) or in the normalized text.
  void split(std::vector<Piece>& pieces, bool normalizedKind) const;

  const std::vector<AddedToken>& tokens() const { return tokens_; }
  const AddedToken* byId(int64_t id) const;
  /// Whether some special added token has this content.
  bool isSpecial(const std::string& content) const { return specials_.count(content) != 0; }
  /// One past the largest id, or 0 without added tokens.
  int64_t idEnd() const { return idEnd_; }

 private:
  /// A byte trie of patterns, for the longest pattern at a position.
  class Trie {
   public:
    void insert(std::string_view pattern, int32_t token);
    /// The token of the longest pattern that starts at `text[pos]`, or -1.
    int32_t longestAt(std::string_view text, size_t pos, size_t& length) const;
    bool mayStartWith(uint8_t byte) const { return first_[byte]; }
    bool empty() const { return nodes_.size() == 1; }

   private:
    struct Node {
      std::vector<std::pair<uint8_t, int32_t>> next;
      int32_t token = -1;
    };
    std::vector<Node> nodes_{1};
    std::array<bool, 256> first_{};
  };

  std::vector<AddedToken> tokens_;
  std::unordered_map<int32_t, size_t> byId_;
  std::unordered_set<std::string> specials_;
  Trie raw_, normalized_;
  int64_t idEnd_ = 0;
};

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_ADDED_TOKENS_H_
