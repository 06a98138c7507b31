// Round trips: for tokenizers that lose nothing, decode(encode(s)) == s
// over many random well-formed UTF-8 strings (a fixed seed), mixing ASCII,
// whitespace, digits, Latin, CJK, kana, emoji and other 4-byte characters.
#include <gtest/gtest.h>

#include <random>

#include <utf8proc.h>

#include "models/tokenizer/tokenizer.h"
#include "models/tokenizer/unicode.h"
#include "tests/unit/models/tokenizer/test_util.h"

namespace hexmoe::tokenizer {
namespace {

using namespace testing;

/// A random string of up to 40 characters from mixed ranges.
std::string randomText(std::mt19937& rng) {
  static const std::pair<char32_t, char32_t> kRanges[] = {
      {'a', 'z'},        {'A', 'Z'},         {'0', '9'},         {' ', ' '},         {'\n', '\n'},
      {'\t', '\t'},      {'!', '/'},         {0x00, 0x1f},       {0xa0, 0x24f},      {0x370, 0x3ff},
      {0x4e00, 0x9fa5},  {0x3040, 0x30ff},   {0x1f300, 0x1f64f}, {0x10000, 0x10ffff}, {0x2000, 0x206f},
      {0xe000, 0xf8ff},  {0x0300, 0x036f},
  };
  std::uniform_int_distribution<int> len(0, 40), pick(0, static_cast<int>(std::size(kRanges)) - 1);
  std::string s;
  const int n = len(rng);
  for (int i = 0; i < n; ++i) {
    const auto& [lo, hi] = kRanges[pick(rng)];
    char32_t cp = std::uniform_int_distribution<char32_t>(lo, hi)(rng);
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 'x';
    appendUtf8(s, cp);
  }
  return s;
}

std::string nfc(const std::string& s) {
  auto* out = utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(s.c_str()));
  std::string r(reinterpret_cast<const char*>(out));
  std::free(out);
  return r;
}

/// decode(encode(s)) against `expect(s)` for 3000 random strings.
template <typename Expect>
void checkRoundTrip(const std::string& fixture, Expect expect) {
  auto tok = Tokenizer::fromFile(fixturePath(fixture + ".json"));
  ASSERT_TRUE(tok.ok()) << tok.status().toString();
  std::mt19937 rng(20240611);
  for (int i = 0; i < 3000; ++i) {
    std::string s = randomText(rng);
    if (s.find('\0') != std::string::npos) s.erase(s.find('\0'));  // utf8proc_NFC stops at NUL
    auto ids = (*tok)->encode(s, /*addSpecialTokens=*/false);
    ASSERT_TRUE(ids.ok()) << ids.status().toString();
    for (int32_t id : *ids) ASSERT_TRUE(id >= 0 && id < (*tok)->vocabSize());
    ASSERT_EQ((*tok)->decode(*ids, false), expect(s)) << "case " << i;
  }
}

TEST(RoundTrip, DeepSeekByteLevelIsLossless) {
  checkRoundTrip("deepseek_v3", [](const std::string& s) { return s; });
}

TEST(RoundTrip, QwenIsLosslessUpToNfc) {
  checkRoundTrip("qwen2", [](const std::string& s) { return nfc(s); });
}

TEST(RoundTrip, ByteLevelSplitVariantsAreLossless) {
  for (const char* f : {"split_merged_previous", "split_merged_next", "split_contiguous", "split_invert",
                        "digits_contiguous"}) {
    SCOPED_TRACE(f);
    checkRoundTrip(f, [](const std::string& s) { return s; });
  }
}

TEST(RoundTrip, SentencePieceByteFallbackIsLossless) {
  // "▁" decodes to a space, and the decoder strips the one leading space
  // that the normalizer's "▁" became.
  checkRoundTrip("llama_sp", [](const std::string& s) { return s; });
}

TEST(RoundTrip, EncodingIsDeterministicAcrossTheCache) {
  auto tok = Tokenizer::fromFile(fixturePath("qwen2.json"));
  ASSERT_TRUE(tok.ok()) << tok.status().toString();
  std::mt19937 rng(7);
  std::string text;
  for (int i = 0; i < 200; ++i) text += randomText(rng) + " the quick brown fox ";
  auto first = (*tok)->encode(text, true);
  auto second = (*tok)->encode(text, true);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

}  // namespace
}  // namespace hexmoe::tokenizer
