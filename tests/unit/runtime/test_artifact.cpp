// Test artifacts built with the FlatBuffers builder (see test_artifact.h).
#include "tests/unit/runtime/test_artifact.h"

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "artifact_generated.h"
#include "runtime/schema/artifact_file.h"

namespace hexmoe::test {
namespace {

namespace fb = flatbuffers;
using namespace hexmoe::schema;

Extent fixed(int64_t size) { return Extent(size, -1, 1); }
Extent dim(int index, int64_t factor = 1) { return Extent(0, index, factor); }

/// Kernel names in table order; dispatches refer to them by index.
const char* const kKernels[] = {
    "hexmoe_test_add",        "hexmoe_test_scale2",           "hexmoe_test_pair_sum",
    "hexmoe_test_dims_info",  "hexmoe_test_zero_i32",         "hexmoe_test_count_workgroups",
    "hexmoe_test_double_i32", "hexmoe_test_variant_tag",      "hexmoe_test_bf16_to_f32",
};
const int kNumBindings[] = {3, 2, 3, 1, 1, 1, 1, 1, 2};
enum KernelIndex { kAdd, kScale2, kPairSum, kDimsInfo, kZero, kCount, kDouble, kTag, kBf16 };

struct BufferSpec {
  const char* name;
  BufferKind kind;
  int index;
  ElementType type;
  std::vector<Extent> shape;
};

/// A dispatch and how its kernel is launched: `workgroups` times
/// ceil(dims[dim] / tile) when dim >= 0, else `workgroups`. Each kernel is
/// launched by one dispatch, so the launch doubles as the executables'
/// KernelLaunch for it.
struct DispatchSpec {
  int kernel;
  std::vector<int> bindings;
  int64_t workgroups = 1;
  int dim = -1;
  int64_t tile = 1;
  /// The buffers whose types the kernel table declares, when not `bindings`.
  std::vector<int> declared = {};
};

/// What the kernel table says of one kernel's bindings.
using KernelBindings = std::vector<std::pair<ElementType, std::vector<Extent>>>;

/// Adds a function; records each dispatched kernel's launch in `launches`
/// and its bindings' types, from the buffers it binds, in `kernelBindings`.
fb::Offset<Function> makeFunction(fb::FlatBufferBuilder& b, std::vector<KernelLaunch>& launches,
                                  std::vector<KernelBindings>& kernelBindings, const char* name,
                                  const std::vector<const char*>& dims,
                                  const std::vector<BufferSpec>& buffers,
                                  const std::vector<DispatchSpec>& dispatches) {
  std::vector<fb::Offset<fb::String>> dimNames;
  for (const char* d : dims) dimNames.push_back(b.CreateString(d));
  std::vector<fb::Offset<Buffer>> bufs;
  for (const BufferSpec& s : buffers)
    bufs.push_back(CreateBufferDirect(b, s.name, s.kind, s.index, s.type, &s.shape));
  std::vector<fb::Offset<Dispatch>> disps;
  for (const DispatchSpec& d : dispatches) {
    const Extent workload = d.dim >= 0 ? dim(d.dim) : fixed(1);
    disps.push_back(CreateDispatchDirect(b, d.kernel, &d.bindings, &workload));
    if (d.kernel < 0 || d.kernel >= static_cast<int>(launches.size())) continue;
    launches[d.kernel] = KernelLaunch(d.workgroups, d.dim >= 0 ? d.tile : 0);
    kernelBindings[d.kernel].clear();
    for (int i : d.declared.empty() ? d.bindings : d.declared)
      kernelBindings[d.kernel].push_back({buffers[i].type, buffers[i].shape});
  }
  return CreateFunctionDirect(b, name, &dimNames, &bufs, &disps);
}

}  // namespace

std::vector<TestVariant> TestArtifactOptions::defaultVariants() {
  return {{"x86-64-v4", {"avx512f", "avx512bw"}, 4},
          {"x86-64-v3", {"avx", "avx2", "fma"}, 3},
          {"generic", {"sse2"}, 1}};
}

std::vector<uint8_t> readFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<uint8_t> testKernelLibrary(int tag) {
  switch (tag) {
    case 0: {
      const char kGarbage[] = "this is not an ELF shared object, just text long enough to pass size checks";
      return std::vector<uint8_t>(kGarbage, kGarbage + sizeof(kGarbage));
    }
    case 1: return readFileBytes(HEXMOE_TEST_KERNELS_V1);
    case 3: return readFileBytes(HEXMOE_TEST_KERNELS_V3);
    case 4: return readFileBytes(HEXMOE_TEST_KERNELS_V4);
  }
  throw std::runtime_error("no test kernel build tagged " + std::to_string(tag));
}

std::vector<uint8_t> buildTestPayload(const TestArtifactOptions& options) {
  fb::FlatBufferBuilder b;
  const auto kArg = BufferKind_argument, kRes = BufferKind_result, kTmp = BufferKind_transient;
  const auto f32 = ElementType_f32, i32 = ElementType_i32, i64 = ElementType_i64, bf16 = ElementType_bf16;

  std::vector<KernelLaunch> launches(std::size(kKernels), KernelLaunch(1, 0));
  std::vector<KernelBindings> kernelBindings(std::size(kKernels));
  std::vector<fb::Offset<Function>> functions;
  functions.push_back(makeFunction(
      b, launches, kernelBindings, "add_scale", {"T"},
      {{"a", kArg, 0, f32, {dim(0), fixed(4)}},
       {"b", kArg, 1, f32, {dim(0), fixed(4)}},
       {"out", kRes, 0, f32, {dim(0), fixed(4)}},
       {"sum", kTmp, 0, f32, {dim(0), fixed(4)}}},
      {{options.badKernelIndex ? 99 : kAdd, {0, 1, 3}, 1, 0, 2}, {kScale2, {3, 2}, 2, 0, 4}}));
  functions.push_back(makeFunction(
      b, launches, kernelBindings, "pair_sum", {"T", "U"},
      {{"x", kArg, 0, f32, {dim(0), fixed(3)}},
       {"y", kArg, 1, f32, {dim(0, 2)}},
       {"z", kArg, 2, f32, {options.uninferableDim ? fixed(1) : dim(1)}},
       {"out", kRes, 0, f32, {dim(0)}},
       {"info", kRes, 1, i64, {options.uninferableDim ? dim(1) : fixed(2)}}},
      {{kPairSum, options.permutedBindings ? std::vector<int>{1, 0, 3} : std::vector<int>{0, 1, 3}, 1, 0, 1,
        options.permutedBindings && !options.permutedKernelTable ? std::vector<int>{0, 1, 3} : std::vector<int>{}},
       {kDimsInfo, {4}}}));
  functions.push_back(makeFunction(
      b, launches, kernelBindings, "coverage", {"N"},
      {{"x", kArg, 0, i32, {dim(0)}}, {"counts", kRes, 0, i32, {dim(0)}}},
      {{kZero, {1}}, {kCount, {1}, 1, 0, 1}, {kDouble, {1}, 3}}));
  functions.push_back(makeFunction(b, launches, kernelBindings, "variant", {}, {{"tag", kRes, 0, i32, {fixed(1)}}}, {{kTag, {0}}}));
  functions.push_back(makeFunction(
      b, launches, kernelBindings, "bf16_widen", {"N"},
      {{"x", kArg, 0, bf16, {dim(0)}}, {"out", kRes, 0, f32, {dim(0)}}},
      {{kBf16, {0, 1}, 1, 0, 64}}));

  // A dispatch naming no kernel leaves the kernel's table entry to say what it binds.
  if (options.badKernelIndex) kernelBindings[kAdd].assign(3, {f32, {dim(0), fixed(4)}});
  std::vector<fb::Offset<Kernel>> kernels;
  for (int k = 0; k < static_cast<int>(std::size(kKernels)); ++k) {
    const char* name = (options.missingKernel && k == kDimsInfo) ? "hexmoe_test_not_exported" : kKernels[k];
    const int source = options.swappedKernelNames && k == kPairSum ? kBf16
                       : options.swappedKernelNames && k == kBf16  ? kPairSum
                                                                   : k;
    if (source != k) name = kKernels[source];
    std::vector<fb::Offset<KernelBinding>> bindings;
    for (const auto& [type, shape] : kernelBindings[k])
      bindings.push_back(CreateKernelBindingDirect(b, type, &shape));
    kernels.push_back(CreateKernelDirect(b, name, kNumBindings[k], &bindings));
  }
  if (options.addWorkgroups) launches[kAdd] = KernelLaunch(options.addWorkgroups, launches[kAdd].tile());

  if (options.missingLaunch) launches.pop_back();
  std::vector<fb::Offset<Executable>> variants;
  for (const TestVariant& v : options.variants) {
    std::vector<fb::Offset<fb::String>> features;
    for (const std::string& f : v.features) features.push_back(b.CreateString(f));
    std::vector<uint8_t> so = testKernelLibrary(v.tag);
    if (options.truncateObjectsTo && options.truncateObjectsTo < so.size()) so.resize(options.truncateObjectsTo);
    b.ForceVectorAlignment(so.size(), 1, 64);
    variants.push_back(CreateExecutableDirect(b, v.format.c_str(), v.isa.c_str(), &features, &launches, &so));
  }

  FinishArtifactBuffer(b, CreateArtifactDirect(b, "runtime test", "tests/unit/runtime/test_artifact.cpp",
                                               &functions, &kernels, &variants));
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

std::vector<uint8_t> buildTestArtifact(const TestArtifactOptions& options) {
  const std::vector<uint8_t> payload = buildTestPayload(options);
  return schema::wrapArtifact(payload.data(), payload.size());
}

}  // namespace hexmoe::test
