// hexmoe-run as a user meets it: the binary, run on a test artifact, with
// exit codes, messages and written .npy files checked.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "runtime/schema/artifact_file.h"
#include "tests/unit/runtime/test_artifact.h"
#include "tools/hexmoe-run/npy.h"

namespace hexmoe::test {
namespace {

struct RunResult {
  int exitCode;
  std::string out;
  std::string err;
};

class HexmoeRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char dir[] = "/tmp/hexmoe-run-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    writeFile(dir_ + "/test.hxm", buildTestArtifact());
    TestArtifactOptions v4only;
    v4only.variants = {{"x86-64-v4", {"avx512f", "avx512bw"}, 4}};
    writeFile(dir_ + "/v4only.hxm", buildTestArtifact(v4only));
    std::vector<uint8_t> corrupt = buildTestArtifact();
    corrupt[corrupt.size() / 3] ^= 1;
    writeFile(dir_ + "/corrupt.hxm", corrupt);

    float a[12];
    double b[12];
    int32_t ints[4] = {1, 2, 3, 4};
    for (int i = 0; i < 12; ++i) a[i] = static_cast<float>(i), b[i] = 100.0;
    writeNpy("a.npy", tools::NpyDType::kF4, {3, 4}, a, sizeof(a));
    writeNpy("b.npy", tools::NpyDType::kF8, {3, 4}, b, sizeof(b));
    writeNpy("ints.npy", tools::NpyDType::kI4, {4}, ints, sizeof(ints));
    writeNpy("x3.npy", tools::NpyDType::kF4, {4, 3}, a, sizeof(a));
    writeNpy("y.npy", tools::NpyDType::kF4, {8}, a, 8 * sizeof(float));
    writeNpy("z.npy", tools::NpyDType::kF4, {2}, a, 2 * sizeof(float));
  }
  static void TearDownTestSuite() { std::system(("rm -rf " + dir_).c_str()); }

  static void writeFile(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
  }
  static void writeNpy(const std::string& name, tools::NpyDType dtype, std::vector<int64_t> shape, const void* data,
                       size_t bytes) {
    tools::NpyArray array;
    array.dtype = dtype;
    array.shape = std::move(shape);
    array.data.assign(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + bytes);
    std::string error;
    ASSERT_TRUE(tools::writeNpy(dir_ + "/" + name, array, error)) << error;
  }
  static std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  /// Runs hexmoe-run with `args` (a shell fragment; $D is the test folder)
  /// and `env` ("NAME=value ...") in its environment.
  static RunResult run(std::string args, const std::string& env = "") {
    for (size_t p; (p = args.find("$D")) != std::string::npos;) args.replace(p, 2, dir_);
    const std::string out = dir_ + "/stdout", err = dir_ + "/stderr";
    const std::string cmd = std::string("env -u HEXMOE_CPU_FEATURES -u HEXMOE_CPU_VARIANT ") + env + " " + HEXMOE_RUN_PATH +
                            " " + args + " >" + out + " 2>" + err;
    const int status = std::system(cmd.c_str());
    return RunResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
  }

  static std::string dir_;
};

std::string HexmoeRunTest::dir_;

TEST_F(HexmoeRunTest, Help) {
  RunResult r = run("--help");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_NE(r.out.find("usage: hexmoe-run ARTIFACT.hxm"), std::string::npos);
  EXPECT_NE(r.out.find("2x3xf32=1,2,3,4,5,6"), std::string::npos);
  EXPECT_NE(r.out.find("<u2 (raw bf16 bits)"), std::string::npos);
}

TEST_F(HexmoeRunTest, UsageErrors) {
  RunResult r = run("");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.err, "hexmoe-run: error: no artifact given (usage: hexmoe-run ARTIFACT.hxm [options]; see --help)\n");
  r = run("$D/test.hxm --bogus=1");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.err, "hexmoe-run: error: unknown option '--bogus' (see --help)\n");
  r = run("$D/test.hxm --repeat=0");
  EXPECT_EQ(r.err, "hexmoe-run: error: --repeat takes a number >= 1, got '0'\n");
}

TEST_F(HexmoeRunTest, List) {
  RunResult r = run("$D/test.hxm --list");
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("  add_scale(a: f32[T,4], b: f32[T,4]) -> (out: f32[T,4])\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  pair_sum(x: f32[T,3], y: f32[2*T], z: f32[U]) -> (out: f32[T], info: i64[2])\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("  cpu:0: x86-64-v"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", format cpu-x86_64 (on "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  producer:    runtime test\n"), std::string::npos);
}

