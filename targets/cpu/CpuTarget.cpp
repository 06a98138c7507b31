//===- CpuTarget.cpp - the x86-64 CPU target ------------------------------===//
//
// An artifact is built on one machine and run on another, so the cpu target
// compiles each kernel set once per ISA level — x86-64-v3 (AVX2+FMA) always,
// x86-64-v4 (AVX-512) beside it — and records what each variant needs; the
// runtime picks the best one the host supports. `native` is an explicit
// opt-in that targets the build host exactly.
//
//===----------------------------------------------------------------------===//
#include "targets/cpu/CpuTarget.h"
#include "targets/cpu/Passes.h"

#include "compiler/Target/TargetBackend.h"
#include "dialects/moe/IR/MoEOps.h"
#include "runtime/schema/kernel_abi.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/Module.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>

namespace hexmoe::cpu {

/// Emits an optimised object file for `module` and links it into a shared
/// object (CpuCodegen.cpp).
mlir::FailureOr<std::vector<uint8_t>> buildSharedObject(llvm::Module &module,
                                                        const IsaLevel &level,
                                                        mlir::Location loc);

namespace {

const std::vector<std::string> kV3Features = {"avx",  "avx2",  "bmi1",  "bmi2",
                                              "f16c", "fma",   "lzcnt", "movbe"};
const std::vector<std::string> kV4Extra = {"avx512f", "avx512bw", "avx512cd", "avx512dq",
                                           "avx512vl"};

/// The features among those we track that the build host has.
std::vector<std::string> hostRequiredFeatures() {
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> out;
  for (const auto &list : {kV3Features, kV4Extra})
    for (const std::string &f : list) {
      // LLVM names bmi1 "bmi".
      auto it = host.find(f == "bmi1" ? "bmi" : f);
      if (it != host.end() && it->second) out.push_back(f);
    }
  return out;
}

/// Exports each kernel's ABI record (moe.abi) as the constant
/// hexmoe_abi_<kernel> the loader compares with the artifact's metadata.
void exportAbiRecords(mlir::ModuleOp module) {
  mlir::OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  for (auto f : llvm::to_vector(module.getOps<mlir::LLVM::LLVMFuncOp>())) {
    auto record = f->getAttrOfType<mlir::DenseI64ArrayAttr>("moe.abi");
    if (!record) continue;
    const int64_t n = record.size();
    auto type = mlir::LLVM::LLVMArrayType::get(b.getI64Type(), n);
    auto value = mlir::DenseElementsAttr::get(mlir::RankedTensorType::get({n}, b.getI64Type()), record.asArrayRef());
    mlir::LLVM::GlobalOp::create(b, f.getLoc(), type, /*isConstant=*/true, mlir::LLVM::Linkage::External,
                                 (HEXMOE_KERNEL_ABI_PREFIX + f.getName()).str(), value);
  }
}

class CpuTargetBackend final : public compiler::TargetBackend {
public:
  llvm::StringRef name() const override { return "cpu"; }
  llvm::StringRef description() const override {
    return "x86-64 CPUs: AOT shared objects per ISA level, run by the runtime's thread pool";
  }
  std::vector<std::string> variantNames() const override {
    return {"x86-64-v3", "x86-64-v4", "native"};
  }
  bool supportsBf16Weights() const override { return true; }
  bool supportsDynamicTokens() const override { return true; }

