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
                  fb::ElementType_i64 == 3 && fb::ElementType_f8e4m3 == 4 &&
                  fb::ElementType_i8 == 5 && fb::ElementType_f16 == 6,
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
  if (t.isF16()) return weights::DType::kF16;
  if (t.isInteger(32)) return weights::DType::kI32;
  if (t.isInteger(64)) return weights::DType::kI64;
  if (isa<Float8E4M3FNType>(t)) return weights::DType::kF8E4M3;
  if (t.isInteger(8)) return weights::DType::kI8;
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

/// One piece of a weight spec: a checkpoint tensor, or rows [begin, end) of
/// it seen as [elements / last dim, last dim].
struct PieceSpec {
  std::string tensor;
  int64_t rowBegin = -1, rowEnd = -1;  // -1: the whole tensor
};

/// "NAME" or "NAME;NAME@r0:r1;..." (weightSpecSeparator, compiler/Plan/Passes.h).
FailureOr<SmallVector<PieceSpec>> parseWeightSpec(ModuleOp module, StringRef spec) {
  SmallVector<StringRef> parts;
  spec.split(parts, kWeightSpecSeparator);
  SmallVector<PieceSpec> out;
  for (StringRef part : parts) {
    PieceSpec p;
    auto [name, rows] = part.split('@');
    p.tensor = name.str();
    if (!rows.empty()) {
      auto [b, e] = rows.split(':');
      if (b.getAsInteger(10, p.rowBegin) || e.getAsInteger(10, p.rowEnd) || p.rowBegin < 0 || p.rowEnd <= p.rowBegin)
        return mlir::emitError(module.getLoc()) << "weight '" << spec << "': bad row range '" << rows << "'";
    }
    if (p.tensor.empty()) return mlir::emitError(module.getLoc()) << "weight '" << spec << "' names an empty tensor";
    out.push_back(std::move(p));
  }
  return out;
}