TEST_F(HexmoeRunTest, NpyInNpyOut) {
  // b.npy is f8: converted to f32 on the way in.
  RunResult r = run("$D/test.hxm --function=add_scale --input=@$D/a.npy --input=@$D/b.npy --output=@$D/out.npy");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "");
  tools::NpyArray out;
  std::string error;
  ASSERT_TRUE(tools::readNpy(dir_ + "/out.npy", out, error)) << error;
  EXPECT_EQ(out.dtype, tools::NpyDType::kF4);
  EXPECT_EQ(out.shape, (std::vector<int64_t>{3, 4}));
  float values[12];
  std::memcpy(values, out.data.data(), sizeof(values));
  for (int i = 0; i < 12; ++i) EXPECT_EQ(values[i], 2.0f * (static_cast<float>(i) + 100.0f));
}

TEST_F(HexmoeRunTest, TwoResultsTwoFiles) {
  RunResult r = run("$D/test.hxm --function=pair_sum --input=@$D/x3.npy --input=@$D/y.npy --input=@$D/z.npy "
                    "--output=@$D/o1.npy --output=@$D/o2.npy");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  tools::NpyArray info;
  std::string error;
  ASSERT_TRUE(tools::readNpy(dir_ + "/o2.npy", info, error)) << error;
  EXPECT_EQ(info.dtype, tools::NpyDType::kI8);
  int64_t dims[2];
  std::memcpy(dims, info.data.data(), sizeof(dims));
  EXPECT_EQ(dims[0], 4);
  EXPECT_EQ(dims[1], 2);
}

TEST_F(HexmoeRunTest, PlainValuesPrintResults) {
  RunResult r = run("$D/test.hxm --function=add_scale --input='[[1,2,3,4],[5,6,7,8]]' --input=2x4xf32=0.5");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "result 0 (out): f32 [2,4]\n[[3, 5, 7, 9],\n [11, 13, 15, 17]]\n");
}

TEST_F(HexmoeRunTest, Bf16Inputs) {
  // f4 values are rounded to bf16 (1.01171875 -> 1.015625), <u2 taken as bits.
  RunResult r = run("$D/test.hxm --function=bf16_widen --input='[1, 1.01171875, -2.5]'");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "result 0 (out): f32 [3]\n[1, 1.015625, -2.5]\n");
  r = run("$D/test.hxm --function=bf16_widen --input=@$D/ints.npy");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "hexmoe-run: error: argument 0 (x): expected bf16, got <i4 (bf16 arguments take <f4 (rounded) or "
                   "<u2 (raw bits)) from " + dir_ + "/ints.npy\n");
}

TEST_F(HexmoeRunTest, WrongArity) {
  RunResult r = run("$D/test.hxm --function=add_scale --input=@$D/a.npy");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "hexmoe-run: error: add_scale: expected 2 inputs, got 1 "
                   "(add_scale(a: f32[T,4], b: f32[T,4]) -> (out: f32[T,4]))\n");
  r = run("$D/test.hxm --function=add_scale --input=@$D/a.npy --input=@$D/a.npy --output=@$D/1.npy "
          "--output=@$D/2.npy");
  EXPECT_EQ(r.err, "hexmoe-run: error: add_scale: expected 1 --output files (one per result), got 2\n");
}

TEST_F(HexmoeRunTest, WrongShapeNamesTheArgumentAndItsSource) {
  RunResult r = run("$D/test.hxm --function=pair_sum --input=@$D/a.npy --input=@$D/y.npy --input=@$D/z.npy");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "hexmoe-run: error: argument 0 (x): expected f32 [T,3], got f32 [3,4] from " + dir_ + "/a.npy\n");
  r = run("$D/test.hxm --function=add_scale --input=@$D/a.npy --input=2x4xf32=1");
  EXPECT_EQ(r.err, "hexmoe-run: error: argument 1 (b): expected f32 [T,4] with T=3 (from argument 0 (a)), "
                   "got f32 [2,4] from --input=2x4xf32=1\n");
  r = run("$D/test.hxm --function=add_scale --input=@$D/ints.npy --input=@$D/a.npy");
  EXPECT_EQ(r.err, "hexmoe-run: error: argument 0 (a): expected f32, got <i4 (f32 arguments take <f4 or <f8) from " +
                       dir_ + "/ints.npy\n");
  r = run("$D/test.hxm --function=add_scale --input=@$D/missing.npy --input=@$D/a.npy");
  EXPECT_EQ(r.err, "hexmoe-run: error: argument 0 (a): " + dir_ + "/missing.npy: No such file or directory\n");
}

