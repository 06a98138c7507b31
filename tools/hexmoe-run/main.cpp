// hexmoe-run: loads a compiled artifact and runs one of its functions on
// inputs from .npy files or the command line, through the C API alone.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "hexmoe/hexmoe.hpp"
#include "tools/hexmoe-run/generate.h"
#include "tools/hexmoe-run/npy.h"
#include "tools/hexmoe-run/values.h"

namespace {

using hexmoe::tools::HostTensor;

constexpr const char* kUsage = R"(usage: hexmoe-run ARTIFACT.hxm [options]

Runs a function of a compiled hexmoe artifact on one device (by default the
CPU, with the best CPU variant this host supports) and prints or saves its
results.

options:
  --function=NAME       the function to run (needed when there are several)
  --input=@FILE.npy     the next argument, from a NumPy .npy file
  --input=VALUES        the next argument, written out (see below)
  --output=@FILE.npy    where the next result goes (one per result); without
                        any --output, results are printed
  --repeat=N            after one warm-up run, time N more runs and print the
                        median, min, p10, p90 and max (loading excluded)
  --profile             time every kernel launch and print a table of where
                        the time goes (over the --repeat runs, or one run;
                        with --prompt, over the decode steps)
  --device=NAME         the device to run on: cpu (default), cpu:N (the host
                        with a thread pool of its own), opencl:N (OpenCL
                        device N; needs an artifact compiled with
                        --target=opencl or cpu,opencl), cuda:N (NVIDIA GPU N;
                        needs --target=cuda-source, compiled with NVRTC at
                        load), hip:N (AMD GPU N; --target=hip-source, hipRTC);
                        --list-devices shows what this machine has
  --driver-option=D.K=V a driver setting, e.g. cpu.threads=2 (repeatable;
                        the cpu driver reads threads, features and variant,
                        the opencl driver build_options, the cuda driver
                        block_size and nvrtc_options, the hip driver arch,
                        block_size and hiprtc_options)
  --threads=N           threads that run kernels (default: every CPU)
  --cpu-variant=ISA     run this CPU variant (e.g. x86-64-v3), not the best
  --cpu-features=LIST   pretend the host has these CPU features (testing:
                        "avx,avx2,fma" replaces, "-avx512f" removes)
  --trust=KEY           load the artifact only if it is signed by KEY: a public
                        key file (hexmoe-compile --generate-key) or its 64 hex
                        digits; repeatable (any of them will do). Without it,
                        any artifact loads: it holds native code, so only run
                        artifacts from people you trust
generation (an artifact compiled from a model directory):
  --prompt=TEXT         generate after TEXT (encoded with the checkpoint's
                        tokenizer.json); prints the text, then prefill and
                        decode tokens/s
  --prompt-ids=1,15,27  the same from token ids (prints ids unless the
                        checkpoint has a tokenizer.json)
  --max-new-tokens=N    tokens to generate (default 16; stops early at EOS)
  --temperature=T       sample at temperature T (default: greedy)
  --top-k=K, --top-p=P  sample from the K most likely / the smallest set of
                        probability >= P (with --temperature)
  --seed=S              the sampler's seed (default 0)
  --dump-logits=@F.npy  write f32 [steps, vocab]: row 0 the logits at the last
                        prompt position, row i those after i generated tokens
  --tokenizer=FILE      a tokenizer.json other than the checkpoint's
  --print-ids           print the generated ids, not their text
  --eos-id=N            stop at token N (default: the checkpoint's
                        eos_token_id; -1: never)

