//===- hexmoe-compile.cpp - moe MLIR → hexmoe artifact --------------------===//
#include "compiler/Driver/Compile.h"
#include "compiler/Target/TargetBackend.h"
#include "runtime/schema/artifact_file.h"
#include "runtime/schema/artifact_signature.h"
#include "targets/InitAllTargets.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <optional>

namespace cl = llvm::cl;

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir, or an .hxm to sign>"));
static cl::opt<std::string> outputFile("o", cl::desc("Output artifact (default: INPUT with .hxm)"),
                                       cl::value_desc("file"));
static cl::opt<std::string> target(
    "target",
    cl::desc("Targets, comma-separated, each with an optional variant: cpu (x86-64-v3 and "
             "x86-64-v4 variants), cpu:x86-64-v3, cpu:x86-64-v4, cpu:native (this machine's "
             "exact CPU; opt-in), opencl (OpenCL C, built by the runtime at load); "
             "e.g. --target=cpu,opencl writes one artifact for both"),
    cl::init("cpu"));
static cl::opt<std::string> weightType(
    "weight-type",
    cl::desc("Element type of expert weights in the compiled functions: f32 (default) or "
             "bf16 (gate/up/down of routed and shared experts; f32 accumulation)"),
    cl::init("f32"));
static cl::opt<std::string> signKey(
    "sign",
    cl::desc("Sign the artifact with this Ed25519 secret key file (see --generate-key); "
             "given an .hxm instead of MLIR, signs that artifact (replacing any signature)"),
    cl::value_desc("keyfile"));
static cl::opt<std::string> generateKey(
    "generate-key",
    cl::desc("Write a new Ed25519 key pair, FILE (the secret key, mode 0600) and FILE.pub "
             "(the public key for hexmoe-run --trust), and exit"),
    cl::value_desc("FILE"));
static cl::opt<std::string> dumpKernels(
    "dump-kernels",
    cl::desc("Also write every executable's code to DIR for inspection: "
             "cpu-x86_64-v4.so, cpu-x86_64-v3.so, opencl-c.cl"),
    cl::value_desc("DIR"));
static cl::opt<std::string> weightsDir(
    "weights",
    cl::desc("Checkpoint directory (model.safetensors or a sharded index) holding the tensors "
             "that function arguments marked {moe.weight = \"NAME\"} name. The artifact "
             "refers to them by file, offset, length and SHA-256 (the runtime maps them at "
             "load; hexmoe-run --weights=DIR finds a moved checkpoint)"),
    cl::value_desc("DIR"));
static cl::opt<bool> embedWeights(
    "embed-weights",
    cl::desc("With --weights: copy the tensors into the artifact instead (converting the "
             "checkpoint's dtype to the function's, e.g. bf16 to f32), so it runs without "
             "the checkpoint"));
static cl::opt<bool> quiet("quiet", cl::desc("Print nothing on success"));

