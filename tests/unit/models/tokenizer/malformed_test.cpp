// Malformed tokenizer.json files: each class refused with its own message
// naming the file and the JSON path of what is wrong.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "models/tokenizer/tokenizer.h"

namespace hexmoe::tokenizer {
namespace {

using nlohmann::json;

/// A small valid byte-level-free BPE tokenizer to break one field at a time.
json validDoc() {
  return json::parse(R"({
    "version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [{"id": 4, "content": "<s>", "special": true, "normalized": false,
                      "lstrip": false, "rstrip": false, "single_word": false}],
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Removed", "invert": false},
        {"type": "Digits", "individual_digits": true}]},
    "post_processor": {"type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [4], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "dropout": null, "unk_token": "a", "fuse_unk": false, "byte_fallback": false,
              "ignore_merges": false, "vocab": {"a": 0, "b": 1, "ab": 2, "c": 3}, "merges": ["a b"]}
  })");
}

/// The message of loading `text` as "x.json", which must fail.
std::string errorOfText(const std::string& text) {
  auto t = Tokenizer::fromJson(text, "x.json");
  EXPECT_FALSE(t.ok()) << "loaded: " << text.substr(0, 200);
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message().rfind("x.json: ", 0), 0u) << t.status().message();
  return t.status().message();
}

std::string errorOf(const json& doc) { return errorOfText(doc.dump()); }

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST(Malformed, TheValidBaseLoadsAndEncodes) {
  auto t = Tokenizer::fromJson(validDoc().dump(), "x.json");
  ASSERT_TRUE(t.ok()) << t.status().toString();
  auto ids = (*t)->encode("ab c", true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{4, 2, 3}));
  EXPECT_EQ((*t)->decode(*ids, true), "abc");
}

TEST(Malformed, NotJson) {
  EXPECT_HAS(errorOfText("{\"version\": "), "x.json: not valid JSON");
  EXPECT_HAS(errorOfText(""), "not valid JSON");
  EXPECT_HAS(errorOfText("{\"version\": \"\xff\"}"), "not valid JSON (or not UTF-8)");
  EXPECT_HAS(errorOfText("[1, 2]"), "x.json: expected an object, found an array");
}

TEST(Malformed, DuplicateKey) {
  std::string text = validDoc().dump();
  text.replace(text.find("\"a\":0"), 5, "\"a\":0,\"a\":3");
  EXPECT_HAS(errorOfText(text), "the key \"a\" appears twice in one object");
}

TEST(Malformed, TopLevel) {
  json d = validDoc();
  d["extra"] = 1;
  EXPECT_HAS(errorOf(d), "x.json: unsupported option \"extra\"");
  d = validDoc();
  d["version"] = "2.0";
  EXPECT_HAS(errorOf(d), "x.json: version: unsupported version \"2.0\"");
  d = validDoc();
  d["truncation"] = {{"max_length", 5}};
  EXPECT_HAS(errorOf(d), "x.json: truncation: unsupported");
  d = validDoc();
  d.erase("model");
  EXPECT_HAS(errorOf(d), "x.json: no \"model\"");
}

TEST(Malformed, ModelType) {
  json d = validDoc();
  d["model"]["type"] = "Unigram";
  EXPECT_EQ(errorOf(d), "x.json: model: unsupported type \"Unigram\"");
  d["model"]["type"] = 3;
  EXPECT_HAS(errorOf(d), "x.json: model.type: expected a string, found the integer 3");
  d["model"].erase("type");
  EXPECT_HAS(errorOf(d), "x.json: model: no \"type\"");
}

