//===- hexmoe-compile.cpp - moe MLIR → hexmoe artifact --------------------===//
#include "compiler/Driver/Compile.h"
#include "compiler/Target/TargetBackend.h"
#include "models/builder/decoder_mlir.h"
#include "models/config/tensor_manifest.h"
#include "runtime/schema/artifact_file.h"
#include "runtime/schema/artifact_signature.h"
#include "targets/InitAllTargets.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <optional>

namespace cl = llvm::cl;

static cl::OptionCategory hexmoeCategory("hexmoe-compile options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::cat(hexmoeCategory), cl::desc("<input .mlir, a Hugging Face model directory, or an .hxm to sign>"));
static cl::opt<std::string> outputFile("o", cl::cat(hexmoeCategory), cl::desc("Output artifact (default: INPUT with .hxm)"),
                                       cl::value_desc("file"));
static cl::opt<std::string> target(
    "target",
    cl::cat(hexmoeCategory), cl::desc("Targets, comma-separated (see targetHelp())"),
    cl::init("cpu"));
static cl::opt<std::string> weightType(
    "weight-type",
    cl::cat(hexmoeCategory), cl::desc("Element type of expert weights in the compiled functions: f32 (default) or "
             "bf16 (gate/up/down of routed and shared experts; f32 accumulation). For a model "
             "directory also fp8 (e4m3, 128x128 blocks with f32 scales) or int8 (groups of 32 "
             "along each row, as llama.cpp's Q8_0): every projection of the decoder layers is "
             "quantised at compile time and embedded; FP8 checkpoint tensors stay as they are"),
    cl::init("f32"));
static cl::opt<std::string> signKey(
    "sign",
    cl::cat(hexmoeCategory), cl::desc("Sign the artifact with this Ed25519 secret key file (see --generate-key); "
             "given an .hxm instead of MLIR, signs that artifact (replacing any signature)"),
    cl::value_desc("keyfile"));
static cl::opt<std::string> generateKey(
    "generate-key",
    cl::cat(hexmoeCategory), cl::desc("Write a new Ed25519 key pair, FILE (the secret key, mode 0600) and FILE.pub "
             "(the public key for hexmoe-run --trust), and exit"),
    cl::value_desc("FILE"));
static cl::opt<std::string> dumpKernels(
    "dump-kernels",
    cl::cat(hexmoeCategory), cl::desc("Also write every executable's code to DIR for inspection, one file "
             "per format: cpu-x86_64-v4.so, cpu-x86_64-v3.so, opencl-c.cl, cuda-cpp.cu, "
             "hip-cpp.hip"),
    cl::value_desc("DIR"));
static cl::opt<std::string> weightsDir(
    "weights",
    cl::cat(hexmoeCategory), cl::desc("Checkpoint directory (model.safetensors or a sharded index) holding the tensors "
             "that function arguments marked {moe.weight = \"NAME\"} name. The artifact "
             "refers to them by file, offset, length and SHA-256 (the runtime maps them at "
             "load; hexmoe-run --weights=DIR finds a moved checkpoint)"),
    cl::value_desc("DIR"));
static cl::opt<bool> embedWeights(
    "embed-weights",
    cl::cat(hexmoeCategory), cl::desc("With --weights: copy the tensors into the artifact instead (converting the "
             "checkpoint's dtype to the function's, e.g. bf16 to f32), so it runs without "
             "the checkpoint"));
static cl::opt<int> maxSeqLen(
    "max-seq-len",
    cl::cat(hexmoeCategory), cl::desc("For a model directory: the positions its KV caches hold (prompt plus generated "
             "tokens; default: max_position_embeddings, at most 4096)"),
    cl::init(0));
static cl::opt<std::string> dumpMlir(
    "dump-mlir",
    cl::cat(hexmoeCategory), cl::desc("For a model directory: also write the moe-dialect MLIR built from it to FILE"),
    cl::value_desc("FILE"));
static cl::opt<bool> quiet("quiet", cl::cat(hexmoeCategory), cl::desc("Print nothing on success"));


/// --target's help, from the registered targets (the tool names none).
static std::string targetHelp() {
  std::string out = "Targets, comma-separated, each with an optional :VARIANT; one artifact holds them all "
                    "(e.g. --target=cpu,opencl,cuda-source). Built into this hexmoe-compile:";
  for (hexmoe::compiler::TargetBackend *t : hexmoe::compiler::registeredTargetBackends()) {
    out += "\n    " + t->name().str() + " (variants:";
    for (const std::string &v : t->variantNames()) out += " " + v;
    out += "): " + t->description().str();
  }
  return out;
}

/// A Hugging Face model directory as moe MLIR: config.json read and checked
/// against the checkpoint, the decoder built. Prints errors; false on one.
static bool buildModelMlir(const std::string &dir, hexmoe::models::BuildOptions::Quantize quantize,
                           hexmoe::models::BuiltModel &built) {
  auto fail = [](const hexmoe::Status &s) {
    llvm::errs() << "hexmoe-compile: " << s.message() << "\n";
    return false;
  };
  auto config = hexmoe::models::readModelConfig(dir);
  if (!config.ok()) return fail(config.status());
  auto ckpt = hexmoe::weights::Checkpoint::open(dir);
  if (!ckpt.ok()) return fail(ckpt.status());
  auto layout = hexmoe::models::checkCheckpoint(*config, **ckpt);
  if (!layout.ok()) return fail(layout.status());
  hexmoe::models::BuildOptions options;
  options.maxSeqLen = maxSeqLen;
  options.quantize = quantize;
  auto model = hexmoe::models::buildDecoderMlir(*config, *layout, **ckpt, options);
  if (!model.ok()) return fail(model.status());
  built = std::move(*model);
  if (!quiet)
    llvm::errs() << "hexmoe-compile: " << dir << ": " << hexmoe::models::architectureName(config->architecture) << ", "
                 << config->numLayers << " layers, " << config->numExperts << " experts (top-" << config->topK
                 << "), vocab " << config->vocabSize << ", " << (*ckpt)->size() << " tensors, caches of "
                 << built.maxSeqLen << " positions\n";
  return true;
}

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
  hexmoe::registerAllTargets();
  static const std::string targetDescription = targetHelp();  // setDescription keeps a reference
  target.setDescription(targetDescription);
  // --help shows hexmoe's options; --help-hidden adds MLIR's and LLVM's.
  cl::HideUnrelatedOptions(hexmoeCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "hexmoe-compile: compiles a moe-dialect MLIR file into a hexmoe artifact (.hxm)\n\n"
      "  hexmoe-compile models/examples/mixtral_layer.mlir --target=cpu -o layer.hxm\n"
      "  hexmoe-compile path/to/hf-model-dir -o model.hxm   (mixtral, qwen3_moe: weights stay in the checkpoint)\n"
      "  hexmoe-run layer.hxm --input=@hidden.npy ... --output=@out.npy\n\n"
      "The artifact holds the launch plan of every function and the code of each target:\n"
      "one shared object per CPU variant (the runtime picks the best one the host\n"
      "supports), OpenCL C for --target=opencl (run with hexmoe-run --device=opencl),\n"
      "CUDA C++ for --target=cuda-source (hexmoe-run --device=cuda:0 compiles it with NVRTC),\n"
      "HIP C++ for --target=hip-source.\n\n"
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

  mlir::MLIRContext context;
  hexmoe::compiler::prepareContext(context);
  std::string error;
  // A model directory is built into MLIR first; its checkpoint is the weights.
  const bool modelDir = llvm::sys::fs::is_directory(inputFile);
  using Quantize = hexmoe::models::BuildOptions::Quantize;
  const Quantize quantize = weightType == "fp8" ? Quantize::kFp8 : weightType == "int8" ? Quantize::kInt8 : Quantize::kNone;
  if (weightType != "f32" && weightType != "bf16" && !(modelDir && quantize != Quantize::kNone)) {
    llvm::errs() << "hexmoe-compile: --weight-type must be f32 or bf16"
                 << (modelDir ? ", fp8 or int8" : " (fp8 and int8 quantise a model directory)") << ", got '"
                 << weightType << "'\n";
    return 1;
  }
  hexmoe::models::BuiltModel built;
  std::unique_ptr<llvm::MemoryBuffer> file;
  if (modelDir) {
    if (maxSeqLen < 0) {
      llvm::errs() << "hexmoe-compile: --max-seq-len must be positive\n";
      return 2;
    }
    if (!buildModelMlir(inputFile, quantize, built)) return 1;
    if (!dumpMlir.empty()) {
      std::error_code ec;
      llvm::raw_fd_ostream os(dumpMlir, ec);
      if (ec) {
        llvm::errs() << "hexmoe-compile: --dump-mlir: " << dumpMlir << ": " << ec.message() << "\n";
        return 1;
      }
      os << built.mlir;
    }
    file = llvm::MemoryBuffer::getMemBufferCopy(built.mlir, inputFile + "/config.json (built)");
  } else {
    file = mlir::openInputFile(inputFile, &error);
  }
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
  options.pipeline.weightType = quantize == Quantize::kNone ? std::string(weightType) : std::string("f32");
  options.source = inputFile;
  options.dumpKernelsDir = dumpKernels;
  options.weightsDir = weightsDir;
  options.embedWeights = embedWeights;
  if (modelDir) {
    if (options.weightsDir.empty()) options.weightsDir = inputFile;
    options.generatedWeights = std::move(built.generatedWeights);
  }
  if (embedWeights && weightsDir.empty() && !modelDir) {
    llvm::errs() << "hexmoe-compile: --embed-weights needs --weights=DIR (the checkpoint to copy from)\n";
    return 2;
  }
  hexmoe::compiler::CompileStats stats;
  options.stats = &stats;
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
    in = in.rtrim('/');
    out = (in.ends_with(".mlir") ? in.drop_back(5) : in).str() + ".hxm";
  }
  if (!writeArtifact(out, *artifact)) return 1;
  if (!quiet) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    llvm::errs() << "hexmoe-compile: wrote " << out << " (" << artifact->size() << " bytes, target "
                 << target << ", "
                 << (!modelDir                   ? std::string(weightType) + " weights"
                     : quantize != Quantize::kNone ? "checkpoint weights, " + std::string(weightType) +
                                                         " projections embedded"
                                                   : std::string("checkpoint weights"))
                 << (secretKey ? ", signed by " + secretKey->publicKey().id() : std::string())
                 << ") in "
                 << llvm::format("%.2f", seconds) << " s\n";
    if (stats.referencedWeights + stats.embeddedWeights > 0)
      llvm::errs() << "hexmoe-compile: weights: " << stats.referencedWeights << " from the checkpoint ("
                   << stats.referencedBytes << " bytes), " << stats.embeddedWeights << " embedded ("
                   << stats.embeddedBytes << " bytes)\n";
  }
  return 0;
}
