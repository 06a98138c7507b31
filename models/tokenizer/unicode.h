// UTF-8 and Unicode helpers for the tokenizer: validation, code points,
// Rust's String::from_utf8_lossy (which the Hugging Face decoders use),
// the few character classes the tokenizers' Rust code tests (White_Space,
// regex \w, char::is_numeric), NFC/NFD/NFKC/NFKD through utf8proc, and the
// GPT-2 byte-to-character table of the ByteLevel pre-tokenizer and decoder.
#ifndef HEXMOE_MODELS_TOKENIZER_UNICODE_H_
#define HEXMOE_MODELS_TOKENIZER_UNICODE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/base/status.h"
#include "runtime/base/utf8.h"

namespace hexmoe::tokenizer {

/// The offset of the first ill-formed UTF-8 byte, or `s.size()` (as Rust's
/// str refuses them): shared with the checkpoint reader.
using ::hexmoe::firstInvalidUtf8;

/// Decodes the code point at `s[i]` of well-formed UTF-8 and moves `i` past it.
char32_t nextCodePoint(std::string_view s, size_t& i);

/// The byte length of the UTF-8 sequence that starts with `lead`.
inline size_t utf8Length(uint8_t lead) { return lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4; }

void appendUtf8(std::string& out, char32_t cp);

/// `bytes` as UTF-8, each maximal ill-formed subsequence replaced by one
/// U+FFFD, exactly as Rust's String::from_utf8_lossy does.
std::string utf8Lossy(std::string_view bytes);

/// Rust's char::is_whitespace: the Unicode White_Space property.
bool isWhitespace(char32_t cp);
/// The Rust regex crate's Unicode \w (letters, marks, decimal digits,
/// connector punctuation, joiners), which added tokens' single_word uses.
bool isWordCharacter(char32_t cp);
/// Rust's char::is_numeric: general categories Nd, Nl and No.
bool isNumeric(char32_t cp);

enum class NormalForm { kNFC, kNFD, kNFKC, kNFKD };
/// `text` (well-formed UTF-8) in the normal form.
StatusOr<std::string> normalizeUnicode(std::string_view text, NormalForm form);

/// GPT-2's bytes_to_unicode: the UTF-8 of the character standing for each byte.
const std::array<std::string, 256>& byteLevelAlphabet();
/// The byte a ByteLevel character stands for, or -1 when it is not one.
int byteLevelByte(char32_t cp);

}  // namespace hexmoe::tokenizer

#endif  // HEXMOE_MODELS_TOKENIZER_UNICODE_H_
