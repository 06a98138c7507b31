// Fuzz target: a tokenizer.json. A file that loads must encode a few fixed
// strings (ASCII, whitespace runs, digits, CJK, emoji, its own added
// tokens) to ids inside its vocab, and decode them to well-formed UTF-8.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/tokenizer/tokenizer.h"
#include "models/tokenizer/unicode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hexmoe::tokenizer;
  auto tok = Tokenizer::fromJson(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (!tok.ok()) {
    if (tok.status().message().empty()) __builtin_trap();
    return 0;
  }
  const Tokenizer& t = **tok;
  std::vector<std::string> texts = {
      "", " ", "Hello, world! I'M here   \n\n\t 1234567",
      "中文测试 カタカナ \xf0\x9f\x98\x80 e\xcc\x81 <0x41> <s></s>",
  };
  std::string added;
  for (const AddedToken& a : t.addedTokens()) added += a.content + " x ";
  texts.push_back(added);
  for (const std::string& text : texts) {
    auto ids = t.encode(text, /*addSpecialTokens=*/true);
    if (!ids.ok()) {
      if (ids.status().message().empty()) __builtin_trap();
      continue;
    }
    for (int32_t id : *ids)
      if (id < 0 || id >= t.vocabSize()) __builtin_trap();
    for (bool skip : {false, true}) {
      const std::string out = t.decode(*ids, skip);
      if (firstInvalidUtf8(out) != out.size()) __builtin_trap();
    }
  }
  // Ids the file does not have are skipped, never read past.
  const std::string out = t.decode({-1, t.vocabSize(), 0, INT32_MAX}, false);
  if (firstInvalidUtf8(out) != out.size()) __builtin_trap();
  return 0;
}
