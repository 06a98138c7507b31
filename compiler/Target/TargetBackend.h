//===- TargetBackend.h - the seam every hexmoe target plugs into --*- C++ -*-===//
//
// A target turns a module of fused, kernel-level moe ops into executables for
// one device class. Every target implements the pure virtuals; optional
// capabilities are `supportsX()` queries with conservative defaults, so a new
// chip starts small and grows. Targets register themselves; shared compiler
// code never includes a target.
//
//===----------------------------------------------------------------------===//
#ifndef HEXMOE_COMPILER_TARGET_TARGETBACKEND_H
#define HEXMOE_COMPILER_TARGET_TARGETBACKEND_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hexmoe::compiler {

/// One kernel of an executable: its name (a kernel function of the launch
/// plan), its binding count, and how many workgroups a dispatch over
/// workload W runs: workgroups * ceil(W / tile), or workgroups when tile is 0.
struct KernelLaunchInfo {
  std::string name;
  int numBindings = 0;
  int64_t workgroups = 1;
  int64_t tile = 0;
};

/// The artifact's kernels compiled for one kind of device (artifact.fbs,
/// table Executable): a format the runtime's drivers match on
/// ("cpu-x86_64-v4", "ptx-sm_90", "opencl-c"), the build's name, what a
/// device must have to run it, every kernel's launch shape, and the code.
/// `fileExtension` names the code's kind for --dump-kernels (".so", ".cl").
struct ExecutableBinary {
  std::string format;
  std::string name;
  std::vector<std::string> requirements;
  std::vector<KernelLaunchInfo> kernels;
  std::vector<uint8_t> data;
  std::string fileExtension = ".bin";
};

/// What a target hands back to the artifact writer: its executables, and
/// files only --dump-kernels writes (the source a compiled format came from).
struct TargetResult {
  struct DumpFile {
    std::string name;  // "cuda.cu"
    std::vector<uint8_t> data;
  };
  std::vector<ExecutableBinary> executables;
  std::vector<DumpFile> dumpOnly;
};

class TargetBackend {
public:
  virtual ~TargetBackend() = default;

  /// The name used in `--target=NAME[:VARIANT]`.
  virtual llvm::StringRef name() const = 0;
  virtual llvm::StringRef description() const = 0;
  /// The variants accepted after the colon, for --help.
  virtual std::vector<std::string> variantNames() const = 0;

  /// Compiles the kernel functions of `module` (after the shared pipeline
  /// and moe-plan-launches; the module's moe.launch_plan ops are not the
  /// target's business) for the variant (empty: the target's default set).
  /// Every executable provides every kernel function. Reports errors
  /// through MLIR diagnostics on the module.
  virtual mlir::FailureOr<TargetResult> compile(mlir::ModuleOp module,
                                                llvm::StringRef variant) = 0;

  virtual bool supportsBf16Weights() const { return false; }
  virtual bool supportsFp8Weights() const { return false; }
  virtual bool supportsDynamicTokens() const { return false; }
};

/// The registry of targets. Each target's library provides a registration
/// function that the tools call once.
void registerTargetBackend(std::unique_ptr<TargetBackend> target);
TargetBackend *lookupTargetBackend(llvm::StringRef name);
std::vector<TargetBackend *> registeredTargetBackends();

} // namespace hexmoe::compiler

#endif // HEXMOE_COMPILER_TARGET_TARGETBACKEND_H
