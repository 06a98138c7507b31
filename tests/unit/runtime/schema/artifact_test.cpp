// Loading artifacts: the good path, then every way a file can be wrong.
#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "runtime/schema/artifact_file.h"
#include "tests/unit/runtime/runtime_test_util.h"

namespace hexmoe::test {
namespace {

class ArtifactTest : public ::testing::Test {
 protected:
  Result load(const std::vector<uint8_t>& bytes) { return loadModule(rt_.get(), bytes, module_, "test.hxm"); }

  RuntimePtr rt_ = makeRuntime();
  ModulePtr module_;
};

std::string writeTemp(const std::vector<uint8_t>& bytes) {
  char path[] = "/tmp/hexmoe-artifact-test-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  close(fd);
  return path;
}

TEST_F(ArtifactTest, StreamsAreReadNoFurtherThanTheHeaderSays) {
  // An endless stream is refused from its header, not read to its end.
  hexmoe_module_t* module = nullptr;
  Result r = take(hexmoe_module_load_file(rt_.get(), "/dev/zero", &module));
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(r.message, "/dev/zero: not a hexmoe artifact (bad magic or shorter than the 32-byte header)");

  std::vector<uint8_t> bytes = buildTestArtifact();
  EXPECT_TRUE(loadFromPipe(rt_.get(), bytes, module_).ok());
  bytes.resize(bytes.size() + 4096, 0);  // padding after the declared size
  r = loadFromPipe(rt_.get(), bytes, module_);
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_TRUE(contains(r.message, "(truncated or padded)")) << r.message;

  // A header that declares a petabyte is refused before anything is allocated.
  bytes = buildTestArtifact();
  for (int i = 0; i < 8; ++i) bytes[16 + i] = i == 6 ? 0x04 : 0;
  r = loadFromPipe(rt_.get(), bytes, module_);
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_TRUE(contains(r.message, "more than a streamed artifact may hold")) << r.message;
}

TEST_F(ArtifactTest, LoadsAndDescribesItself) {
  ASSERT_TRUE(load(buildTestArtifact()).ok());
  EXPECT_STREQ(hexmoe_module_name(module_.get()), "test.hxm");
  EXPECT_STREQ(hexmoe_module_producer(module_.get()), "runtime test");
  EXPECT_STREQ(hexmoe_module_source(module_.get()), "tests/unit/runtime/test_artifact.cpp");
  ASSERT_EQ(hexmoe_module_function_count(module_.get()), 5u);
  EXPECT_EQ(hexmoe_module_function(module_.get(), 5), nullptr);

  const char* const kSignatures[] = {
      "add_scale(a: f32[T,4], b: f32[T,4]) -> (out: f32[T,4])",
      "pair_sum(x: f32[T,3], y: f32[2*T], z: f32[U]) -> (out: f32[T], info: i64[2])",
      "coverage(x: i32[N]) -> (counts: i32[N])",
      "variant() -> (tag: i32[1])",
      "bf16_widen(x: bf16[N]) -> (out: f32[N])",
  };
  for (size_t i = 0; i < 5; ++i)
    EXPECT_STREQ(hexmoe_function_signature(hexmoe_module_function(module_.get(), i)), kSignatures[i]);

  hexmoe_function_t* fn = lookup(module_.get(), "pair_sum");
  ASSERT_EQ(hexmoe_function_dim_count(fn), 2u);
  EXPECT_STREQ(hexmoe_function_dim_name(fn, 1), "U");
  EXPECT_EQ(hexmoe_function_dim_name(fn, 2), nullptr);
  ASSERT_EQ(hexmoe_function_argument_count(fn), 3u);
  ASSERT_EQ(hexmoe_function_result_count(fn), 2u);
  hexmoe_tensor_info_t info;
  HEXMOE_ASSERT_OK(hexmoe_function_argument(fn, 1, &info));
  EXPECT_STREQ(info.name, "y");
  EXPECT_EQ(info.element_type, HEXMOE_F32);
  ASSERT_EQ(info.rank, 1u);
  EXPECT_EQ(info.extents[0].dim, 0);
  EXPECT_EQ(info.extents[0].factor, 2);
  HEXMOE_ASSERT_OK(hexmoe_function_result(fn, 1, &info));
  EXPECT_EQ(info.element_type, HEXMOE_I64);
  EXPECT_EQ(info.extents[0].dim, -1);
  EXPECT_EQ(info.extents[0].static_size, 2);
  EXPECT_EQ(take(hexmoe_function_argument(fn, 3, &info)).code, HEXMOE_STATUS_OUT_OF_RANGE);

  hexmoe_function_t* missing = nullptr;
  Result r = take(hexmoe_module_lookup_function(module_.get(), "nope", &missing));
  EXPECT_EQ(r.code, HEXMOE_STATUS_NOT_FOUND);
  EXPECT_EQ(r.message, "test.hxm: no function 'nope' (it has add_scale, pair_sum, coverage, variant, bf16_widen)");
}

TEST_F(ArtifactTest, LoadsFromAFile) {
  const std::string path = writeTemp(buildTestArtifact());
  hexmoe_module_t* module = nullptr;
  HEXMOE_ASSERT_OK(hexmoe_module_load_file(rt_.get(), path.c_str(), &module));
  module_.reset(module);
  EXPECT_EQ(hexmoe_module_name(module_.get()), path);
  EXPECT_GE(variantTag(module_.get()), 1);
  std::remove(path.c_str());
}

TEST_F(ArtifactTest, MissingFileAndDirectory) {
  hexmoe_module_t* module = nullptr;
  Result r = take(hexmoe_module_load_file(rt_.get(), "/nonexistent/layer.hxm", &module));
  EXPECT_EQ(r.code, HEXMOE_STATUS_NOT_FOUND);
  EXPECT_EQ(r.message, "/nonexistent/layer.hxm: No such file or directory");
  r = take(hexmoe_module_load_file(rt_.get(), "/tmp", &module));
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(module, nullptr);
}

TEST_F(ArtifactTest, Truncated) {
  std::vector<uint8_t> bytes = buildTestArtifact();
  bytes.resize(bytes.size() - 100);
  Result r = load(bytes);
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_TRUE(contains(r.message, "test.hxm: header says")) << r.message;
  EXPECT_TRUE(contains(r.message, "(truncated or padded)")) << r.message;

  bytes.resize(20);  // inside the header
  r = load(bytes);
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_TRUE(contains(r.message, "shorter than the 32-byte header")) << r.message;
}

TEST_F(ArtifactTest, NotAnArtifact) {
  const std::string text = "this is some other file, long enough to hold a header";
  Result r = load(std::vector<uint8_t>(text.begin(), text.end()));
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(r.message, "test.hxm: not a hexmoe artifact (bad magic or shorter than the 32-byte header)");
  EXPECT_EQ(load({}).code, HEXMOE_STATUS_INVALID_ARGUMENT);
}

TEST_F(ArtifactTest, FlippedByteFailsTheChecksum) {
  std::vector<uint8_t> bytes = buildTestArtifact();
  bytes[bytes.size() / 2] ^= 0x20;
  Result r = load(bytes);
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_EQ(r.message, "test.hxm: checksum mismatch (the file is corrupted)");
}

TEST_F(ArtifactTest, WrongVersion) {
  std::vector<uint8_t> bytes = buildTestArtifact();
  bytes[8] = static_cast<uint8_t>(schema::kSchemaVersion + 1);  // little-endian u32 at offset 8
  Result r = load(bytes);
  EXPECT_EQ(r.code, HEXMOE_STATUS_FAILED_PRECONDITION);
  const std::string expected = "test.hxm: artifact schema version " + std::to_string(schema::kSchemaVersion + 1) +
                               ", this runtime reads version " + std::to_string(schema::kSchemaVersion);
  EXPECT_TRUE(contains(r.message, expected)) << r.message;
}

TEST_F(ArtifactTest, BadIdentifier) {
  // A well-formed container around a payload with another file identifier.
  std::vector<uint8_t> payload = buildTestPayload();
  std::memcpy(payload.data() + 4, "XXXX", 4);
  Result r = load(schema::wrapArtifact(payload.data(), payload.size()));
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_TRUE(contains(r.message, "lacks the HXM1 file identifier")) << r.message;
}

TEST_F(ArtifactTest, GarbagePayloadFailsTheVerifier) {
  std::vector<uint8_t> payload = buildTestPayload();
  // Keep the identifier, scramble the root offset.
  payload[0] = 0xFF;
  payload[1] = 0xFF;
  payload[2] = 0xFF;
  Result r = load(schema::wrapArtifact(payload.data(), payload.size()));
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_TRUE(contains(r.message, "FlatBuffer verification failed")) << r.message;
}

TEST_F(ArtifactTest, KernelIndexOutOfRange) {
  TestArtifactOptions options;
  options.badKernelIndex = true;
  Result r = load(buildTestArtifact(options));
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_EQ(r.message, "test.hxm: function 'add_scale': dispatch names kernel 99 of 9");
}

TEST_F(ArtifactTest, ExecutableWithoutEveryKernelsLaunch) {
  TestArtifactOptions options;
  options.missingLaunch = true;
  Result r = load(buildTestArtifact(options));
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_EQ(r.message, "test.hxm: executable 0: (cpu-x86_64) has 8 kernel launches for 9 kernels");
}

TEST_F(ArtifactTest, TruncatedSharedObjectNeverReachesDlopen) {
  // Cut after the ELF header, inside the program headers, and inside the segments.
  for (size_t cut : {100, 300, 2000}) {
    TestArtifactOptions options;
    options.variants = {{"generic", {}, 1}};
    options.truncateObjectsTo = cut;
    Result r = load(buildTestArtifact(options));
    EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS) << cut;
    EXPECT_TRUE(contains(r.message, "test.hxm, CPU variant generic: damaged shared object: ")) << r.message;
    EXPECT_TRUE(contains(r.message, "lie") || contains(r.message, "lies")) << r.message;
  }
}

// Launch metadata edited after compilation (with the checksum recomputed, as
// buildTestArtifact does) is refused by name before any kernel runs.
TEST_F(ArtifactTest, DispatchBindingAnotherTypeThanTheKernelDeclares) {
  TestArtifactOptions options;
  options.permutedBindings = true;
  Result r = load(buildTestArtifact(options));
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_EQ(r.message,
            "test.hxm: function 'pair_sum': dispatch of 'hexmoe_test_pair_sum' binds buffer 1 (y, f32 [2*T]) as "
            "binding 0, which the kernel declares f32 [T,3]");
}

TEST_F(ArtifactTest, KernelTableEditedToMatchAPermutedDispatch) {
  TestArtifactOptions options;
  options.permutedBindings = true;
  options.permutedKernelTable = true;
  Result r = load(buildTestArtifact(options));
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_TRUE(contains(r.message, "kernel 'hexmoe_test_pair_sum' does not match its code: binding 0 rank differs: "
                                  "the artifact says 1, the code was built for 2"))
      << r.message;
}

TEST_F(ArtifactTest, WorkgroupCountEditedAfterCompilation) {
  for (int64_t workgroups : {int64_t{2}, int64_t{1} << 39}) {
    TestArtifactOptions options;
    options.addWorkgroups = workgroups;
    Result r = load(buildTestArtifact(options));
    EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS) << workgroups;
    EXPECT_TRUE(contains(r.message, "kernel 'hexmoe_test_add' does not match its code: workgroups per tile differs: "
                                    "the artifact says " + std::to_string(workgroups) + ", the code was built for 1"))
        << r.message;
  }
}