  --weights=DIR         the checkpoint directory of an artifact compiled with
                        --weights (default: where it was at compile time)
  --no-verify-weights   skip the SHA-256 check of every referenced weight at
                        load (only each byte range is checked)
  --log-level=LEVEL     trace, debug, info, warn (default), error, off
  --list                print the artifact's functions and exit
  --list-devices        print the devices the built-in drivers can open here
                        and exit (no artifact needed)
  --version             print the runtime version and exit
  -h, --help            print this help and exit

Inputs are given in argument order, one --input each.

.npy files: little-endian, C order. f32 arguments take <f4 or <f8 (converted);
bf16 arguments take <f4 (rounded to nearest even) or <u2 (raw bf16 bits); i32
arguments take <i4 or <i8 (range-checked); i64 arguments take <i8 or <i4.
Results are written as <f4 (f32 and bf16, the latter exactly), <i4 or <i8.

VALUES (the element type must be the argument's):
  "[[1,2],[3,4]]"        nested lists; the shape is their nesting
  2x3xf32=1,2,3,4,5,6    shape 2x3, element type, row-major values
  2x3xf32=0              one value fills the whole tensor
  f32=2.5  or  2.5       a scalar

Environment: HEXMOE_LOG_LEVEL, HEXMOE_THREADS, HEXMOE_CPU_VARIANT and
HEXMOE_CPU_FEATURES act as the options above when those are not given.

examples:
  hexmoe-run layer.hxm --list
  hexmoe-run layer.hxm --input=@hidden.npy --input=@router.npy ... --output=@out.npy
  hexmoe-run add.hxm --input="[[1,2],[3,4]]" --input=2x2xf32=1 --repeat=100
)";

/// A failed run: the message is printed as "hexmoe-run: error: <message>".
struct Failure {
  std::string message;
  int exitCode = 1;
};

struct Options {
  std::string artifact;
  std::string function;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  int repeat = 0;
  bool profile = false;
  int threads = 0;
  std::string cpuVariant;
  std::string cpuFeatures;
  hexmoe_log_level_t logLevel = HEXMOE_LOG_DEFAULT;
  bool list = false;
  bool listDevices = false;
  std::string device;
  std::string driverOptions;  // "driver.key=value;..."
  std::string trustedKeys;    // "KEY,KEY"
  std::string weightsDir;
  bool verifyWeights = true;
  bool generation = false;
  hexmoe::tools::GenerateOptions gen;
};

double parseNumber(const std::string& flag, const std::string& value, double min, double max) {
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(v >= min && v <= max))
    throw Failure{flag + " takes a number in [" + std::to_string(min) + ", " + std::to_string(max) + "], got '" + value + "'", 2};
  return v;
}

using hexmoe::api::TensorPtr;
using hexmoe::api::ModulePtr;
using hexmoe::api::RuntimePtr;
using hexmoe::api::StatusPtr;

/// Throws a Failure for a non-OK status, with `context` before its message.
void check(hexmoe_status_t status, const std::string& context = "") {
  StatusPtr owned(status);
  if (status) throw Failure{context + hexmoe_status_message(status)};
}

