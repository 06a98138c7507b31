// Patterns in Oniguruma's syntax, as tokenizer.json files write them.
#include "models/tokenizer/regex.h"

#include <gtest/gtest.h>

namespace hexmoe::tokenizer {
namespace {

std::vector<std::pair<size_t, size_t>> matches(const std::string& regex, const std::string& text) {
  auto p = Pattern::regex(regex);
  EXPECT_TRUE(p.ok()) << p.status().toString();
  std::vector<std::pair<size_t, size_t>> out;
  if (p.ok()) EXPECT_TRUE((*p)->findAll(text, out).ok());
  return out;
}

TEST(Pattern, ReadsOnigurumasUnicodeEscapes) {
  // Hiragana, written \uHHHH as DeepSeek-style pre-tokenizers may be.
  const auto m = matches("[\\u3040-\\u309F]+", "ab\xe3\x81\x82\xe3\x81\x84z");  // "abあいz"
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], (std::pair<size_t, size_t>{2, 8}));
}

TEST(Pattern, LeavesAnEscapedBackslashAlone) {
  // \\u0041 is a backslash, then "u0041".
  const auto m = matches("\\\\u0041", "x\\u0041A");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0], (std::pair<size_t, size_t>{1, 7}));
}

}  // namespace
}  // namespace hexmoe::tokenizer
