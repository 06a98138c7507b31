// hexmoe-run's value handling: bf16 rounding, .npy conversion, the --input
// syntax and result printing.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "tools/hexmoe-run/values.h"

namespace hexmoe::tools {
namespace {

template <typename T>
std::vector<T> as(const HostTensor& t) {
  std::vector<T> v(t.data.size() / sizeof(T));
  std::memcpy(v.data(), t.data.data(), t.data.size());
  return v;
}

template <typename T>
NpyArray npy(NpyDType dtype, std::vector<int64_t> shape, const std::vector<T>& values) {
  NpyArray a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.data.assign(reinterpret_cast<const uint8_t*>(values.data()),
                reinterpret_cast<const uint8_t*>(values.data()) + values.size() * sizeof(T));
  return a;
}

float fromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(roundToBf16(1.0f), 0x3F80);
  EXPECT_EQ(roundToBf16(1.00390625f), 0x3F80);  // halfway, 0x3F80 is even
  EXPECT_EQ(roundToBf16(1.01171875f), 0x3F82);  // halfway, rounds up to even
  EXPECT_EQ(roundToBf16(fromBits(0x3F808001)), 0x3F81);  // just above halfway
  EXPECT_EQ(roundToBf16(-2.5f), 0xC020);
  EXPECT_EQ(roundToBf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds to inf
  EXPECT_EQ(roundToBf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_TRUE(std::isnan(bf16ToFloat(roundToBf16(std::nanf("")))));
  EXPECT_EQ(bf16ToFloat(0x4049), 3.140625f);
}

TEST(FromNpy, ConvertsWhatEachTypeAccepts) {
  HostTensor t;
  std::string error;
  ASSERT_TRUE(fromNpy(npy<double>(NpyDType::kF8, {2}, {0.1, -3.0}), HEXMOE_F32, t, error)) << error;
  EXPECT_EQ(as<float>(t), (std::vector<float>{0.1f, -3.0f}));
  ASSERT_TRUE(fromNpy(npy<float>(NpyDType::kF4, {2}, {1.01171875f, 2.0f}), HEXMOE_BF16, t, error)) << error;
  EXPECT_EQ(as<uint16_t>(t), (std::vector<uint16_t>{0x3F82, 0x4000}));
  ASSERT_TRUE(fromNpy(npy<uint16_t>(NpyDType::kU2, {1}, {0x1234}), HEXMOE_BF16, t, error)) << error;
  EXPECT_EQ(as<uint16_t>(t), std::vector<uint16_t>{0x1234});
  ASSERT_TRUE(fromNpy(npy<int64_t>(NpyDType::kI8, {2}, {5, -7}), HEXMOE_I32, t, error)) << error;
  EXPECT_EQ(as<int32_t>(t), (std::vector<int32_t>{5, -7}));
  ASSERT_TRUE(fromNpy(npy<int32_t>(NpyDType::kI4, {1, 1}, {9}), HEXMOE_I64, t, error)) << error;
  EXPECT_EQ(as<int64_t>(t), std::vector<int64_t>{9});
  EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 1}));
}

TEST(FromNpy, RefusesWhatDoesNotFit) {
  HostTensor t;
  std::string error;
  EXPECT_FALSE(fromNpy(npy<int32_t>(NpyDType::kI4, {1}, {1}), HEXMOE_F32, t, error));
  EXPECT_EQ(error, "expected f32, got <i4 (f32 arguments take <f4 or <f8)");
  EXPECT_FALSE(fromNpy(npy<double>(NpyDType::kF8, {1}, {1}), HEXMOE_BF16, t, error));
  EXPECT_EQ(error, "expected bf16, got <f8 (bf16 arguments take <f4 (rounded) or <u2 (raw bits))");
  EXPECT_FALSE(fromNpy(npy<int64_t>(NpyDType::kI8, {2}, {1, int64_t{1} << 40}), HEXMOE_I32, t, error));
  EXPECT_EQ(error, "element 1 (1099511627776) does not fit in i32");
}

TEST(ParseValues, NestedLists) {
  HostTensor t;
  std::string error;
  ASSERT_TRUE(parseValues("[[1,2],[3, 4.5]]", HEXMOE_F32, t, error)) << error;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(as<float>(t), (std::vector<float>{1, 2, 3, 4.5f}));
  ASSERT_TRUE(parseValues(" [ [ [1] , [2] ] ] ", HEXMOE_I64, t, error)) << error;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 2, 1}));
  ASSERT_TRUE(parseValues("[]", HEXMOE_F32, t, error)) << error;
  EXPECT_EQ(t.shape, std::vector<int64_t>{0});
  ASSERT_TRUE(parseValues("[[],[]]", HEXMOE_F32, t, error)) << error;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 0}));
  ASSERT_TRUE(parseValues("[1.01171875]", HEXMOE_BF16, t, error)) << error;
  EXPECT_EQ(as<uint16_t>(t), std::vector<uint16_t>{0x3F82});
  ASSERT_TRUE(parseValues("[nan, -inf, 1e-3]", HEXMOE_F32, t, error)) << error;
}