int parseCount(const std::string& flag, const std::string& value, int min) {
  char* end = nullptr;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || n < min || n > 1000000000)
    throw Failure{flag + " takes a number >= " + std::to_string(min) + ", got '" + value + "'", 2};
  return static_cast<int>(n);
}

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg == "--version") {
      std::printf("hexmoe-run %s\n", hexmoe_version());
      std::exit(0);
    }
    if (arg == "--list") {
      o.list = true;
      continue;
    }
    if (arg == "--list-devices") {
      o.listDevices = true;
      continue;
    }
    if (arg == "--profile") {
      o.profile = true;
      continue;
    }
    if (arg == "--print-ids") {
      o.gen.printIds = true;
      continue;
    }
    if (arg == "--no-verify-weights") {
      o.verifyWeights = false;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      if (!o.artifact.empty()) throw Failure{"unexpected argument '" + arg + "' (one artifact only)", 2};
      o.artifact = arg;
      continue;
    }
    // "--flag=value", or "--flag value".
    std::string flag = arg, value;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw Failure{flag + " needs a value (see --help)", 2};
    }
    if (flag == "--function") {
      o.function = value;
    } else if (flag == "--input") {
      o.inputs.push_back(value);
    } else if (flag == "--output") {
      o.outputs.push_back(value);
    } else if (flag == "--repeat") {
      o.repeat = parseCount(flag, value, 1);
    } else if (flag == "--threads") {
      o.threads = parseCount(flag, value, 1);
    } else if (flag == "--device") {
      o.device = value;
    } else if (flag == "--driver-option") {
      if (value.find(';') != std::string::npos)
        throw Failure{"--driver-option takes one driver.key=value, got '" + value + "'", 2};
      o.driverOptions += (o.driverOptions.empty() ? "" : ";") + value;
    } else if (flag == "--trust") {
      if (value.empty() || value.find(',') != std::string::npos)
        throw Failure{"--trust takes one public key (a file or 64 hex digits), got '" + value + "'", 2};
      o.trustedKeys += (o.trustedKeys.empty() ? "" : ",") + value;
    } else if (flag == "--prompt") {
      o.generation = o.gen.textPrompt = true;
      o.gen.prompt = value;
    } else if (flag == "--prompt-ids") {
      o.generation = true;
      try {
        o.gen.promptIds = hexmoe::tools::parseIds(value);
      } catch (const hexmoe::tools::GenerateError& e) {
        throw Failure{e.what(), 2};
      }
    } else if (flag == "--max-new-tokens") {
      o.gen.maxNewTokens = parseCount(flag, value, 1);
    } else if (flag == "--temperature") {
      o.gen.temperature = parseNumber(flag, value, 0, 100);
    } else if (flag == "--top-k") {
      o.gen.topK = parseCount(flag, value, 1);
    } else if (flag == "--top-p") {
      o.gen.topP = parseNumber(flag, value, 1e-9, 1);
    } else if (flag == "--seed") {
      o.gen.seed = static_cast<uint64_t>(parseCount(flag, value, 0));
    } else if (flag == "--dump-logits") {
      if (value.size() < 2 || value[0] != '@') throw Failure{"--dump-logits takes @FILE.npy, got '" + value + "'", 2};
      o.gen.dumpLogits = value.substr(1);
    } else if (flag == "--tokenizer") {
      o.gen.tokenizerPath = value;
    } else if (flag == "--eos-id") {
      o.gen.eosId = static_cast<int64_t>(parseNumber(flag, value, -1, 2147483647));
    } else if (flag == "--weights") {
      if (value.empty()) throw Failure{"--weights takes a checkpoint directory", 2};
      o.weightsDir = value;
    } else if (flag == "--cpu-variant") {
      o.cpuVariant = value;
    } else if (flag == "--cpu-features") {
      o.cpuFeatures = value;
    } else if (flag == "--log-level") {
      static const char* const kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
      auto it = std::find_if(std::begin(kLevels), std::end(kLevels), [&](const char* l) { return value == l; });
      if (it == std::end(kLevels))
        throw Failure{"--log-level takes trace, debug, info, warn, error or off, got '" + value + "'", 2};
      o.logLevel = static_cast<hexmoe_log_level_t>(it - std::begin(kLevels));
    } else {
      throw Failure{"unknown option '" + flag + "' (see --help)", 2};
    }
  }
  if (o.artifact.empty() && !o.listDevices) throw Failure{"no artifact given (usage: hexmoe-run ARTIFACT.hxm [options]; see --help)", 2};
  if (o.generation && o.gen.textPrompt && !o.gen.promptIds.empty())
    throw Failure{"give --prompt or --prompt-ids, not both", 2};
  if (o.generation && (!o.inputs.empty() || !o.outputs.empty() || o.repeat))
    throw Failure{"--prompt/--prompt-ids generate with the model's own inputs: drop --input, --output and --repeat", 2};
  return o;
}

void listDevices() {
  hexmoe_device_list_t* list = nullptr;
  check(hexmoe_device_list_create(&list));
  std::unique_ptr<hexmoe_device_list_t, void (*)(hexmoe_device_list_t*)> owned(list, hexmoe_device_list_free);
  std::printf("devices:\n");
  for (size_t i = 0; i < hexmoe_device_list_count(list); ++i)
    std::printf("  %-10s %s\n", hexmoe_device_list_name(list, i), hexmoe_device_list_description(list, i));
  if (hexmoe_device_list_unavailable_count(list)) std::printf("unavailable:\n");
  for (size_t i = 0; i < hexmoe_device_list_unavailable_count(list); ++i)
    std::printf("  %s\n", hexmoe_device_list_unavailable(list, i));
}