TEST(Malformed, ModelOptions) {
  json d = validDoc();
  d["model"]["dropout"] = 0.1;
  EXPECT_HAS(errorOf(d), "x.json: model.dropout: unsupported: BPE dropout 0.1");
  d = validDoc();
  d["model"]["continuing_subword_prefix"] = "##";
  EXPECT_HAS(errorOf(d), "x.json: model.continuing_subword_prefix: unsupported: \"##\"");
  d = validDoc();
  d["model"]["fuse_unk"] = "yes";
  EXPECT_HAS(errorOf(d), "x.json: model.fuse_unk: expected a boolean, found a string");
  d = validDoc();
  d["model"]["unk_token"] = "<unk>";
  EXPECT_HAS(errorOf(d), "x.json: model.unk_token: \"<unk>\" is not in the vocab");
  d = validDoc();
  d["model"]["mystery"] = true;
  EXPECT_HAS(errorOf(d), "x.json: model: unsupported option \"mystery\"");
}

TEST(Malformed, Vocab) {
  json d = validDoc();
  d["model"]["vocab"] = json::array();
  EXPECT_HAS(errorOf(d), "x.json: model: no \"vocab\" object, found an array");
  d["model"]["vocab"] = json::object();
  EXPECT_HAS(errorOf(d), "x.json: model.vocab: the vocab is empty");
  d = validDoc();
  d["model"]["vocab"]["c"] = "3";
  EXPECT_HAS(errorOf(d), "x.json: model.vocab[\"c\"]: expected an integer id, found a string");
  d["model"]["vocab"]["c"] = 3.5;
  EXPECT_HAS(errorOf(d), "expected an integer id, found the number 3.5");
  d["model"]["vocab"]["c"] = 9;
  EXPECT_HAS(errorOf(d), "x.json: model.vocab[\"c\"]: id 9 is out of range: the vocab has 4 entries, so its ids are 0..3");
  d["model"]["vocab"]["c"] = -1;
  EXPECT_HAS(errorOf(d), "id -1 is out of range");
  d["model"]["vocab"]["c"] = 1;
  EXPECT_HAS(errorOf(d), "id 1 is also the id of \"");
}

TEST(Malformed, Merges) {
  json d = validDoc();
  d["model"]["merges"] = {"a zz"};
  EXPECT_EQ(errorOf(d), "x.json: model.merges[0]: the token \"zz\" is not in the vocab");
  d["model"]["merges"] = {"b c"};
  EXPECT_EQ(errorOf(d), "x.json: model.merges[0]: the merged token \"bc\" is not in the vocab");
  d["model"]["merges"] = {"a b", "a  b"};
  EXPECT_HAS(errorOf(d), "x.json: model.merges[1]: \"a  b\" is not two tokens separated by one space");
  d["model"]["merges"] = {"ab"};
  EXPECT_HAS(errorOf(d), "is not two tokens separated by one space");
  d["model"]["merges"] = json::array({json::array({"a", "b", "c"})});
  EXPECT_HAS(errorOf(d), "x.json: model.merges[0]: expected \"a b\" or [\"a\", \"b\"], found an array");
  d["model"]["merges"] = {5};
  EXPECT_HAS(errorOf(d), "found the integer 5");
  d["model"]["merges"] = "a b";
  EXPECT_HAS(errorOf(d), "x.json: model.merges: expected an array, found a string");
  // Both spellings load.
  d["model"]["merges"] = json::array({json::array({"a", "b"})});
  EXPECT_TRUE(Tokenizer::fromJson(d.dump(), "x.json").ok());
}

TEST(Malformed, UnknownComponents) {
  json d = validDoc();
  d["pre_tokenizer"]["pretokenizers"][1] = {{"type", "Punctuation"}, {"behavior", "Isolated"}};
  EXPECT_EQ(errorOf(d), "x.json: pre_tokenizer.pretokenizers[1]: unsupported type \"Punctuation\"");
  d = validDoc();
  d["normalizer"] = {{"type", "Lowercase"}};
  EXPECT_EQ(errorOf(d), "x.json: normalizer: unsupported type \"Lowercase\"");
  d = validDoc();
  d["decoder"]["decoders"][0] = {{"type", "WordPiece"}, {"prefix", "##"}};
  EXPECT_EQ(errorOf(d), "x.json: decoder.decoders[0]: unsupported type \"WordPiece\"");
  d = validDoc();
  d["post_processor"] = {{"type", "BertProcessing"}};
  EXPECT_EQ(errorOf(d), "x.json: post_processor: unsupported type \"BertProcessing\"");
  d = validDoc();
  d["normalizer"] = "NFC";
  EXPECT_HAS(errorOf(d), "x.json: normalizer: expected an object, found a string");
  d = validDoc();
  d["pre_tokenizer"]["pretokenizers"] = {nullptr};
  EXPECT_HAS(errorOf(d), "x.json: pre_tokenizer.pretokenizers[0]: expected a pre-tokenizer, found null");
}