TEST_F(HexmoeRunTest, HostileInputsAreRefusedBeforeAnythingIsBuilt) {
  // 60,000-deep brackets: refused at depth 65, and the message quotes only
  // the start of the text.
  const std::string deep = std::string(60000, '[') + "1" + std::string(60000, ']');
  RunResult r = run("$D/test.hxm --function=bf16_widen --input='" + deep + "'");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "hexmoe-run: error: argument 0 (x): lists nested deeper than 64 (the most dimensions a tensor may "
                   "have) in --input=" + std::string(80, '[') + "... (120001 characters)\n");
  // Shapes past memory or int64 are refused before one element is filled.
  r = run("$D/test.hxm --function=bf16_widen --input=1099511627776x1099511627776xbf16=1");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "hexmoe-run: error: argument 0 (x): 1099511627776x1099511627776xbf16 has more than 2^63-1 "
                   "elements in --input=1099511627776x1099511627776xbf16=1\n");
  r = run("$D/test.hxm --function=bf16_widen --input=281474976710656xbf16=1");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("281474976710656xbf16 has 281474976710656 elements of 2 bytes, more than this host's memory"),
            std::string::npos)
      << r.err;
  // Endless devices as an input or an artifact end at their headers.
  r = run("$D/test.hxm --function=bf16_widen --input=@/dev/zero");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "hexmoe-run: error: argument 0 (x): /dev/zero: not a .npy file (no \\x93NUMPY magic)\n");
  r = run("/dev/zero");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "hexmoe-run: error: /dev/zero: not a hexmoe artifact (bad magic or shorter than the 32-byte "
                   "header)\n");
}

TEST_F(HexmoeRunTest, FunctionChoice) {
  RunResult r = run("$D/test.hxm --input=1");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "hexmoe-run: error: " + dir_ + "/test.hxm has 5 functions (add_scale, pair_sum, coverage, "
                   "variant, bf16_widen); pick one with --function=NAME\n");
  r = run("$D/test.hxm --function=nope");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.err.find("no function 'nope'"), std::string::npos);
}

TEST_F(HexmoeRunTest, RepeatPrintsTimings) {
  RunResult r = run("$D/test.hxm --function=add_scale --input=@$D/a.npy --input=@$D/a.npy --repeat=5 --threads=2 "
                    "--output=@$D/rep.npy");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out.rfind("add_scale: 5 runs, median ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("(min "), std::string::npos);
  EXPECT_NE(r.out.find(", p10 "), std::string::npos);
  EXPECT_NE(r.out.find(", p90 "), std::string::npos);
  EXPECT_NE(r.out.find("; cpu:0, 2 threads, "), std::string::npos) << r.out;
}

TEST_F(HexmoeRunTest, VariantOptions) {
  RunResult r = run("$D/test.hxm --function=variant --cpu-variant=generic");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "result 0 (tag): i32 [1]\n[1]\n");
  r = run("$D/test.hxm --function=variant --cpu-features=avx,avx2,fma");
  EXPECT_EQ(r.out, "result 0 (tag): i32 [1]\n[3]\n");
  r = run("$D/v4only.hxm --list --cpu-features=avx,avx2,fma");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "hexmoe-run: error: " + dir_ + "/v4only.hxm: no CPU variant runs on this host: x86-64-v4 needs "
                   "avx512f, avx512bw (host lacks them) [host features from the cpu driver's features option "
                   "'avx,avx2,fma']\n");
  r = run("$D/test.hxm --function=variant --cpu-features=avx,avx2,fma,avx512f,avx512bw",
          "HEXMOE_CPU_VARIANT=x86-64-v3");
  EXPECT_EQ(r.out, "result 0 (tag): i32 [1]\n[3]\n") << r.err;
}

TEST_F(HexmoeRunTest, Devices) {
  RunResult r = run("--list-devices");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out.rfind("devices:\n  cpu:0 ", 0), 0u) << r.out;
  r = run("$D/test.hxm --function=variant --device=cpu:3 --driver-option=cpu.variant=generic --repeat=2");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("; cpu:3, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("result 0 (tag): i32 [1]\n[1]\n"), std::string::npos) << r.out;
  r = run("$D/test.hxm --list --device=cpu:1 --driver-option=cpu.threads=1");
  EXPECT_NE(r.out.find("  cpu:1: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 thread)"), std::string::npos) << r.out;
  r = run("$D/test.hxm --list --device=npu");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err.rfind("hexmoe-run: error: no HAL driver named 'npu' (built in: cpu", 0), 0u) << r.err;
  r = run("$D/test.hxm --list --driver-option=cpu.colour=blue");
  EXPECT_EQ(r.err, "hexmoe-run: error: cpu driver: unknown option 'colour' (it takes threads, features, variant)\n");
  r = run("$D/test.hxm --list --driver-option='cpu.threads=1;cpu.variant=x'");
  EXPECT_EQ(r.exitCode, 2);
}

TEST_F(HexmoeRunTest, CorruptedArtifact) {
  RunResult r = run("$D/corrupt.hxm --list");
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "hexmoe-run: error: " + dir_ + "/corrupt.hxm: checksum mismatch (the file is corrupted)\n");
  r = run("$D/nothere.hxm --list");
  EXPECT_EQ(r.err, "hexmoe-run: error: " + dir_ + "/nothere.hxm: No such file or directory\n");
}

}  // namespace
}  // namespace hexmoe::test