void listModule(const hexmoe_runtime_t* runtime, const hexmoe_module_t* module) {
  std::printf("%s\n", hexmoe_module_name(module));
  if (*hexmoe_module_producer(module)) std::printf("  producer:    %s\n", hexmoe_module_producer(module));
  if (*hexmoe_module_source(module)) std::printf("  source:      %s\n", hexmoe_module_source(module));
  std::printf("  signed by:   %s\n", *hexmoe_module_signer(module) ? hexmoe_module_signer(module) : "(unsigned)");
  for (size_t d = 0; d < hexmoe_runtime_device_count(runtime); ++d) {
    hexmoe_device_info_t info;
    check(hexmoe_runtime_device_info(runtime, d, &info));
    const char* name = hexmoe_module_executable_name(module, d);
    if (!name) {
      std::printf("  %s: not loaded (%s)\n", info.name, info.description);
      continue;
    }
    std::printf("  %s: %s, format %s (on %s)\n", info.name, name, hexmoe_module_executable_format(module, d),
                info.description);
  }
  std::printf("functions:\n");
  for (size_t f = 0; f < hexmoe_module_function_count(module); ++f)
    std::printf("  %s\n", hexmoe_function_signature(hexmoe_module_function(module, f)));
}

/// One line per kernel launch: mean time per run, share of the total.
void printProfile(const hexmoe_function_t* fn) {
  const size_t n = hexmoe_function_dispatch_count(fn);
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    double seconds = 0;
    check(hexmoe_function_dispatch_profile(fn, i, nullptr, nullptr, nullptr, &seconds));
    total += seconds;
  }
  std::printf("%-40s %8s %12s %10s %7s\n", "kernel", "runs", "workgroups", "mean ms", "share");
  for (size_t i = 0; i < n; ++i) {
    const char* kernel = "";
    int64_t calls = 0, workgroups = 0;
    double seconds = 0;
    check(hexmoe_function_dispatch_profile(fn, i, &kernel, &calls, &workgroups, &seconds));
    const double runs = calls > 0 ? static_cast<double>(calls) : 1.0;
    std::printf("%-40s %8lld %12.0f %10.4f %6.1f%%\n", kernel, static_cast<long long>(calls),
                static_cast<double>(workgroups) / runs, seconds * 1e3 / runs,
                total > 0 ? 100.0 * seconds / total : 0.0);
  }
}

hexmoe_function_t* pickFunction(const hexmoe_module_t* module, const std::string& name) {
  hexmoe_function_t* fn = nullptr;
  if (!name.empty()) {
    check(hexmoe_module_lookup_function(module, name.c_str(), &fn));
    return fn;
  }
  const size_t count = hexmoe_module_function_count(module);
  if (count == 1) return hexmoe_module_function(module, 0);
  std::string names;
  for (size_t i = 0; i < count; ++i) names += std::string(i ? ", " : "") + hexmoe_function_name(hexmoe_module_function(module, i));
  throw Failure{std::string(hexmoe_module_name(module)) + " has " + std::to_string(count) + " functions (" + names +
                "); pick one with --function=NAME"};
}

