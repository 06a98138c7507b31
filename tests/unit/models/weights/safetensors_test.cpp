// The safetensors reader: a well-formed file reads back exactly, and each
// malformed-file class is refused with its own message naming the file and
// the tensor.
#include "models/weights/safetensors.h"

#include <gtest/gtest.h>

#include "tests/unit/models/weights/test_files.h"

namespace hexmoe::weights {
namespace {

using namespace testing;

/// Parses `bytes` as a file named "x.safetensors" and returns the error.
std::string errorOf(const std::vector<uint8_t>& bytes) {
  auto r = parseSafetensorsHeader(bytes.data(), bytes.size(), bytes.size(), "x.safetensors");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("x.safetensors: "), std::string::npos) << r.status().message();
  return r.status().message();
}

std::string errorOf(const std::string& header, size_t dataBytes) {
  return errorOf(safetensorsBytes(header, std::vector<uint8_t>(dataBytes, 0)));
}

#define EXPECT_HAS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

TEST(Safetensors, ReadsTensorsAndMetadataInPlace) {
  TempDir dir;
  const std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -0.5f};
  const std::vector<uint16_t> b = {0x3f80, 0xc000};  // bf16 1.0, -2.0
  // Padded with spaces, as the format allows; names out of offset order.
  const std::string header =
      R"({"b":{"dtype":"BF16","shape":[2],"data_offsets":[24,28]},)"
      R"("empty":{"dtype":"F32","shape":[0,4],"data_offsets":[28,28]},)"
      R"("__metadata__":{"format":"pt"},)"
      R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}   )";
  writeFile(dir / "m.safetensors", safetensorsBytes(header, concat(bytesOf(a), bytesOf(b))));
  auto file = SafetensorsFile::open(dir / "m.safetensors");
  ASSERT_TRUE(file.ok()) << file.status().toString();
  const SafetensorsFile& f = **file;
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.tensors()[0].name, "a");  // offset order
  EXPECT_EQ(f.metadata().at("format"), "pt");
  const TensorInfo* ta = f.find("a");
  ASSERT_NE(ta, nullptr);
  EXPECT_EQ(ta->dtype, DType::kF32);
  EXPECT_EQ(ta->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ta->offset, 8 + header.size());
  EXPECT_EQ(ta->describe(), "[2, 3] F32");
  std::vector<float> got(6);
  convertToF32(ta->dtype, f.bytes(*ta), 6, got.data());
  EXPECT_EQ(got, a);
  const TensorInfo* tb = f.find("b");
  ASSERT_NE(tb, nullptr);
  convertToF32(tb->dtype, f.bytes(*tb), 2, got.data());
  EXPECT_EQ(got[0], 1.0f);
  EXPECT_EQ(got[1], -2.0f);
  EXPECT_EQ(f.find("empty")->elementCount(), 0);
  EXPECT_EQ(f.find("missing"), nullptr);
}

TEST(Safetensors, MissingFileIsNotFound) {
  TempDir dir;
  auto file = SafetensorsFile::open(dir / "none.safetensors");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  EXPECT_HAS(file.status().message(), "none.safetensors");
}

TEST(Safetensors, RefusesShortFile) {
  EXPECT_HAS(errorOf(std::vector<uint8_t>{1, 2, 3, 4, 5}), "5 bytes, shorter than the 8-byte header length");
}

TEST(Safetensors, RefusesHeaderLengthOverTheCap) {
  std::vector<uint8_t> bytes(16, 0);
  const uint64_t n = kMaxHeaderBytes + 1;
  std::memcpy(bytes.data(), &n, 8);
  EXPECT_HAS(errorOf(bytes), "over the limit of 100000000");
}

TEST(Safetensors, RefusesHeaderPastTheEnd) {
  auto bytes = safetensorsBytes("{}", {});
  bytes[0] = 200;  // 200-byte header in a 10-byte file
  EXPECT_HAS(errorOf(bytes), "past the end of the 10-byte file");
}

TEST(Safetensors, RefusesNonJsonHeader) {
  EXPECT_HAS(errorOf(R"({"a":{"dtype":"F32",)", 0), "not valid JSON");
  EXPECT_HAS(errorOf(R"([1, 2])", 0), "not a JSON object");
  EXPECT_HAS(errorOf(R"({"a": 3})", 0), "tensor 'a': its entry is not an object");
}

TEST(Safetensors, RefusesNonUtf8Header) {
  std::string header = std::string("{\"a\xff") + R"(":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  EXPECT_HAS(errorOf(header, 4), "not valid UTF-8 (byte 11)");
  // An overlong encoding of '/' and a lone surrogate are ill-formed too.
  EXPECT_HAS(errorOf(std::string("{\"\xc0\xaf\":1}"), 0), "not valid UTF-8");
  EXPECT_HAS(errorOf(std::string("{\"\xed\xa0\x80\":1}"), 0), "not valid UTF-8");
}

TEST(Safetensors, RefusesDuplicateNames) {
  EXPECT_HAS(errorOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                     R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
             "the name 'a' appears twice");
  EXPECT_HAS(errorOf(R"({"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}})", 4),
             "tensor 'a': the key 'dtype' appears twice");
}

TEST(Safetensors, RefusesUnknownDtype) {
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}})", 4),
             "tensor 'w': unknown dtype 'F12' (known: BOOL, U8");
  EXPECT_HAS(errorOf(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", 4), "tensor 'w': no \"dtype\" string");
}

TEST(Safetensors, RefusesNegativeFractionalAndOverflowingShapes) {
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,4]}})", 4),
             "tensor 'w': shape [-1,4] has a dim that is not a non-negative integer");
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4),
             "not a non-negative integer");
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", 4),
             "tensor 'w': shape [4294967296,4294967296] overflows 64 bits");
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,4]}})", 4),
             "x F64 overflows 64 bits");
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"F32","data_offsets":[0,4]}})", 4), "no \"shape\" array");
}

TEST(Safetensors, RefusesOffsetsOutOfBounds) {
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8),
             "tensor 'w': data_offsets [0, 16] reach past the end of the data (8 bytes)");
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", 8),
             "end before they begin");
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 8),
             "not a pair of non-negative integers");
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 8),
             "not a pair of non-negative integers");
}

TEST(Safetensors, RefusesOffsetsNotMatchingShapeTimesDtype) {
  EXPECT_HAS(errorOf(R"({"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}})", 8),
             "tensor 'w': data_offsets [0, 8] hold 8 bytes, but [3] BF16 needs 6");
}

TEST(Safetensors, RefusesOverlappingTensors) {
  EXPECT_HAS(errorOf(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12),
             "tensor 'b': its bytes overlap those of tensor 'a'");
}

TEST(Safetensors, RefusesHolesAndTrailingBytes) {
  EXPECT_HAS(errorOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                     R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", 12),
             "tensor 'b': 4 unused bytes before it (after tensor 'a')");
  EXPECT_HAS(errorOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
             "(at the start of the data)");
  EXPECT_HAS(errorOf(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 6),
             "2 bytes after the last tensor that no tensor describes");
}

TEST(Safetensors, RefusesBadMetadata) {
  EXPECT_HAS(errorOf(R"({"__metadata__":{"format":1}})", 0), "__metadata__ 'format' is not a string");
  EXPECT_HAS(errorOf(R"({"__metadata__":[]})", 0), "__metadata__ is not an object");
}

}  // namespace
}  // namespace hexmoe::weights