TEST_F(ArtifactTest, KernelNamesSwappedInTheKernelTable) {
  TestArtifactOptions options;
  options.swappedKernelNames = true;
  Result r = load(buildTestArtifact(options));
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_TRUE(contains(r.message, "kernel 'hexmoe_test_bf16_to_f32' does not match its code")) << r.message;
}

TEST_F(ArtifactTest, MissingKernelSymbol) {
  TestArtifactOptions options;
  options.missingKernel = true;
  Result r = load(buildTestArtifact(options));
  EXPECT_EQ(r.code, HEXMOE_STATUS_NOT_FOUND);
  EXPECT_TRUE(contains(r.message, "kernel 'hexmoe_test_not_exported' is missing from the shared object"))
      << r.message;
  EXPECT_TRUE(contains(r.message, "test.hxm, CPU variant ")) << r.message;
}

TEST_F(ArtifactTest, SharedObjectThatIsNotElf) {
  TestArtifactOptions options;
  options.variants = {{"generic", {}, 0}};
  Result r = load(buildTestArtifact(options));
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(r.message, "test.hxm, CPU variant generic: not an ELF shared object");
}

TEST_F(ArtifactTest, DynamicSizeNoArgumentCarries) {
  TestArtifactOptions options;
  options.uninferableDim = true;
  Result r = load(buildTestArtifact(options));
  EXPECT_EQ(r.code, HEXMOE_STATUS_DATA_LOSS);
  EXPECT_EQ(r.message, "test.hxm: function 'pair_sum': dynamic size 'U' is in no argument's shape");
}