/// Reads --input number `index` for its argument and makes a buffer of it.
TensorPtr loadInput(hexmoe_runtime_t* runtime, const hexmoe_function_t* fn, size_t index, const std::string& spec) {
  hexmoe_tensor_info_t info;
  check(hexmoe_function_argument(fn, index, &info));
  const std::string label = "argument " + std::to_string(index) + " (" + info.name + ")";
  HostTensor tensor;
  std::string error;
  if (!spec.empty() && spec[0] == '@') {
    const std::string path = spec.substr(1);
    hexmoe::tools::NpyArray array;
    if (!hexmoe::tools::readNpy(path, array, error)) throw Failure{label + ": " + error};
    if (!hexmoe::tools::fromNpy(array, info.element_type, tensor, error))
      throw Failure{label + ": " + error + " from " + path};
  } else if (!hexmoe::tools::parseValues(spec, info.element_type, tensor, error)) {
    // A long value list is quoted by its start only.
    constexpr size_t kQuoted = 80;
    throw Failure{label + ": " + error + " in --input=" +
                  (spec.size() <= kQuoted ? spec : spec.substr(0, kQuoted) + "... (" + std::to_string(spec.size()) +
                                                       " characters)")};
  }
  hexmoe_tensor_t* buffer = nullptr;
  check(hexmoe_tensor_create(runtime, tensor.type, tensor.shape.size(), tensor.shape.data(), tensor.data.data(),
                             &buffer),
        label + ": ");
  return TensorPtr(buffer);
}

/// Adds the input's source to the runtime's "argument N (name): ..." errors.
std::string withSource(const std::string& message, const std::vector<std::string>& inputs) {
  unsigned index = 0;
  if (std::sscanf(message.c_str(), "argument %u (", &index) != 1 || index >= inputs.size()) return message;
  const std::string& spec = inputs[index];
  if (!spec.empty() && spec[0] == '@') return message + " from " + spec.substr(1);
  return message + " from --input=" + spec;
}

std::vector<int64_t> shapeOf(const hexmoe_tensor_t* b) {
  const int64_t* s = hexmoe_tensor_shape(b);
  return std::vector<int64_t>(s, s + hexmoe_tensor_rank(b));
}

