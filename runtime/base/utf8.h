// Well-formed UTF-8, as untrusted files (checkpoint headers, tokenizer.json,
// prompts) must be before anything reads them as text.
#ifndef HEXMOE_RUNTIME_BASE_UTF8_H_
#define HEXMOE_RUNTIME_BASE_UTF8_H_

#include <cstddef>
#include <string_view>

namespace hexmoe {

/// The byte offset of the first byte that is not part of well-formed UTF-8
/// (overlong forms, surrogates and code points past U+10FFFF are
/// ill-formed), or s.size() when all of it is.
size_t firstInvalidUtf8(std::string_view s);

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_BASE_UTF8_H_