TEST(Malformed, UnsupportedOptionsAreNotIgnored) {
  json d = validDoc();
  d["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
                        {"use_regex", true}, {"lowercase", true}};
  EXPECT_EQ(errorOf(d), "x.json: pre_tokenizer: unsupported option \"lowercase\"");
  d["pre_tokenizer"].erase("lowercase");
  d["pre_tokenizer"]["add_prefix_space"] = "no";
  EXPECT_EQ(errorOf(d), "x.json: pre_tokenizer.add_prefix_space: expected a boolean, found a string");
}

TEST(Malformed, Patterns) {
  json d = validDoc();
  d["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"Regex", "(ab"}};
  EXPECT_HAS(errorOf(d), "x.json: pre_tokenizer.pretokenizers[0].pattern.Regex: bad regex at offset 3");
  d["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"Glob", "*"}};
  EXPECT_HAS(errorOf(d), "x.json: pre_tokenizer.pretokenizers[0].pattern: unsupported pattern kind \"Glob\"");
  d["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"String", 7}};
  EXPECT_HAS(errorOf(d), "pattern.String: expected a string, found the integer 7");
  d["pre_tokenizer"]["pretokenizers"][0]["pattern"] = "\\s";
  EXPECT_HAS(errorOf(d), "pattern: expected {\"String\": ...} or {\"Regex\": ...}, found a string");
  d = validDoc();
  d["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Squashed";
  EXPECT_HAS(errorOf(d), "x.json: pre_tokenizer.pretokenizers[0].behavior: unknown behavior \"Squashed\"");
}

TEST(Malformed, Metaspace) {
  json d = validDoc();
  d["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "ab"}, {"prepend_scheme", "first"}, {"split", true}};
  EXPECT_HAS(errorOf(d), "x.json: pre_tokenizer.replacement: \"ab\" is not one character");
  d["pre_tokenizer"]["replacement"] = "▁";
  d["pre_tokenizer"]["prepend_scheme"] = "sometimes";
  EXPECT_HAS(errorOf(d), "x.json: pre_tokenizer.prepend_scheme: unknown scheme \"sometimes\"");
  d["pre_tokenizer"]["prepend_scheme"] = "first";
  d["pre_tokenizer"]["add_prefix_space"] = false;
  EXPECT_HAS(errorOf(d), "x.json: pre_tokenizer: add_prefix_space false contradicts prepend_scheme \"first\"");
}

TEST(Malformed, Decoders) {
  json d = validDoc();
  d["decoder"]["decoders"][1]["content"] = "  ";
  EXPECT_HAS(errorOf(d), "x.json: decoder.decoders[1].content: \"  \" is not one character");
  d = validDoc();
  d["decoder"]["decoders"][1]["start"] = -1;
  EXPECT_HAS(errorOf(d), "x.json: decoder.decoders[1].start: -1 is out of range");
}

TEST(Malformed, AddedTokens) {
  json d = validDoc();
  d["added_tokens"][0]["id"] = 0;
  EXPECT_EQ(errorOf(d), "x.json: added_tokens[0].id: \"<s>\" has id 0, which the vocab gives to \"a\"");
  d["added_tokens"][0]["id"] = 7;
  EXPECT_HAS(errorOf(d), "\"<s>\" has id 7, but a token outside the vocab takes the next free id, 4");
  d = validDoc();
  d["added_tokens"][0]["content"] = "ab";
  d["added_tokens"][0]["id"] = 3;
  EXPECT_EQ(errorOf(d), "x.json: added_tokens[0].id: \"ab\" has id 3, but the vocab gives it id 2");
  d = validDoc();
  d["added_tokens"].push_back(d["added_tokens"][0]);
  d["added_tokens"][1]["id"] = 5;
  EXPECT_EQ(errorOf(d), "x.json: added_tokens[1]: \"<s>\" is also added_tokens[0]");
  d = validDoc();
  d["added_tokens"][0]["content"] = "";
  EXPECT_HAS(errorOf(d), "x.json: added_tokens[0].content: the content is empty");
  d = validDoc();
  d["added_tokens"][0]["lstrip"] = 1;
  EXPECT_HAS(errorOf(d), "x.json: added_tokens[0].lstrip: expected a boolean, found the integer 1");
  d = validDoc();
  d["added_tokens"][0].erase("special");
  EXPECT_HAS(errorOf(d), "x.json: added_tokens[0]: no \"special\" boolean");
  d = validDoc();
  d["added_tokens"][0].erase("id");
  EXPECT_HAS(errorOf(d), "x.json: added_tokens[0]: no \"id\" integer");
  d = validDoc();
  d["added_tokens"] = {{"content", "<s>"}};
  EXPECT_HAS(errorOf(d), "x.json: added_tokens: expected an array, found an object");
}

TEST(Malformed, TemplateProcessing) {
  json d = validDoc();
  d["post_processor"]["single"][0]["SpecialToken"]["id"] = "</s>";
  EXPECT_EQ(errorOf(d), "x.json: post_processor.single[0].SpecialToken.id: \"</s>\" is not in special_tokens");
  d = validDoc();
  d["post_processor"]["special_tokens"]["<s>"]["ids"] = {5};
  EXPECT_EQ(errorOf(d), "x.json: post_processor.special_tokens[\"<s>\"].ids[0]: 5 is not an id of the vocab (0..4)");
  d = validDoc();
  d["post_processor"]["single"][1]["Sequence"]["id"] = "B";
  EXPECT_HAS(errorOf(d), "x.json: post_processor.single[1].Sequence.id: the sequence \"B\" is not \"A\"");
  d = validDoc();
  d["post_processor"]["special_tokens"]["<s>"]["tokens"] = json::array();
  EXPECT_HAS(errorOf(d), "x.json: post_processor.special_tokens[\"<s>\"]: 1 ids but 0 tokens");
  d = validDoc();
  d["post_processor"]["single"][0] = {{"Special", {{"id", "<s>"}}}};
  EXPECT_HAS(errorOf(d), "x.json: post_processor.single[0]: unknown template item \"Special\"");
}

TEST(Malformed, NestingIsBounded) {
  json d = validDoc();
  json n = {{"type", "NFC"}};
  for (int i = 0; i < 40; ++i) n = {{"type", "Sequence"}, {"normalizers", {n}}};
  d["normalizer"] = n;
  EXPECT_HAS(errorOf(d), "Sequences nested too deeply");
}

TEST(Malformed, MissingFile) {
  auto t = Tokenizer::fromFile("/nonexistent/tokenizer.json");
  ASSERT_FALSE(t.ok());
  EXPECT_HAS(t.status().message(), "/nonexistent/tokenizer.json");
}

TEST(Malformed, TextThatIsNotUtf8IsRefused) {
  auto t = Tokenizer::fromJson(validDoc().dump(), "x.json");
  ASSERT_TRUE(t.ok());
  for (const std::string bad : {std::string("ab\xff"), std::string("ab\xc3"), std::string("\xed\xa0\x80"),
                                std::string("\xc0\xaf"), std::string("\xf4\x90\x80\x80")}) {
    auto ids = (*t)->encode(bad, true);
    ASSERT_FALSE(ids.ok());
    EXPECT_HAS(ids.status().message(), "x.json: cannot encode text that is not UTF-8 (ill-formed at byte");
  }
  auto ids = (*t)->encode("ab\xff", true);
  EXPECT_HAS(ids.status().message(), "at byte 2 of 3");
}

}  // namespace
}  // namespace hexmoe::tokenizer
