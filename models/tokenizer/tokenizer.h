// A Hugging Face tokenizer.json, read and run in C++: encode text to ids
// and decode ids to text exactly as the Python `tokenizers` library does,
// for the byte-level BPE tokenizers of DeepSeek-V3/R1 and Qwen2/Qwen3 and
// the SentencePiece-style BPE ones of Mixtral and Llama (see
// docs/tokenizer.md for the list of components and options).
//
// The file is untrusted input: every field is checked on load, and a
// component or option this reader does not implement is an error naming
// the file and its JSON path, never silently skipped, so a tokenizer that
// loads encodes as the library would.
//
// Encoding takes text as UTF-8. The library takes Rust strings, which are
// well-formed UTF-8 by construction; here ill-formed input is refused with
// a Status naming the byte offset rather than guessed at.
#ifndef HEXMOE_MODELS_TOKENIZER_TOKENIZER_H_
#define HEXMOE_MODELS_TOKENIZER_TOKENIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/tokenizer/added_tokens.h"
#include "models/tokenizer/bpe.h"
#include "models/tokenizer/decoders.h"
#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/post_processors.h"
#include "models/tokenizer/pre_tokenizers.h"
#include "runtime/base/status.h"

namespace hexmoe::tokenizer {

/// tokenizer.json files of released models are 2-30 MB.
constexpr size_t kMaxTokenizerFileBytes = 512u << 20;

class Tokenizer {
 public:
  static StatusOr<std::unique_ptr<Tokenizer>> fromFile(const std::string& path);
  /// Parses tokenizer.json text; `name` stands for the file in errors.
  static StatusOr<std::unique_ptr<Tokenizer>> fromJson(std::string_view text, const std::string& name);

  /// The ids of `text`: added tokens, normalizer, pre-tokenizer, BPE, and
  /// with `addSpecialTokens` the post-processor (BOS, ...). Fails on
  /// ill-formed UTF-8, or when a regex of the file gives up on the text.
  /// Safe to call from several threads at once.
  StatusOr<std::vector<int32_t>> encode(std::string_view text, bool addSpecialTokens) const;
  /// The text of `ids` through the decoder (always well-formed UTF-8). Ids
  /// that are not in the vocab are skipped, as the library skips them;
  /// `skipSpecialTokens` skips the special added tokens too.
  std::string decode(const std::vector<int32_t>& ids, bool skipSpecialTokens) const;

  /// One past the largest id: the vocab and the added tokens outside it
  /// (the library's get_vocab_size(with_added_tokens=True)).
  int32_t vocabSize() const { return vocabSize_; }
  std::optional<int32_t> tokenToId(std::string_view token) const;
  std::optional<std::string> idToToken(int32_t id) const;
  /// Whether `id` is a special added token (BOS, EOS, chat markers, ...).
  bool isSpecial(int32_t id) const;
  const std::vector<AddedToken>& addedTokens() const { return added_.tokens(); }

 private:
  Tokenizer() = default;

  std::string name_;
  std::unique_ptr<BpeModel> model_;
  AddedVocabulary added_;
  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> preTokenizer_;
  std::unique_ptr<PostProcessor> postProcessor_;
  std::unique_ptr<Decoder> decoder_;
  int32_t vocabSize_ = 0;
};

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_TOKENIZER_H_
