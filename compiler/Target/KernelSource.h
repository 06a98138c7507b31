//===- KernelSource.h - C-family kernel source for the moe ops -----*- C++ -*-===//
//
// One emitter per kernel-level moe op, shared by the source targets: OpenCL
// C (target opencl), CUDA C++ (cuda-source) and HIP C++ (hip-source). Each
// kernel takes one pointer per binding (the op's operands, then its
// results), then `const long* dims`, the function's dynamic sizes; one
// work-item (one GPU thread) per workgroup of the launch plan, so the global
// id is the workgroup id and work-items past the count return at once. The
// drivers' ABIs are in docs/runtime.md. Shapes are constants in the source;
// only the token count is read from `dims`.
//
// The three languages share the kernel bodies: what differs is the prelude,
// the signature, the global id, and that OpenCL C gets 8-wide vector dot
// products.
//
//===----------------------------------------------------------------------===//
#ifndef HEXMOE_COMPILER_TARGET_KERNELSOURCE_H
#define HEXMOE_COMPILER_TARGET_KERNELSOURCE_H

#include "compiler/Target/TargetBackend.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

namespace hexmoe::compiler {

enum class SourceLanguage { OpenCL, Cuda, Hip };

/// "OpenCL C", "CUDA C++", "HIP C++".
const char *languageName(SourceLanguage lang);

/// What marks a kernel's ABI record in a program: each kernel is followed by
/// a line `//@hexmoe-abi <kernel> <record...>` (kernelAbiRecord), which the
/// runtime's drivers compare with the artifact's launch metadata before they
/// build the program.
inline constexpr const char *kSourceAbiMarker = "//@hexmoe-abi ";

/// Writes every kernel function of the launch plan (func.func marked
/// moe.workload, one moe op each) into one program in `lang`, the executable
/// of `format` whose dumps are named with `extension`. A `freestanding`
/// CUDA or HIP program needs no vendor header or device library (clang
/// compiles it ahead of time: targets cuda and rocm). Fails with a
/// diagnostic on an op the emitter does not support.
mlir::FailureOr<ExecutableBinary> emitSourceProgram(mlir::ModuleOp module, SourceLanguage lang,
                                                    llvm::StringRef format, llvm::StringRef extension,
                                                    bool freestanding = false);

/// Runs clang (HEXMOE_CLANG, else clang++ beside the LLVM hexmoe was built
/// with, else clang++-22) on `source` written to a temporary `name` with
/// `args` before it ("{dir}" in one is an empty temporary directory), and
/// returns what it wrote to its output file (`-o` is added). Fails with a
/// diagnostic on `module` carrying clang's messages.
mlir::FailureOr<std::vector<uint8_t>> compileWithClang(mlir::ModuleOp module, llvm::StringRef what,
                                                       const std::vector<uint8_t> &source, llvm::StringRef name,
                                                       const std::vector<std::string> &args);

} // namespace hexmoe::compiler

#endif // HEXMOE_COMPILER_TARGET_KERNELSOURCE_H
