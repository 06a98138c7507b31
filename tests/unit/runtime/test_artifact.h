// Builds hexmoe artifacts for runtime tests with the FlatBuffers builder and
// the kernels of kernels/test_kernels.c, so the runtime is tested end to end
// without the compiler.
//
// Functions (dims in brackets):
//   add_scale(a: f32[T,4], b: f32[T,4]) -> (out: f32[T,4])       out = 2(a+b),
//       through a transient and two dispatches
//   pair_sum(x: f32[T,3], y: f32[2*T], z: f32[U]) -> (out: f32[T], info: i64[2])
//       out[t] = sum x[t,:] + y[2t] + y[2t+1]; info = {T, U}
//   coverage(x: i32[N]) -> (counts: i32[N])   every entry 2 when each of N
//       workgroups ran exactly once and dispatches were ordered
//   variant() -> (tag: i32[1])                which kernel build ran: 1, 3, 4
//   bf16_widen(x: bf16[N]) -> (out: f32[N])
#ifndef HEXMOE_TESTS_UNIT_RUNTIME_TEST_ARTIFACT_H_
#define HEXMOE_TESTS_UNIT_RUNTIME_TEST_ARTIFACT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace hexmoe::test {

struct TestVariant {
  std::string isa;  // the executable's name
  std::vector<std::string> features;
  int tag;  // which build of test_kernels.c: 1 (generic), 3, 4; 0 is not an ELF file
  std::string format = "cpu-x86_64";
};

struct TestArtifactOptions {
  /// Default: x86-64-v4 {avx512f, avx512bw} (tag 4), x86-64-v3 {avx, avx2,
  /// fma} (tag 3), generic {sse2} (tag 1).
  std::vector<TestVariant> variants = defaultVariants();
  /// Renames one kernel to a symbol no build exports.
  bool missingKernel = false;
  /// A dispatch names a kernel index past the end of the kernel table.
  bool badKernelIndex = false;
  /// Each shared object is cut to this many bytes (0: whole).
  size_t truncateObjectsTo = 0;
  /// Executables record one kernel launch fewer than there are kernels.
  bool missingLaunch = false;
  /// pair_sum's U appears in no argument (only in a result).
  bool uninferableDim = false;
  /// Edits after compilation, each consistent with the rest of the artifact's
  /// metadata, which only the kernels' ABI records can refute:
  /// hexmoe_test_add's workgroups per tile in every executable (0: as built),
  int64_t addWorkgroups = 0;
  /// pair_sum's dispatch binds y, x, out instead of x, y, out (the kernel
  /// table too, with permutedKernelTable),
  bool permutedBindings = false;
  bool permutedKernelTable = false;
  /// and the kernel table's entries for pair_sum and bf16_to_f32 name each
  /// other's symbol.
  bool swappedKernelNames = false;

  static std::vector<TestVariant> defaultVariants();
};

/// The FlatBuffer payload, without the container header.
std::vector<uint8_t> buildTestPayload(const TestArtifactOptions& options = {});
/// A complete .hxm file: container header + payload.
std::vector<uint8_t> buildTestArtifact(const TestArtifactOptions& options = {});

/// The bytes of test_kernels.c built with HEXMOE_TEST_VARIANT = tag (0: a
/// few bytes of text instead).
std::vector<uint8_t> testKernelLibrary(int tag);
std::vector<uint8_t> readFileBytes(const std::string& path);

}  // namespace hexmoe::test

#endif  // HEXMOE_TESTS_UNIT_RUNTIME_TEST_ARTIFACT_H_
