// Checkpoint directories: one file or shards through the index, and each
// malformed index or shard set refused with a message naming it.
#include "models/weights/checkpoint.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "tests/unit/models/weights/test_files.h"

namespace hexmoe::weights {
namespace {

using namespace testing;

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

/// A one-tensor shard holding `name` = [v] (F32).
void writeShard(const std::string& path, const std::vector<std::string>& names) {
  std::string header = "{";
  std::vector<float> values;
  for (size_t i = 0; i < names.size(); ++i) {
    header += (i ? "," : "") + std::string("\"") + names[i] + R"(":{"dtype":"F32","shape":[1],"data_offsets":[)" +
              std::to_string(4 * i) + "," + std::to_string(4 * i + 4) + "]}";
    values.push_back(static_cast<float>(i + 1));
  }
  writeFile(path, safetensorsBytes(header + "}", bytesOf(values)));
}

std::string openError(const std::string& dir) {
  auto c = Checkpoint::open(dir);
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : c.status().message();
}

TEST(Checkpoint, OpensASingleFile) {
  TempDir dir;
  writeShard(dir / "model.safetensors", {"x", "y"});
  auto c = Checkpoint::open(dir.path());
  ASSERT_TRUE(c.ok()) << c.status().toString();
  EXPECT_EQ((*c)->names(), (std::vector<std::string>{"x", "y"}));
  auto y = (*c)->require("y");
  ASSERT_TRUE(y.ok());
  float v;
  convertToF32((*y)->info->dtype, (*y)->bytes(), 1, &v);
  EXPECT_EQ(v, 2.0f);
  auto missing = (*c)->require("z");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_HAS(missing.status().message(), "has no tensor 'z'");
}

TEST(Checkpoint, OpensShardsThroughTheIndex) {
  TempDir dir;
  writeShard(dir / "model-00001-of-00002.safetensors", {"a", "b"});
  mkdir((dir / "sub").c_str(), 0700);
  writeShard(dir / "sub/model-00002-of-00002.safetensors", {"c"});
  writeText(dir / "model.safetensors.index.json",
            R"({"metadata":{"total_size":12},"weight_map":{"a":"model-00001-of-00002.safetensors",)"
            R"("b":"model-00001-of-00002.safetensors","c":"sub/model-00002-of-00002.safetensors"}})");
  auto c = Checkpoint::open(dir.path());
  ASSERT_TRUE(c.ok()) << c.status().toString();
  EXPECT_EQ((*c)->size(), 3u);
  EXPECT_EQ((*c)->shards().size(), 2u);
  const CheckpointTensor* t = (*c)->find("c");
  ASSERT_NE(t, nullptr);
  EXPECT_HAS(t->shard->path(), "sub/model-00002-of-00002.safetensors");
}

TEST(Checkpoint, RefusesADirectoryWithoutCheckpoint) {
  TempDir dir;
  auto c = Checkpoint::open(dir.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_HAS(c.status().message(), "no model.safetensors.index.json and no model.safetensors");
}

TEST(Checkpoint, RefusesShardNamesOutsideTheDirectory) {
  TempDir dir;
  writeText(dir / "model.safetensors.index.json", R"({"weight_map":{"a":"../other/model.safetensors"}})");
  EXPECT_HAS(openError(dir.path()), "tensor 'a': shard name '../other/model.safetensors' has a '..' component");
  writeText(dir / "model.safetensors.index.json", R"({"weight_map":{"a":"/etc/passwd"}})");
  EXPECT_HAS(openError(dir.path()), "shard name '/etc/passwd' is an absolute path");
  writeText(dir / "model.safetensors.index.json", R"({"weight_map":{"a":""}})");
  EXPECT_HAS(openError(dir.path()), "shard name '' is empty");
}

TEST(Checkpoint, RefusesMalformedIndex) {
  TempDir dir;
  writeText(dir / "model.safetensors.index.json", "{\"weight_map\":");
  EXPECT_HAS(openError(dir.path()), "model.safetensors.index.json: not valid JSON");
  writeText(dir / "model.safetensors.index.json", R"({"metadata":{}})");
  EXPECT_HAS(openError(dir.path()), "no \"weight_map\" object");
  writeText(dir / "model.safetensors.index.json", R"({"weight_map":{"a":3}})");
  EXPECT_HAS(openError(dir.path()), "tensor 'a': the shard is not a string");
  writeText(dir / "model.safetensors.index.json", R"({"weight_map":{"a":"s.safetensors","a":"t.safetensors"}})");
  EXPECT_HAS(openError(dir.path()), "weight_map lists tensor 'a' twice");
}

TEST(Checkpoint, RefusesMissingShard) {
  TempDir dir;
  writeShard(dir / "s1.safetensors", {"a"});
  writeText(dir / "model.safetensors.index.json", R"({"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}})");
  auto c = Checkpoint::open(dir.path());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_HAS(c.status().message(), "shard 's2.safetensors' (holding tensor 'b') is missing");
}

TEST(Checkpoint, RefusesATensorInTwoShards) {
  TempDir dir;
  writeShard(dir / "s1.safetensors", {"a", "b"});
  writeShard(dir / "s2.safetensors", {"b"});
  writeText(dir / "model.safetensors.index.json", R"({"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}})");
  EXPECT_HAS(openError(dir.path()), "tensor 'b' is held by shard 's1.safetensors', but the index puts it in shard "
                                    "'s2.safetensors'");
}

TEST(Checkpoint, RefusesListedTensorsAShardDoesNotHold) {
  TempDir dir;
  writeShard(dir / "s1.safetensors", {"a"});
  writeText(dir / "model.safetensors.index.json", R"({"weight_map":{"a":"s1.safetensors","b":"s1.safetensors"}})");
  EXPECT_HAS(openError(dir.path()), "tensor 'b' is listed in shard 's1.safetensors', which does not hold it");
}

TEST(Checkpoint, RefusesTensorsTheIndexDoesNotList) {
  TempDir dir;
  writeShard(dir / "s1.safetensors", {"a", "extra"});
  writeText(dir / "model.safetensors.index.json", R"({"weight_map":{"a":"s1.safetensors"}})");
  EXPECT_HAS(openError(dir.path()), "s1.safetensors: tensor 'extra' is not listed in");
}

TEST(Checkpoint, ReportsAMalformedShardByName) {
  TempDir dir;
  writeFile(dir / "s1.safetensors", {1, 2, 3});
  writeText(dir / "model.safetensors.index.json", R"({"weight_map":{"a":"s1.safetensors"}})");
  EXPECT_HAS(openError(dir.path()), "s1.safetensors: the file is 3 bytes");
}

}  // namespace
}  // namespace hexmoe::weights
