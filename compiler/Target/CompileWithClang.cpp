//===- CompileWithClang.cpp - compile emitted kernel source with clang ----===//
//
// The cuda and rocm targets hand the freestanding CUDA/HIP C++ that
// KernelSource.cpp emits to clang 22 (LLVM's NVPTX and AMDGPU backends) and
// read back what it wrote.
//
//===----------------------------------------------------------------------===//
#include "compiler/Target/KernelSource.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <optional>

#ifndef HEXMOE_LLVM_BINDIR
#define HEXMOE_LLVM_BINDIR "/usr/lib/llvm-22/bin"
#endif

using namespace mlir;

namespace hexmoe::compiler {

FailureOr<std::vector<uint8_t>> compileWithClang(ModuleOp module, StringRef what, const std::vector<uint8_t> &source,
                                                 StringRef name, const std::vector<std::string> &args) {
  std::string clang;
  if (const char *env = std::getenv("HEXMOE_CLANG"); env && *env) {
    clang = env;
  } else if (auto found = llvm::sys::findProgramByName("clang++", {HEXMOE_LLVM_BINDIR})) {
    clang = *found;
  } else if (auto onPath = llvm::sys::findProgramByName("clang++-22")) {
    clang = *onPath;
  } else {
    return module.emitError() << what << ": needs clang 22 (apt-get install clang-22, or set HEXMOE_CLANG)";
  }
  SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("hexmoe-kernels", dir))
    return module.emitError() << what << ": cannot make a temporary directory: " << ec.message();
  struct RemoveDir {
    SmallString<128> &dir;
    ~RemoveDir() { llvm::sys::fs::remove_directories(dir); }
  } removeDir{dir};
  SmallString<128> input(dir), output(dir), log(dir);
  llvm::sys::path::append(input, name);
  llvm::sys::path::append(output, "out");
  llvm::sys::path::append(log, "log");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(input, ec);
    if (ec) return module.emitError() << what << ": cannot write " << input << ": " << ec.message();
    os.write(reinterpret_cast<const char *>(source.data()), source.size());
  }
  // "{dir}" in an argument is the (empty) temporary directory.
  std::vector<std::string> expanded;
  for (std::string a : args) {
    for (size_t at; (at = a.find("{dir}")) != std::string::npos;) a.replace(at, 5, dir.str().str());
    expanded.push_back(std::move(a));
  }
  std::vector<StringRef> argv = {clang};
  for (const std::string &a : expanded) argv.push_back(a);
  argv.insert(argv.end(), {"-o", output, input});
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log), StringRef(log)};
  std::string error;
  const int rc = llvm::sys::ExecuteAndWait(clang, argv, std::nullopt, redirects, 0, 0, &error);
  if (rc != 0) {
    auto text = llvm::MemoryBuffer::getFile(log);
    std::string messages = text ? (*text)->getBuffer().take_front(4000).str() : std::string();
    return module.emitError() << what << ": " << clang << " failed" << (error.empty() ? "" : " (" + error + ")")
                              << (messages.empty() ? "" : ":\n" + messages);
  }
  auto out = llvm::MemoryBuffer::getFile(output, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!out) return module.emitError() << what << ": clang wrote no output";
  return std::vector<uint8_t>((*out)->getBufferStart(), (*out)->getBufferEnd());
}

} // namespace hexmoe::compiler