TEST(ParseValues, ShapeTypeEqualsValues) {
  HostTensor t;
  std::string error;
  ASSERT_TRUE(parseValues("2x3xf32=1,2,3,4,5,6", HEXMOE_F32, t, error)) << error;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(as<float>(t), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  ASSERT_TRUE(parseValues("2x2xi32=7", HEXMOE_I32, t, error)) << error;
  EXPECT_EQ(as<int32_t>(t), (std::vector<int32_t>{7, 7, 7, 7}));
  ASSERT_TRUE(parseValues("f32=2.5", HEXMOE_F32, t, error)) << error;
  EXPECT_TRUE(t.shape.empty());
  EXPECT_EQ(as<float>(t), std::vector<float>{2.5f});
  ASSERT_TRUE(parseValues("-3", HEXMOE_I64, t, error)) << error;
  EXPECT_EQ(as<int64_t>(t), std::vector<int64_t>{-3});
  ASSERT_TRUE(parseValues("0x4xf32=", HEXMOE_F32, t, error)) << error;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{0, 4}));
}

TEST(ParseValues, ErrorsSayWhatIsWrong) {
  HostTensor t;
  std::string error;
  EXPECT_FALSE(parseValues("[[1,2],[3]]", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "ragged lists: 1 elements where a sibling has 2");
  EXPECT_FALSE(parseValues("[[1,2],3]", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "ragged nesting: lists and numbers mixed at one depth");
  EXPECT_FALSE(parseValues("[1,[2]]", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "ragged nesting: lists and numbers mixed at one depth");
  EXPECT_FALSE(parseValues("[1,2", HEXMOE_F32, t, error));
  EXPECT_FALSE(parseValues("[1,abc]", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "'abc' is not a number");
  EXPECT_FALSE(parseValues("[1.5]", HEXMOE_I32, t, error));
  EXPECT_EQ(error, "'1.5' is not an integer");
  EXPECT_FALSE(parseValues("[3000000000]", HEXMOE_I32, t, error));
  EXPECT_EQ(error, "'3000000000' is out of range for i32");
  EXPECT_FALSE(parseValues("2x3xf32=1,2", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "2x3xf32 takes 6 values (or one to fill it), got 2");
  EXPECT_FALSE(parseValues("2xi32=1,2", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "expected f32 values, got 'i32'");
  EXPECT_FALSE(parseValues("ax2xf32=1", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "bad extent 'a' in 'ax2xf32'");
  EXPECT_FALSE(parseValues("", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "no values");
}

TEST(ParseValues, DeepNestingIsRefusedWithoutRecursingIntoIt) {
  HostTensor t;
  std::string error;
  const std::string tooDeep = "lists nested deeper than 64 (the most dimensions a tensor may have)";
  EXPECT_FALSE(parseValues(std::string(60000, '['), HEXMOE_F32, t, error));
  EXPECT_EQ(error, tooDeep);
  EXPECT_FALSE(parseValues(std::string(60000, '[') + "1" + std::string(60000, ']'), HEXMOE_F32, t, error));
  EXPECT_EQ(error, tooDeep);
  EXPECT_FALSE(parseValues(std::string(65, '[') + "1" + std::string(65, ']'), HEXMOE_F32, t, error));
  EXPECT_EQ(error, tooDeep);
  ASSERT_TRUE(parseValues(std::string(64, '[') + "1" + std::string(64, ']'), HEXMOE_F32, t, error)) << error;
  EXPECT_EQ(t.shape, std::vector<int64_t>(64, 1));
}

TEST(ParseValues, ShapesAreCheckedBeforeAnythingIsFilled) {
  HostTensor t;
  std::string error;
  EXPECT_FALSE(parseValues("1099511627776x1099511627776xf32=0", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "1099511627776x1099511627776xf32 has more than 2^63-1 elements");
  EXPECT_FALSE(parseValues("4294967296x4294967296x4294967296xi64=1,2", HEXMOE_I64, t, error));
  EXPECT_EQ(error, "4294967296x4294967296x4294967296xi64 has more than 2^63-1 elements");
  EXPECT_FALSE(parseValues("281474976710656xf32=0", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "281474976710656xf32 has 281474976710656 elements of 4 bytes, more than this host's memory (" +
                       std::to_string(maxTensorBytes()) + " bytes)");
  EXPECT_TRUE(t.data.empty());
  EXPECT_EQ(t.data.capacity(), 0u);
  EXPECT_FALSE(parseValues("99999999999999999999xf32=0", HEXMOE_F32, t, error));
  EXPECT_EQ(error, "bad extent '99999999999999999999' in '99999999999999999999xf32'");
  std::string rank65;
  for (int i = 0; i < 65; ++i) rank65 += "1x";
  EXPECT_FALSE(parseValues(rank65 + "f32=0", HEXMOE_F32, t, error));
  EXPECT_EQ(error, rank65 + "f32 has 65 dimensions, more than the 64 a tensor may have");
  // An empty tensor needs no memory, however large its other extents.
  ASSERT_TRUE(parseValues("0x1099511627776xbf16=", HEXMOE_BF16, t, error)) << error;
  EXPECT_EQ(t.shape, (std::vector<int64_t>{0, int64_t{1} << 40}));
  EXPECT_TRUE(t.data.empty());
}

std::string format(hexmoe_element_type_t type, std::vector<int64_t> shape, const void* data) {
  return formatTensor(type, shape, data);
}

TEST(ParseValues, OneValueFillsLargeTensorsAndTheLimitHolds) {
  HostTensor t;
  std::string error;
  // A fill is a few copies, not one insertion per element.
  ASSERT_TRUE(parseValues("3x1000003xi32=7", HEXMOE_I32, t, error)) << error;
  ASSERT_EQ(t.data.size(), size_t{3} * 1000003 * 4);
  const int32_t* v = reinterpret_cast<const int32_t*>(t.data.data());
  EXPECT_EQ(v[0], 7);
  EXPECT_EQ(v[1500000], 7);
  EXPECT_EQ(v[3 * 1000003 - 1], 7);
  // A process-wide cap (the fuzz targets set one) is the one the check uses.
  setMaxTensorBytes(size_t{1} << 20);
  EXPECT_FALSE(parseValues("286028606xi32=1", HEXMOE_I32, t, error));
  EXPECT_EQ(error, "286028606xi32 has 286028606 elements of 4 bytes, more than this host's memory (1048576 bytes)");
  setMaxTensorBytes(0);
  EXPECT_GT(maxTensorBytes(), size_t{1} << 20);
}

TEST(FormatTensor, NumpyStyle) {
  const float m[] = {1, 2.5f, 3, 0.1f, -4, 1e10f};
  EXPECT_EQ(format(HEXMOE_F32, {2, 3}, m), "[[1, 2.5, 3],\n [0.1, -4, 1e+10]]");
  EXPECT_EQ(format(HEXMOE_F32, {}, m + 1), "2.5");
  EXPECT_EQ(format(HEXMOE_F32, {0}, m), "[]");
  // Found by fuzz_values: an empty tensor with large other extents printed
  // row by empty row, for minutes.
  EXPECT_EQ(format(HEXMOE_F32, {int64_t{1} << 40, 0}, m), "[]");
  EXPECT_EQ(format(HEXMOE_F32, {2, 0, 3}, m), "[]");
  const int64_t cube[] = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(format(HEXMOE_I64, {2, 2, 2}, cube), "[[[1, 2],\n  [3, 4]],\n\n [[5, 6],\n  [7, 8]]]");
  const uint16_t bf[] = {0x3F80, 0xC020};
  EXPECT_EQ(format(HEXMOE_BF16, {2}, bf), "[1, -2.5]");
  const float special[] = {std::nanf(""), -std::numeric_limits<float>::infinity()};
  EXPECT_EQ(format(HEXMOE_F32, {2}, special), "[nan, -inf]");
}

TEST(FormatTensor, SummarisesLargeTensorsAndWrapsLongRows) {
  std::vector<int32_t> v(2000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(i);
  EXPECT_EQ(format(HEXMOE_I32, {2000}, v.data()), "[0, 1, 2, ..., 1997, 1998, 1999]");
  EXPECT_EQ(format(HEXMOE_I32, {40, 50}, v.data()),
            "[[0, 1, 2, ..., 47, 48, 49],\n [50, 51, 52, ..., 97, 98, 99],\n [100, 101, 102, ..., 147, 148, 149],\n"
            " ...,\n [1850, 1851, 1852, ..., 1897, 1898, 1899],\n [1900, 1901, 1902, ..., 1947, 1948, 1949],\n"
            " [1950, 1951, 1952, ..., 1997, 1998, 1999]]");
  const std::string row = format(HEXMOE_I32, {40}, v.data() + 1000);
  EXPECT_NE(row.find('\n'), std::string::npos);
  for (size_t start = 0, end; start < row.size(); start = end + 1) {
    end = row.find('\n', start);
    if (end == std::string::npos) end = row.size();
    EXPECT_LE(end - start, 75u) << row;
  }
}

TEST(ToNpy, Bf16BecomesF4) {
  const uint16_t bf[] = {0x3F80, 0x4049};
  NpyArray a = toNpy(HEXMOE_BF16, {2}, bf);
  EXPECT_EQ(a.dtype, NpyDType::kF4);
  float f[2];
  std::memcpy(f, a.data.data(), 8);
  EXPECT_EQ(f[0], 1.0f);
  EXPECT_EQ(f[1], 3.140625f);
  const int64_t ints[] = {1, 2, 3};
  EXPECT_EQ(toNpy(HEXMOE_I64, {3}, ints).dtype, NpyDType::kI8);
}

}  // namespace
}  // namespace hexmoe::tools
