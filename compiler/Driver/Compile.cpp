//===- Compile.cpp - moe MLIR → hexmoe artifact ---------------------------===//
#include "compiler/Driver/Compile.h"

#include "compiler/Plan/Passes.h"
#include "compiler/Target/TargetBackend.h"
#include "dialects/moe/IR/MoEDialect.h"
#include "dialects/moe/IR/MoEOps.h"

#include "models/weights/checkpoint.h"
#include "runtime/schema/artifact_file.h"
#include "runtime/schema/weight_digest.h"
#include "artifact_generated.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <optional>

namespace hexmoe::compiler {
namespace fb = hexmoe::schema;
using namespace mlir;

void prepareContext(MLIRContext &context) {
  context.loadDialect<moe::MoEDialect, func::FuncDialect, arith::ArithDialect,
                      tensor::TensorDialect>();
}

namespace {

static_assert(fb::ElementType_f32 == 0 && fb::ElementType_bf16 == 1 && fb::ElementType_i32 == 2 &&
                  fb::ElementType_i64 == 3,
              "elementTypeCode (compiler/Plan/Passes.h) numbers element types as the artifact does");

fb::ElementType elementTypeOf(Type t) { return static_cast<fb::ElementType>(elementTypeCode(t)); }

fb::Extent extentOf(moe::ExtentAttr e) {
  return fb::Extent(e.isStatic() ? e.getStaticSize() : 0, static_cast<int32_t>(e.getDim()), e.getFactor());
}

fb::BufferKind bufferKindOf(moe::BufferKind k) {
  switch (k) {
  case moe::BufferKind::argument: return fb::BufferKind_argument;
  case moe::BufferKind::result: return fb::BufferKind_result;
  case moe::BufferKind::weight: return fb::BufferKind_weight;
  case moe::BufferKind::transient: break;
  }
  return fb::BufferKind_transient;
}

/// A checkpoint tensor the module's functions bind, once per name.
struct WeightUse {
  std::string name;
  Type elementType;
  SmallVector<int64_t> shape;
};

/// The checkpoint dtype that is `t` as it is, or none.
std::optional<weights::DType> checkpointTypeOf(Type t) {
  if (t.isF32()) return weights::DType::kF32;
  if (t.isBF16()) return weights::DType::kBF16;
  if (t.isInteger(32)) return weights::DType::kI32;
  if (t.isInteger(64)) return weights::DType::kI64;
  return std::nullopt;
}

/// "f32", unquoted, for messages.
std::string typeName(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

/// f32 → bf16, rounding to nearest even (NaN stays NaN).
uint16_t toBf16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  if ((bits & 0x7fffffff) > 0x7f800000) return static_cast<uint16_t>((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

/// Builds Artifact.weights from the checkpoint: references (file, offset,
/// length, SHA-256) or, with embedWeights, the bytes in the type the
/// function takes.
FailureOr<flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Weight>>>>
writeWeights(ModuleOp module, flatbuffers::FlatBufferBuilder &fbb, const std::vector<WeightUse> &uses,
             const CompileOptions &options, std::string &weightsDir) {
  if (uses.empty()) return fbb.CreateVector(std::vector<flatbuffers::Offset<fb::Weight>>());
  if (options.weightsDir.empty())
    return mlir::emitError(module.getLoc()) << "the module takes " << uses.size() << " weight(s) from a checkpoint ('"
                              << uses.front().name << "', ...), but no --weights=DIR names the checkpoint";
  auto ckpt = weights::Checkpoint::open(options.weightsDir);
  if (!ckpt.ok()) return mlir::emitError(module.getLoc()) << ckpt.status().message();
  SmallString<256> absolute(options.weightsDir);
  llvm::sys::fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  weightsDir = absolute.str().str();
  const std::string prefix = options.weightsDir + "/";

  std::vector<flatbuffers::Offset<fb::Weight>> out;
  for (const WeightUse &use : uses) {
    const weights::CheckpointTensor *t = (*ckpt)->find(use.name);
    if (!t) return mlir::emitError(module.getLoc()) << options.weightsDir << ": the checkpoint has no tensor '" << use.name << "'";
    const weights::TensorInfo &info = *t->info;
    if (ArrayRef<int64_t>(info.shape) != ArrayRef<int64_t>(use.shape)) {
      std::string want;
      for (int64_t d : use.shape) want += (want.empty() ? "" : ", ") + std::to_string(d);
      return mlir::emitError(module.getLoc()) << options.weightsDir << ": tensor '" << use.name << "' is " << info.describe()
                                << ", the function takes [" << want << "] " << typeName(use.elementType);
    }
    const std::optional<weights::DType> same = checkpointTypeOf(use.elementType);
    const bool convert = !same || *same != info.dtype;
    if (convert && (!options.embedWeights || !weights::isFloating(info.dtype) ||
                    !(use.elementType.isF32() || use.elementType.isBF16())))
      return mlir::emitError(module.getLoc()) << options.weightsDir << ": tensor '" << use.name << "' is " << info.describe()
                                << " in the checkpoint, but the function takes " << typeName(use.elementType)
                                << (weights::isFloating(info.dtype)
                                        ? " (match it: --weight-type=bf16 retypes expert weights; or convert it "
                                          "into the artifact with --embed-weights)"
                                        : "");
    const auto name = fbb.CreateString(use.name);
    const auto shape = fbb.CreateVector(use.shape.data(), use.shape.size());
    const auto type = elementTypeOf(use.elementType);
    if (!options.embedWeights) {
      std::string file = t->shard->path();
      if (file.compare(0, prefix.size(), prefix) == 0) file = file.substr(prefix.size());
      const schema::Sha256 digest = schema::sha256(t->bytes(), info.byteSize);
      out.push_back(fb::CreateWeight(fbb, name, type, shape, fbb.CreateString(file), info.offset, info.byteSize,
                                     fbb.CreateVector(digest.data(), digest.size())));
      continue;
    }
    std::vector<uint8_t> bytes;
    if (!convert) {
      bytes.assign(t->bytes(), t->bytes() + info.byteSize);
    } else {
      std::vector<float> values(static_cast<size_t>(info.elementCount()));
      weights::convertToF32(info.dtype, t->bytes(), values.size(), values.data());
      if (use.elementType.isF32()) {
        bytes.resize(values.size() * 4);
        std::memcpy(bytes.data(), values.data(), bytes.size());
      } else {
        bytes.resize(values.size() * 2);
        for (size_t i = 0; i < values.size(); ++i) {
          const uint16_t b = toBf16(values[i]);
          std::memcpy(bytes.data() + 2 * i, &b, 2);
        }
      }
    }
    fbb.ForceVectorAlignment(bytes.size(), 1, 64);
    const auto data = fbb.CreateVector(bytes);
    out.push_back(fb::CreateWeight(fbb, name, type, shape, 0, 0, bytes.size(), 0, data));
  }
  return fbb.CreateVector(out);
}

/// Serialises the module's launch plans and the target's executables.
FailureOr<std::vector<uint8_t>> writeArtifact(ModuleOp module, const TargetResult &result,
                                              const CompileOptions &options) {
  if (result.executables.empty()) return module.emitError() << "the target produced no executable";
  flatbuffers::FlatBufferBuilder fbb;
  // The kernel table is the first executable's; every other one must provide
  // the same kernels.
  const std::vector<KernelLaunchInfo> &kernelList = result.executables.front().kernels;
  llvm::StringMap<int> kernelIndex;
  std::vector<flatbuffers::Offset<fb::Kernel>> kernels;
  for (const KernelLaunchInfo &k : kernelList) {
    // What each binding is, from the kernel function the plan made.
    auto fn = module.lookupSymbol<func::FuncOp>(k.name);
    auto shapes = fn ? fn->getAttrOfType<ArrayAttr>(kBindingsAttr) : ArrayAttr();
    SmallVector<Type> types(fn ? fn.getArgumentTypes() : ArrayRef<Type>());
    if (fn) llvm::append_range(types, fn.getResultTypes());
    if (!shapes || static_cast<int>(shapes.size()) != k.numBindings || types.size() != shapes.size())
      return module.emitError() << "kernel '" << k.name << "' is not a kernel function of the launch plan";
    std::vector<flatbuffers::Offset<fb::KernelBinding>> bindings;
    for (auto [type, shapeAttr] : llvm::zip(types, shapes)) {
      std::vector<fb::Extent> shape;
      for (auto e : cast<ArrayAttr>(shapeAttr).getAsRange<moe::ExtentAttr>()) shape.push_back(extentOf(e));
      bindings.push_back(fb::CreateKernelBinding(fbb, elementTypeOf(cast<RankedTensorType>(type).getElementType()),
                                                 fbb.CreateVectorOfStructs(shape)));
    }
    kernelIndex[k.name] = kernels.size();
    kernels.push_back(
        fb::CreateKernel(fbb, fbb.CreateString(k.name), k.numBindings, fbb.CreateVector(bindings)));
  }

  std::vector<flatbuffers::Offset<fb::Function>> functions;
  std::vector<WeightUse> weightUses;
  llvm::StringMap<int32_t> weightIndex;
  for (auto plan : module.getOps<moe::LaunchPlanOp>()) {
    std::vector<std::string> dims;
    for (Attribute d : plan.getDims()) dims.push_back(cast<StringAttr>(d).str());
    std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
    std::vector<flatbuffers::Offset<fb::Dispatch>> dispatches;
    for (Operation &op : plan.getBody().front()) {
      if (auto b = dyn_cast<moe::PlanBufferOp>(op)) {
        std::vector<fb::Extent> shape;
        SmallVector<int64_t> sizes;
        for (auto e : b.getShape().getAsRange<moe::ExtentAttr>()) {
          shape.push_back(extentOf(e));
          sizes.push_back(e.getStaticSize());
        }
        int32_t index = static_cast<int32_t>(b.getIndex());
        if (b.getKind() == moe::BufferKind::weight) {
          // One artifact weight per tensor name, shared by every function.
          auto [it, added] = weightIndex.try_emplace(b.getName(), static_cast<int32_t>(weightUses.size()));
          if (added) weightUses.push_back({b.getName().str(), b.getElementType(), sizes});
          const WeightUse &use = weightUses[it->second];
          if (use.elementType != b.getElementType() || use.shape != sizes)
            return b.emitError() << "weight '" << b.getName() << "' is taken with two types or shapes";
          index = it->second;
        }
        buffers.push_back(fb::CreateBuffer(fbb, fbb.CreateString(b.getName().str()), bufferKindOf(b.getKind()),
                                           index, elementTypeOf(b.getElementType()),
                                           fbb.CreateVectorOfStructs(shape)));
        continue;
      }
      auto d = cast<moe::PlanDispatchOp>(op);
      auto it = kernelIndex.find(d.getKernel());
      if (it == kernelIndex.end())
        return d.emitError() << "the target produced no kernel '" << d.getKernel() << "'";
      ArrayRef<int32_t> bindings = d.getBindings();
      const fb::Extent workload = extentOf(d.getWorkload());
      dispatches.push_back(
          fb::CreateDispatch(fbb, it->second, fbb.CreateVector(bindings.data(), bindings.size()), &workload));
    }
    functions.push_back(fb::CreateFunction(fbb, fbb.CreateString(plan.getSymName().str()),
                                           fbb.CreateVectorOfStrings(dims), fbb.CreateVector(buffers),
                                           fbb.CreateVector(dispatches)));
  }
  if (functions.empty()) return module.emitError() << "the module has no function to compile";

  std::vector<flatbuffers::Offset<fb::Executable>> executables;
  for (const ExecutableBinary &e : result.executables) {
    std::vector<fb::KernelLaunch> launches(kernelList.size(), fb::KernelLaunch(0, 0));
    std::vector<bool> provided(kernelList.size(), false);
    for (const KernelLaunchInfo &k : e.kernels) {
      auto it = kernelIndex.find(k.name);
      if (it == kernelIndex.end() || kernelList[it->second].numBindings != k.numBindings)
        return module.emitError() << e.format << ": kernel '" << k.name << "' differs from the other executables'";
      launches[it->second] = fb::KernelLaunch(k.workgroups, k.tile);
      provided[it->second] = true;
    }
    for (size_t k = 0; k < provided.size(); ++k)
      if (!provided[k]) return module.emitError() << e.format << ": no kernel '" << kernelList[k].name << "'";
    auto launchVector = fbb.CreateVectorOfStructs(launches);
    fbb.ForceVectorAlignment(e.data.size(), 1, 64);
    auto data = fbb.CreateVector(e.data);
    executables.push_back(fb::CreateExecutable(fbb, fbb.CreateString(e.format), fbb.CreateString(e.name),
                                               fbb.CreateVectorOfStrings(e.requirements), launchVector, data));
  }
  std::string weightsDir;
  auto weightTable = writeWeights(module, fbb, weightUses, options, weightsDir);
  if (failed(weightTable)) return failure();
  auto root = fb::CreateArtifact(fbb, fbb.CreateString("hexmoe-compile 0.1"),
                                 fbb.CreateString(options.source), fbb.CreateVector(functions),
                                 fbb.CreateVector(kernels), fbb.CreateVector(executables),
                                 weightsDir.empty() ? 0 : fbb.CreateString(weightsDir), *weightTable);
  fb::FinishArtifactBuffer(fbb, root);
  return schema::wrapArtifact(fbb.GetBufferPointer(), fbb.GetSize());
}

/// Writes each executable's code to `dir` for inspection.
LogicalResult dumpKernels(ModuleOp module, const TargetResult &result, StringRef dir) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return module.emitError() << "--dump-kernels: cannot create " << dir << ": " << ec.message();
  for (const ExecutableBinary &e : result.executables) {
    StringRef format(e.format);
    const char *ext = format.starts_with("cpu-") ? ".so" : format.starts_with("opencl-c") ? ".cl" : ".bin";
    SmallString<256> path(dir);
    llvm::sys::path::append(path, e.format + ext);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec) return module.emitError() << "--dump-kernels: cannot write " << path << ": " << ec.message();
    os.write(reinterpret_cast<const char *>(e.data.data()), e.data.size());
  }
  return success();
}

} // namespace

FailureOr<std::vector<uint8_t>> compileModule(ModuleOp module, const CompileOptions &options) {
  // "cpu,opencl" or "cpu:x86-64-v3,opencl": one artifact with every
  // target's executables.
  SmallVector<StringRef> targetNames;
  StringRef(options.target).split(targetNames, ',');
  SmallVector<std::pair<TargetBackend *, StringRef>> targets;
  for (StringRef spec : targetNames) {
    auto [targetName, variant] = spec.trim().split(':');
    TargetBackend *target = lookupTargetBackend(targetName);
    if (!target) {
      std::string known;
      for (TargetBackend *t : registeredTargetBackends())
        known += (known.empty() ? "" : ", ") + t->name().str();
      return module.emitError() << "unknown target '" << targetName << "' (known: " << known << ")";
    }
    if (options.pipeline.weightType == "bf16" && !target->supportsBf16Weights())
      return module.emitError() << "target '" << target->name() << "' has no bf16 weights";
    targets.push_back({target, variant});
  }

  if (failed(verify(module))) return failure();
  PassManager pm(module.getContext());
  buildMoEPipeline(pm, options.pipeline);
  pm.addPass(createMoEPlanLaunches());
  if (failed(pm.run(module))) return failure();

  TargetResult all;
  for (auto [target, variant] : targets) {
    FailureOr<TargetResult> result = target->compile(module, variant);
    if (failed(result)) return failure();
    for (ExecutableBinary &e : result->executables) all.executables.push_back(std::move(e));
  }
  if (!options.dumpKernelsDir.empty() && failed(dumpKernels(module, all, options.dumpKernelsDir)))
    return failure();
  return writeArtifact(module, all, options);
}

} // namespace hexmoe::compiler
