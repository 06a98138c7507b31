//===- CpuCodegen.cpp - LLVM IR → optimised object → shared object --------===//
#include "targets/cpu/CpuTarget.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"

#ifndef HEXMOE_LLVM_BINDIR
#define HEXMOE_LLVM_BINDIR "/usr/lib/llvm-22/bin"
#endif

namespace hexmoe::cpu {
namespace {

/// ld.lld from LLVM 22: next to the LLVM we were built with, else on PATH.
llvm::ErrorOr<std::string> findLinker() {
  if (const char *env = std::getenv("HEXMOE_LD_LLD")) return std::string(env);
  auto found = llvm::sys::findProgramByName("ld.lld", {HEXMOE_LLVM_BINDIR});
  if (found) return found;
  return llvm::sys::findProgramByName("ld.lld-22");
}

/// Removes a temporary file when it goes out of scope.
struct TempFile {
  llvm::SmallString<128> path;
  ~TempFile() {
    if (!path.empty()) llvm::sys::fs::remove(path);
  }
};

} // namespace

mlir::FailureOr<std::vector<uint8_t>> buildSharedObject(llvm::Module &module,
                                                        const IsaLevel &level,
                                                        mlir::Location loc) {
  LLVMInitializeX86TargetInfo();
  LLVMInitializeX86Target();
  LLVMInitializeX86TargetMC();
  LLVMInitializeX86AsmPrinter();

  llvm::Triple triple("x86_64-unknown-linux-gnu");
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) return mlir::emitError(loc) << "cpu " << level.name << ": " << error;
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, level.llvmCpu, level.llvmFeatures, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine) return mlir::emitError(loc) << "cpu " << level.name << ": no target machine";
  module.setTargetTriple(triple);
  module.setDataLayout(machine->createDataLayout());
  for (llvm::Function &f : module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", level.llvmCpu);
    if (!level.llvmFeatures.empty()) f.addFnAttr("target-features", level.llvmFeatures);
  }

  auto optimize = mlir::makeOptimizingTransformer(3, 0, machine.get());
  if (llvm::Error err = optimize(&module))
    return mlir::emitError(loc) << "cpu " << level.name
                                << ": LLVM optimisation failed: " << llvm::toString(std::move(err));

  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
      return mlir::emitError(loc) << "cpu " << level.name << ": cannot emit object code";
    codegen.run(module);
  }

  llvm::ErrorOr<std::string> linker = findLinker();
  if (!linker)
    return mlir::emitError(loc) << "ld.lld not found (install lld-22, or set HEXMOE_LD_LLD)";
  TempFile obj, so;
  int fd = -1;
  if (llvm::sys::fs::createTemporaryFile("hexmoe-kernels", "o", fd, obj.path) ||
      llvm::sys::fs::createTemporaryFile("hexmoe-kernels", "so", so.path))
    return mlir::emitError(loc) << "cannot create temporary files for linking";
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out.write(object.data(), object.size());
  }
  llvm::SmallVector<llvm::StringRef> args = {*linker,        "-shared",    "--no-undefined-version",
                                             "-z",           "noexecstack", "--hash-style=gnu",
                                             "-soname",      "libhexmoe_kernels.so",
                                             "-o",           so.path,       obj.path,
                                             "--as-needed",  "-lm",        "-L/lib/x86_64-linux-gnu",
                                             "-L/usr/lib/x86_64-linux-gnu"};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*linker, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0)
    return mlir::emitError(loc) << "linking the " << level.name << " kernels failed (" << *linker
                                << " exit " << rc << ") " << message;
  auto buffer = llvm::MemoryBuffer::getFile(so.path);
  if (!buffer) return mlir::emitError(loc) << "cannot read the linked kernels " << so.path;
  return std::vector<uint8_t>((*buffer)->getBufferStart(), (*buffer)->getBufferEnd());
}

} // namespace hexmoe::cpu