TEST_F(ArtifactTest, TemporaryFileFallback) {
  setenv("HEXMOE_NO_MEMFD", "1", 1);
  Result r = load(buildTestArtifact());
  unsetenv("HEXMOE_NO_MEMFD");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_GE(variantTag(module_.get()), 1);
}

TEST_F(ArtifactTest, ManyModulesLoadedAndReleasedKeepTheirOwnCode) {
  // memfd paths (/proc/self/fd/N) repeat as descriptors are reused; each
  // module must still get its own shared object.
  std::vector<ModulePtr> modules;
  std::vector<int> tags;
  const char* const kVariants[] = {"x86-64-v4", "x86-64-v3", "generic"};
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 6; ++i) {
      TestArtifactOptions options;
      const int pick = (i + round) % 3;
      const int tag = pick == 0 ? 4 : pick == 1 ? 3 : 1;
      options.variants = {{kVariants[pick], {}, tag}};
      ModulePtr m;
      ASSERT_TRUE(loadModule(rt_.get(), buildTestArtifact(options), m).ok());
      modules.push_back(std::move(m));
      tags.push_back(tag);
    }
    for (size_t i = 0; i < modules.size(); ++i) EXPECT_EQ(variantTag(modules[i].get()), tags[i]) << i;
    // Release every other one, so new loads reuse their descriptors.
    for (size_t i = modules.size(); i-- > 0;) {
      if (i % 2 == 0) {
        modules.erase(modules.begin() + static_cast<long>(i));
        tags.erase(tags.begin() + static_cast<long>(i));
      }
    }
  }
  for (size_t i = 0; i < modules.size(); ++i) EXPECT_EQ(variantTag(modules[i].get()), tags[i]) << i;
}

}  // namespace
}  // namespace hexmoe::test