std::string typeText(const hexmoe_tensor_t* b) {
  std::string s = std::string(hexmoe_element_type_name(hexmoe_tensor_element_type(b))) + " [";
  const std::vector<int64_t> shape = shapeOf(b);
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

double percentile(const std::vector<double>& sorted, double p) {
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

int run(const Options& o) {
  if (o.listDevices) {
    listDevices();
    return 0;
  }
  hexmoe_runtime_options_t ro;
  hexmoe_runtime_options_init(&ro);
  ro.threads = o.threads;
  ro.log_level = o.logLevel;
  ro.cpu_variant = o.cpuVariant.empty() ? nullptr : o.cpuVariant.c_str();
  ro.cpu_features = o.cpuFeatures.empty() ? nullptr : o.cpuFeatures.c_str();
  ro.devices = o.device.empty() ? nullptr : o.device.c_str();
  ro.driver_options = o.driverOptions.empty() ? nullptr : o.driverOptions.c_str();
  ro.trusted_keys = o.trustedKeys.empty() ? nullptr : o.trustedKeys.c_str();
  hexmoe_runtime_t* rawRuntime = nullptr;
  check(hexmoe_runtime_create(&ro, &rawRuntime));
  RuntimePtr runtime(rawRuntime);

  hexmoe_module_t* rawModule = nullptr;
  hexmoe_module_options_t mo;
  hexmoe_module_options_init(&mo);
  mo.weights_dir = o.weightsDir.empty() ? nullptr : o.weightsDir.c_str();
  mo.verify_weights = o.verifyWeights ? 1 : 0;
  check(hexmoe_module_load_file_with_options(runtime.get(), o.artifact.c_str(), &mo, &rawModule));
  ModulePtr module(rawModule);
  if (o.list) {
    listModule(runtime.get(), module.get());
    return 0;
  }

  if (o.generation) {
    try {
      hexmoe::tools::GenerateOptions gen = o.gen;
      if (o.profile) gen.printDecodeProfile = printProfile;
      hexmoe::tools::generate(runtime.get(), module.get(), gen);
    } catch (const hexmoe::tools::GenerateError& e) {
      throw Failure{e.what()};
    }
    return 0;
  }

  hexmoe_function_t* fn = pickFunction(module.get(), o.function);
  const std::string fnName = hexmoe_function_name(fn);
  const size_t argCount = hexmoe_function_argument_count(fn);
  const size_t resultCount = hexmoe_function_result_count(fn);
  if (o.inputs.size() != argCount)
    throw Failure{fnName + ": expected " + std::to_string(argCount) + " inputs, got " + std::to_string(o.inputs.size()) +
                  " (" + hexmoe_function_signature(fn) + ")"};
  if (!o.outputs.empty() && o.outputs.size() != resultCount)
    throw Failure{fnName + ": expected " + std::to_string(resultCount) + " --output files (one per result), got " +
                  std::to_string(o.outputs.size())};
  for (const std::string& out : o.outputs)
    if (out.size() < 2 || out[0] != '@')
      throw Failure{"--output takes @FILE.npy, got '" + out + "'", 2};

  std::vector<TensorPtr> inputs;
  std::vector<hexmoe_tensor_t*> inputHandles;
  for (size_t i = 0; i < argCount; ++i) {
    inputs.push_back(loadInput(runtime.get(), fn, i, o.inputs[i]));
    inputHandles.push_back(inputs.back().get());
  }

  std::vector<hexmoe_tensor_t*> outputs(resultCount, nullptr);
  auto invoke = [&] {
    hexmoe_status_t s = hexmoe_function_invoke(fn, inputHandles.data(), inputHandles.size(), outputs.data(),
                                               outputs.size());
    StatusPtr owned(s);
    if (s) throw Failure{withSource(hexmoe_status_message(s), o.inputs)};
  };
  invoke();
  std::vector<TensorPtr> results;
  for (hexmoe_tensor_t* b : outputs) results.emplace_back(b);

  if (o.profile) {
    check(hexmoe_function_set_profiling(fn, 1));
    if (o.repeat == 0) invoke();
  }
  if (o.repeat > 0) {
    // The results of the first run are reused as outputs: steady-state runs.
    std::vector<double> ms;
    for (int r = 0; r < o.repeat; ++r) {
      const auto start = std::chrono::steady_clock::now();
      invoke();
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    hexmoe_device_info_t device;
    check(hexmoe_runtime_device_info(runtime.get(), hexmoe_module_default_device(module.get()), &device));
    // Host threads say something about CPU devices only.
    const std::string threads = std::string(device.driver) == "cpu"
                                    ? ", " + std::to_string(device.threads) + (device.threads == 1 ? " thread" : " threads")
                                    : "";
    std::printf("%s: %d runs, median %.4f ms (min %.4f, p10 %.4f, p90 %.4f, max %.4f); %s%s, %s\n",
                fnName.c_str(), o.repeat, percentile(ms, 0.5), ms.front(), percentile(ms, 0.1), percentile(ms, 0.9),
                ms.back(), device.name, threads.c_str(), hexmoe_module_cpu_variant(module.get()));
  }

  if (o.profile) printProfile(fn);

  for (size_t r = 0; r < resultCount; ++r) {
    hexmoe_tensor_t* b = results[r].get();
    // Read through the API, so results of a device that is not host-visible print too.
    std::vector<uint8_t> bytes(hexmoe_tensor_byte_size(b));
    check(hexmoe_tensor_read(b, bytes.data(), bytes.size()));
    const void* data = bytes.data();
    const hexmoe_element_type_t type = hexmoe_tensor_element_type(b);
    if (!o.outputs.empty()) {
      const std::string path = o.outputs[r].substr(1);
      std::string error;
      if (!hexmoe::tools::writeNpy(path, hexmoe::tools::toNpy(type, shapeOf(b), data), error))
        throw Failure{"result " + std::to_string(r) + ": " + error};
      continue;
    }
    hexmoe_tensor_info_t info;
    check(hexmoe_function_result(fn, r, &info));
    std::printf("result %zu (%s): %s\n%s\n", r, info.name, typeText(b).c_str(),
                hexmoe::tools::formatTensor(type, shapeOf(b), data).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parseArgs(argc, argv));
  } catch (const Failure& f) {
    std::fflush(stdout);
    std::fprintf(stderr, "hexmoe-run: error: %s\n", f.message.c_str());
    return f.exitCode;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "hexmoe-run: error: %s\n", e.what());
    return 1;
  }
}