  mlir::FailureOr<compiler::TargetResult> compile(mlir::ModuleOp module,
                                                  llvm::StringRef variant) override {
    std::vector<IsaLevel> levels;
    std::vector<std::string> names =
        variant.empty() ? std::vector<std::string>{"x86-64-v4", "x86-64-v3"}
                        : std::vector<std::string>{variant.str()};
    for (const std::string &n : names) {
      IsaLevel level;
      if (!lookupIsaLevel(n, level))
        return module.emitError() << "unknown cpu variant '" << n
                                  << "' (expected x86-64-v3, x86-64-v4 or native)";
      levels.push_back(level);
    }

    // Testing aid: HEXMOE_CPU_VECTOR_WIDTH=16 generates 16-lane code for every
    // level, so the AVX-512 code shapes run (split by LLVM) on AVX2 hosts too.
    if (const char *w = std::getenv("HEXMOE_CPU_VECTOR_WIDTH")) {
      int64_t width = std::atoll(w);
      if (width != 4 && width != 8 && width != 16)
        return module.emitError() << "HEXMOE_CPU_VECTOR_WIDTH must be 4, 8 or 16, got '" << w
                                  << "'";
      for (IsaLevel &level : levels) level.vectorWidth = width;
    }

    compiler::TargetResult result;
    for (const IsaLevel &level : levels) {
      mlir::OwningOpRef<mlir::ModuleOp> clone = module.clone();
      for (auto plan : llvm::make_early_inc_range(clone->getOps<moe::LaunchPlanOp>())) plan.erase();
      mlir::PassManager pm(module.getContext());
      MoECpuGenerateKernelsOptions options;
      options.vectorWidth = level.vectorWidth;
      pm.addPass(createMoECpuGenerateKernels(options));
      buildCpuLowerToLLVMPipeline(pm);
      if (mlir::failed(pm.run(*clone))) return mlir::failure();

      exportAbiRecords(*clone);
      std::vector<compiler::KernelLaunchInfo> kernels;
      for (auto f : clone->getOps<mlir::LLVM::LLVMFuncOp>()) {
        auto n = f->getAttrOfType<mlir::IntegerAttr>("moe.num_bindings");
        auto workgroups = f->getAttrOfType<mlir::IntegerAttr>("moe.workgroups");
        auto tile = f->getAttrOfType<mlir::IntegerAttr>("moe.tile");
        if (n && workgroups && tile)
          kernels.push_back({f.getName().str(), static_cast<int>(n.getInt()), workgroups.getInt(), tile.getInt()});
      }
      if (level.vectorWidth == 16 && level.name != "x86-64-v3") {
        // Without these LLVM splits 512-bit vectors into 256-bit halves.
        for (auto f : clone->getOps<mlir::LLVM::LLVMFuncOp>()) {
          mlir::Builder b(f.getContext());
          f.setPassthroughAttr(b.getArrayAttr(
              {b.getStrArrayAttr({"prefer-vector-width", "512"}),
               b.getStrArrayAttr({"min-legal-vector-width", "512"})}));
        }
      }

      mlir::registerBuiltinDialectTranslation(*clone->getContext());
      mlir::registerLLVMDialectTranslation(*clone->getContext());
      llvm::LLVMContext llvmContext;
      std::unique_ptr<llvm::Module> llvmModule =
          mlir::translateModuleToLLVMIR(clone->getOperation(), llvmContext, "hexmoe_kernels");
      if (!llvmModule)
        return module.emitError() << "cpu " << level.name << ": translation to LLVM IR failed";
      mlir::FailureOr<std::vector<uint8_t>> so =
          buildSharedObject(*llvmModule, level, module.getLoc());
      if (mlir::failed(so)) return mlir::failure();
      result.executables.push_back(
          {level.format, level.name, level.required, std::move(kernels), std::move(*so), ".so"});
    }
    return result;
  }
};

} // namespace

bool lookupIsaLevel(llvm::StringRef name, IsaLevel &level) {
  if (name == "x86-64-v3") {
    level = {"x86-64-v3", "cpu-x86_64-v3", "x86-64-v3", "", kV3Features, 8};
    return true;
  }
  if (name == "x86-64-v4") {
    std::vector<std::string> required = kV3Features;
    required.insert(required.end(), kV4Extra.begin(), kV4Extra.end());
    level = {"x86-64-v4", "cpu-x86_64-v4", "x86-64-v4", "", required, 16};
    return true;
  }
  if (name == "native") {
    std::string cpu = llvm::sys::getHostCPUName().str();
    std::string features;
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") + std::string(f.second ? "+" : "-") +
                  f.first().str();
    std::vector<std::string> required = hostRequiredFeatures();
    bool avx512 = llvm::is_contained(required, "avx512f");
    level = {"native:" + cpu, "cpu-x86_64-native", cpu, features, required, avx512 ? 16 : 8};
    return true;
  }
  return false;
}

void registerCpuTarget() {
  compiler::registerTargetBackend(std::make_unique<CpuTargetBackend>());
}

} // namespace hexmoe::cpu