/// Builds Artifact.weights: tensors the compiler made (embedded), and
/// checkpoint tensors referred to by pieces (file, offset, length, SHA-256)
/// or, with embedWeights, copied in the type the function takes.
FailureOr<flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Weight>>>>
writeWeights(ModuleOp module, flatbuffers::FlatBufferBuilder &fbb, const std::vector<WeightUse> &uses,
             const CompileOptions &options, std::string &weightsDir) {
  std::vector<flatbuffers::Offset<fb::Weight>> out;
  std::unique_ptr<weights::Checkpoint> ckpt;
  const std::string prefix = options.weightsDir + "/";
  for (const WeightUse &use : uses) {
    const auto name = fbb.CreateString(use.name);
    const auto shape = fbb.CreateVector(use.shape.data(), use.shape.size());
    const auto type = elementTypeOf(use.elementType);
    int64_t elements = 1;
    for (int64_t d : use.shape) elements *= d;
    const uint64_t width = use.elementType.isF32() || use.elementType.isInteger(32) ? 4
                           : use.elementType.isBF16() || use.elementType.isF16() ? 2
                           : isa<Float8E4M3FNType>(use.elementType) ||
                                   use.elementType.isInteger(8)               ? 1
                                                                              : 8;
    const uint64_t bytes = static_cast<uint64_t>(elements) * width;

    if (auto generated = options.generatedWeights.find(use.name); generated != options.generatedWeights.end()) {
      if (generated->second.size() != bytes)
        return mlir::emitError(module.getLoc()) << "generated weight '" << use.name << "' has "
                                                << generated->second.size() << " bytes, the function takes " << bytes;
      fbb.ForceVectorAlignment(bytes, 1, 64);
      const auto data = fbb.CreateVector(generated->second);
      out.push_back(fb::CreateWeight(fbb, name, type, shape, bytes, 0, data));
      if (options.stats) ++options.stats->embeddedWeights, options.stats->embeddedBytes += bytes;
      continue;
    }
    if (!ckpt) {
      if (options.weightsDir.empty())
        return mlir::emitError(module.getLoc()) << "the module takes weights from a checkpoint ('" << use.name
                                                << "', ...), but no --weights=DIR names the checkpoint";
      auto opened = weights::Checkpoint::open(options.weightsDir);
      if (!opened.ok()) return mlir::emitError(module.getLoc()) << opened.status().message();
      ckpt = std::move(*opened);
      SmallString<256> absolute(options.weightsDir);
      llvm::sys::fs::make_absolute(absolute);
      llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
      weightsDir = absolute.str().str();
    }
    FailureOr<SmallVector<PieceSpec>> specs = parseWeightSpec(module, use.name);
    if (failed(specs)) return failure();

    // Each piece's tensor, type and byte range.
    struct Piece {
      const weights::CheckpointTensor *tensor;
      uint64_t offset, length;
    };
    SmallVector<Piece> pieces;
    uint64_t total = 0;
    bool convert = false;
    for (const PieceSpec &p : *specs) {
      const weights::CheckpointTensor *t = ckpt->find(p.tensor);
      if (!t)
        return mlir::emitError(module.getLoc()) << options.weightsDir << ": the checkpoint has no tensor '" << p.tensor << "'";
      const weights::TensorInfo &info = *t->info;
      if (specs->size() == 1 && p.rowBegin < 0 && ArrayRef<int64_t>(info.shape) != ArrayRef<int64_t>(use.shape)) {
        std::string want;
        for (int64_t d : use.shape) want += (want.empty() ? "" : ", ") + std::to_string(d);
        return mlir::emitError(module.getLoc()) << options.weightsDir << ": tensor '" << p.tensor << "' is "
                                                << info.describe() << ", the function takes [" << want << "] "
                                                << typeName(use.elementType);
      }
      const std::optional<weights::DType> same = checkpointTypeOf(use.elementType);
      if (!same || *same != info.dtype) {
        if (!options.embedWeights || !weights::isFloating(info.dtype) ||
            !(use.elementType.isF32() || use.elementType.isBF16()))
          return mlir::emitError(module.getLoc())
                 << options.weightsDir << ": tensor '" << p.tensor << "' is " << info.describe()
                 << " in the checkpoint, but the function takes " << typeName(use.elementType)
                 << (weights::isFloating(info.dtype) ? " (match it: --weight-type=bf16 retypes expert weights; or "
                                                       "convert it into the artifact with --embed-weights)"
                                                     : "");
        convert = true;
      }
      const int64_t last = info.shape.empty() ? 1 : info.shape.back();
      const int64_t rows = last == 0 ? 0 : info.elementCount() / last;
      const uint64_t rowBytes = static_cast<uint64_t>(last) * weights::dtypeSize(info.dtype);
      int64_t r0 = 0, r1 = rows;
      if (p.rowBegin >= 0) {
        if (p.rowEnd > rows)
          return mlir::emitError(module.getLoc()) << options.weightsDir << ": rows [" << p.rowBegin << ", " << p.rowEnd
                                                  << ") of tensor '" << p.tensor << "' (" << info.describe()
                                                  << ", " << rows << " rows)";
        r0 = p.rowBegin, r1 = p.rowEnd;
      }
      pieces.push_back({t, info.offset + static_cast<uint64_t>(r0) * rowBytes, static_cast<uint64_t>(r1 - r0) * rowBytes});
      total += static_cast<uint64_t>(r1 - r0) * static_cast<uint64_t>(last);
    }
    if (total != static_cast<uint64_t>(elements))
      return mlir::emitError(module.getLoc()) << options.weightsDir << ": weight '" << use.name << "' gathers " << total
                                              << " elements, the function takes " << elements;
    // e4m3fn's NaN (S.1111.111) has no place in a weight, and the kernels
    // decode without testing for it: refuse it here, where every byte is
    // read anyway (for its checksum or its copy).
    if (isa<Float8E4M3FNType>(use.elementType)) {
      for (const Piece &p : pieces) {
        const uint8_t *at = p.tensor->shard->bytes(*p.tensor->info) + (p.offset - p.tensor->info->offset);
        for (uint64_t i = 0; i < p.length; ++i)
          if ((at[i] & 0x7F) == 0x7F)
            return mlir::emitError(module.getLoc())
                   << options.weightsDir << ": F8_E4M3 tensor '" << p.tensor->info->name << "' holds a NaN (byte 0x"
                   << llvm::utohexstr(at[i]) << ") at element " << (p.offset - p.tensor->info->offset + i)
                   << "; a checkpoint's weights are finite";
      }
    }

    if (!options.embedWeights) {
      std::vector<flatbuffers::Offset<fb::WeightPiece>> refs;
      for (const Piece &p : pieces) {
        std::string file = p.tensor->shard->path();
        if (file.compare(0, prefix.size(), prefix) == 0) file = file.substr(prefix.size());
        const uint8_t *at = p.tensor->shard->bytes(*p.tensor->info) + (p.offset - p.tensor->info->offset);
        const schema::Sha256 digest = schema::sha256(at, p.length);
        refs.push_back(fb::CreateWeightPiece(fbb, fbb.CreateString(file), p.offset, p.length,
                                             fbb.CreateVector(digest.data(), digest.size())));
      }
      const auto refVector = fbb.CreateVector(refs);
      out.push_back(fb::CreateWeight(fbb, name, type, shape, bytes, refVector));
      if (options.stats) ++options.stats->referencedWeights, options.stats->referencedBytes += bytes;
      continue;
    }
    std::vector<uint8_t> data;
    data.reserve(bytes);
    for (const Piece &p : pieces) {
      const weights::TensorInfo &info = *p.tensor->info;
      const uint8_t *at = p.tensor->shard->bytes(info) + (p.offset - info.offset);
      if (!convert) {
        data.insert(data.end(), at, at + p.length);
        continue;
      }
      std::vector<float> values(p.length / weights::dtypeSize(info.dtype));
      weights::convertToF32(info.dtype, at, values.size(), values.data());
      for (float v : values) {
        if (use.elementType.isF32()) {
          const uint8_t *b = reinterpret_cast<const uint8_t *>(&v);
          data.insert(data.end(), b, b + 4);
        } else {
          const uint16_t h = toBf16(v);
          data.push_back(static_cast<uint8_t>(h & 0xff));
          data.push_back(static_cast<uint8_t>(h >> 8));
        }
      }
    }
    fbb.ForceVectorAlignment(data.size(), 1, 64);
    const auto dataVector = fbb.CreateVector(data);
    out.push_back(fb::CreateWeight(fbb, name, type, shape, bytes, 0, dataVector));
    if (options.stats) ++options.stats->embeddedWeights, options.stats->embeddedBytes += bytes;
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
  if (!options.weightsDir.empty() && weightsDir.empty()) {
    SmallString<256> absolute(options.weightsDir);
    llvm::sys::fs::make_absolute(absolute);
    weightsDir = absolute.str().str();
  }
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
  auto write = [&](const std::string &name, const std::vector<uint8_t> &data) -> LogicalResult {
    SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    if (ec) return module.emitError() << "--dump-kernels: cannot write " << path << ": " << ec.message();
    os.write(reinterpret_cast<const char *>(data.data()), data.size());
    return success();
  };
  for (const ExecutableBinary &e : result.executables)
    if (failed(write(e.format + e.fileExtension, e.data))) return failure();
  for (const TargetResult::DumpFile &f : result.dumpOnly)
    if (failed(write(f.name, f.data))) return failure();
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
    for (TargetResult::DumpFile &f : result->dumpOnly) all.dumpOnly.push_back(std::move(f));
  }
  if (!options.dumpKernelsDir.empty() && failed(dumpKernels(module, all, options.dumpKernelsDir)))
    return failure();
  return writeArtifact(module, all, options);
}

} // namespace hexmoe::compiler