/// Writes `bytes` to `path`; false (with a message) on failure.
static bool writeArtifact(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::string error;
  auto output = mlir::openOutputFile(path, &error);
  if (!output) {
    llvm::errs() << "hexmoe-compile: " << error << "\n";
    return false;
  }
  output->os().write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  output->os().flush();
  if (output->os().has_error()) {
    llvm::errs() << "hexmoe-compile: " << path << ": " << output->os().error().message() << "\n";
    output->os().clear_error();
    return false;
  }
  output->keep();
  return true;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerPassManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::SetVersionPrinter([](llvm::raw_ostream &os) { os << "hexmoe-compile 0.1\n"; });
  cl::ParseCommandLineOptions(
      argc, argv,
      "hexmoe-compile: compiles a moe-dialect MLIR file into a hexmoe artifact (.hxm)\n\n"
      "  hexmoe-compile models/examples/mixtral_layer.mlir --target=cpu -o layer.hxm\n"
      "  hexmoe-run layer.hxm --input=@hidden.npy ... --output=@out.npy\n\n"
      "The artifact holds the launch plan of every function and the code of each target:\n"
      "one shared object per CPU variant (the runtime picks the best one the host\n"
      "supports), OpenCL C for --target=opencl (run with hexmoe-run --device=opencl).\n\n"
      "An artifact is native code: to let a runtime load only yours, sign it:\n"
      "  hexmoe-compile --generate-key=release.key     (writes release.key, release.key.pub)\n"
      "  hexmoe-compile layer.mlir --sign=release.key -o layer.hxm\n"
      "  hexmoe-run layer.hxm --trust=release.key.pub ...\n");

  if (!generateKey.empty()) {
    auto key = hexmoe::schema::writeKeyPair(generateKey);
    if (!key.ok()) {
      llvm::errs() << "hexmoe-compile: " << key.status().message() << "\n";
      return 1;
    }
    if (!quiet)
      llvm::errs() << "hexmoe-compile: wrote " << generateKey << " (secret; keep it private) and "
                   << generateKey << ".pub (" << key->id() << ")\n";
    return 0;
  }
  if (inputFile.empty()) {
    llvm::errs() << "hexmoe-compile: no input given (an .mlir file to compile, or an .hxm to "
                    "sign; see --help)\n";
    return 2;
  }
  std::optional<hexmoe::schema::SecretKey> secretKey;
  if (!signKey.empty()) {
    auto key = hexmoe::schema::loadSecretKey(signKey);
    if (!key.ok()) {
      llvm::errs() << "hexmoe-compile: --sign: " << key.status().message() << "\n";
      return 1;
    }
    secretKey = *key;
  }

  hexmoe::registerAllTargets();
  mlir::MLIRContext context;
  hexmoe::compiler::prepareContext(context);
  if (weightType != "f32" && weightType != "bf16") {
    llvm::errs() << "hexmoe-compile: --weight-type must be f32 or bf16, got '" << weightType
                 << "'\n";
    return 1;
  }

  std::string error;
  auto file = mlir::openInputFile(inputFile, &error);
  if (!file) {
    llvm::errs() << "hexmoe-compile: " << error << "\n";
    return 1;
  }
  // An artifact given as the input is signed as it is, not compiled.
  const auto *head = reinterpret_cast<const uint8_t *>(file->getBufferStart());
  if (hexmoe::schema::declaredArtifactSize(head, file->getBufferSize()) != 0) {
    if (!secretKey) {
      llvm::errs() << "hexmoe-compile: " << inputFile
                   << " is already an artifact; give --sign=KEY to sign it\n";
      return 2;
    }
    auto signedBytes =
        hexmoe::schema::signArtifact(head, file->getBufferSize(), *secretKey, inputFile);
    if (!signedBytes.ok()) {
      llvm::errs() << "hexmoe-compile: " << signedBytes.status().message() << "\n";
      return 1;
    }
    const std::string out = outputFile.empty() ? std::string(inputFile) : std::string(outputFile);
    file.reset();
    if (!writeArtifact(out, *signedBytes)) return 1;
    if (!quiet)
      llvm::errs() << "hexmoe-compile: signed " << out << " with "
                   << secretKey->publicKey().id() << "\n";
    return 0;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  auto start = std::chrono::steady_clock::now();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
  if (!module) return 1;

  hexmoe::compiler::CompileOptions options;
  options.target = target;
  options.pipeline.weightType = weightType;
  options.source = inputFile;
  options.dumpKernelsDir = dumpKernels;
  options.weightsDir = weightsDir;
  options.embedWeights = embedWeights;
  if (embedWeights && weightsDir.empty()) {
    llvm::errs() << "hexmoe-compile: --embed-weights needs --weights=DIR (the checkpoint to copy from)\n";
    return 2;
  }
  auto artifact = hexmoe::compiler::compileModule(*module, options);
  if (mlir::failed(artifact)) return 1;
  if (secretKey) {
    auto signedBytes =
        hexmoe::schema::signArtifact(artifact->data(), artifact->size(), *secretKey, inputFile);
    if (!signedBytes.ok()) {
      llvm::errs() << "hexmoe-compile: " << signedBytes.status().message() << "\n";
      return 1;
    }
    *artifact = std::move(*signedBytes);
  }

  std::string out = outputFile;
  if (out.empty()) {
    llvm::StringRef in(inputFile);
    out = (in.ends_with(".mlir") ? in.drop_back(5) : in).str() + ".hxm";
  }
  if (!writeArtifact(out, *artifact)) return 1;
  if (!quiet) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << "hexmoe-compile: wrote " << out << " (" << artifact->size() << " bytes, target "
                 << target << ", " << weightType << " weights"
                 << (secretKey ? ", signed by " + secretKey->publicKey().id() : std::string())
                 << ") in "
                 << llvm::format("%.2f", seconds) << " s\n";
  }
  return 0;
}
