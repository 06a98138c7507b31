//===- Compile.cpp - moe MLIR → hexmoe artifact ---------------------------===//
#include "compiler/Driver/Compile.h"

#include "compiler/Target/TargetBackend.h"
#include "dialects/moe/IR/MoEDialect.h"

#include "runtime/schema/artifact_file.h"
#include "artifact_generated.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringExtras.h"

namespace hexmoe::compiler {
namespace fb = hexmoe::schema;
using namespace mlir;

void prepareContext(MLIRContext &context) {
  context.loadDialect<moe::MoEDialect, func::FuncDialect, arith::ArithDialect,
                      tensor::TensorDialect>();
}

namespace {

/// Parses one extent string of the plan: "256", "T" or "T*8".
bool parseExtent(StringRef s, ArrayRef<std::string> dims, fb::Extent &out) {
  int64_t v = 0;
  if (!s.getAsInteger(10, v)) {
    out = fb::Extent(v, -1, 1);
    return true;
  }
  auto [name, factor] = s.split('*');
  int64_t f = 1;
  if (!factor.empty() && factor.getAsInteger(10, f)) return false;
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i] == name) {
      out = fb::Extent(0, static_cast<int32_t>(i), f);
      return true;
    }
  return false;
}

fb::ElementType elementTypeOf(Type t) {
  if (t.isBF16()) return fb::ElementType_bf16;
  if (t.isInteger(32)) return fb::ElementType_i32;
  if (t.isInteger(64)) return fb::ElementType_i64;
  return fb::ElementType_f32;
}

/// Serialises a target's result into an artifact.
FailureOr<std::vector<uint8_t>> writeArtifact(ModuleOp module, const TargetResult &result,
                                              const CompileOptions &options) {
  flatbuffers::FlatBufferBuilder fbb;
  llvm::StringMap<int> kernelIndex;
  std::vector<flatbuffers::Offset<fb::Kernel>> kernels;
  for (const KernelInfo &k : result.kernels) {
    kernelIndex[k.name] = kernels.size();
    kernels.push_back(fb::CreateKernel(fbb, fbb.CreateString(k.name), k.numBindings));
  }

  std::vector<flatbuffers::Offset<fb::Function>> functions;
  for (Attribute a : result.functions) {
    auto f = cast<DictionaryAttr>(a);
    std::vector<std::string> dims;
    for (Attribute d : f.getAs<ArrayAttr>("dims")) dims.push_back(cast<StringAttr>(d).str());
    std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
    for (Attribute ba : f.getAs<ArrayAttr>("buffers")) {
      auto b = cast<DictionaryAttr>(ba);
      std::vector<fb::Extent> shape;
      for (Attribute e : b.getAs<ArrayAttr>("shape")) {
        fb::Extent extent;
        if (!parseExtent(cast<StringAttr>(e).getValue(), dims, extent))
          return module.emitError() << "malformed extent " << e << " in the launch plan";
        shape.push_back(extent);
      }
      StringRef kind = b.getAs<StringAttr>("kind").getValue();
      fb::BufferKind k = kind == "argument" ? fb::BufferKind_argument
                         : kind == "result" ? fb::BufferKind_result
                                            : fb::BufferKind_transient;
      buffers.push_back(fb::CreateBuffer(
          fbb, fbb.CreateString(b.getAs<StringAttr>("name").str()), k,
          static_cast<int32_t>(b.getAs<IntegerAttr>("index").getInt()),
          elementTypeOf(b.getAs<TypeAttr>("type").getValue()), fbb.CreateVectorOfStructs(shape)));
    }
    std::vector<flatbuffers::Offset<fb::Dispatch>> dispatches;
    for (Attribute da : f.getAs<ArrayAttr>("dispatches")) {
      auto d = cast<DictionaryAttr>(da);
      StringRef kernel = d.getAs<StringAttr>("kernel").getValue();
      auto it = kernelIndex.find(kernel);
      if (it == kernelIndex.end())
        return module.emitError() << "the plan launches unknown kernel '" << kernel << "'";
      auto bindings = d.getAs<DenseI32ArrayAttr>("bindings").asArrayRef();
      dispatches.push_back(fb::CreateDispatch(
          fbb, it->second, fbb.CreateVector(bindings.data(), bindings.size()),
          d.getAs<IntegerAttr>("workgroups").getInt(),
          static_cast<int32_t>(d.getAs<IntegerAttr>("workgroup_dim").getInt()),
          d.getAs<IntegerAttr>("workgroup_tile").getInt()));
    }
    functions.push_back(fb::CreateFunction(
        fbb, fbb.CreateString(f.getAs<StringAttr>("name").str()),
        fbb.CreateVectorOfStrings(dims), fbb.CreateVector(buffers), fbb.CreateVector(dispatches)));
  }

  std::vector<flatbuffers::Offset<fb::Executable>> executables;
  for (const ExecutableBinary &e : result.executables) {
    fbb.ForceVectorAlignment(e.data.size(), 1, 64);
    auto data = fbb.CreateVector(e.data);
    executables.push_back(fb::CreateExecutable(fbb, fbb.CreateString(e.format),
                                               fbb.CreateString(e.name),
                                               fbb.CreateVectorOfStrings(e.requirements), data));
  }
  auto root = fb::CreateArtifact(fbb, fbb.CreateString("hexmoe-compile 0.1"),
                                 fbb.CreateString(options.source), fbb.CreateVector(functions),
                                 fbb.CreateVector(kernels), fbb.CreateVector(executables));
  fb::FinishArtifactBuffer(fbb, root);
  return schema::wrapArtifact(fbb.GetBufferPointer(), fbb.GetSize());
}

} // namespace

FailureOr<std::vector<uint8_t>> compileModule(ModuleOp module, const CompileOptions &options) {
  auto [targetName, variant] = StringRef(options.target).split(':');
  TargetBackend *target = lookupTargetBackend(targetName);
  if (!target) {
    std::string known;
    for (TargetBackend *t : registeredTargetBackends())
      known += (known.empty() ? "" : ", ") + t->name().str();
    return module.emitError() << "unknown target '" << targetName << "' (known: " << known << ")";
  }
  if (options.pipeline.weightType == "bf16" && !target->supportsBf16Weights())
    return module.emitError() << "target '" << target->name() << "' has no bf16 weights";

  if (failed(verify(module))) return failure();
  PassManager pm(module.getContext());
  buildMoEPipeline(pm, options.pipeline);
  if (failed(pm.run(module))) return failure();

  FailureOr<TargetResult> result = target->compile(module, variant);
  if (failed(result)) return failure();
  if (!result->functions || result->functions.empty())
    return module.emitError() << "the module has no function to compile";
  return writeArtifact(module, *result, options);
}

} // namespace hexmoe::compiler
