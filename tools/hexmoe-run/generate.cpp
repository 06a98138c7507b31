// The generation loop of hexmoe-run.
#include "tools/hexmoe-run/generate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "models/tokenizer/tokenizer.h"
#include "tools/hexmoe-run/npy.h"
#include "tools/hexmoe-run/values.h"

namespace hexmoe::tools {
namespace {

struct TensorDeleter {
  void operator()(hexmoe_tensor_t* t) const { hexmoe_tensor_release(t); }
};
using Tensor = std::unique_ptr<hexmoe_tensor_t, TensorDeleter>;

void check(hexmoe_status_t status, const std::string& context = "") {
  if (!status) return;
  const std::string message = context + hexmoe_status_message(status);
  hexmoe_status_free(status);
  throw GenerateError(message);
}

Tensor makeTensor(hexmoe_runtime_t* runtime, size_t device, hexmoe_element_type_t type,
                  const std::vector<int64_t>& shape, const void* data) {
  hexmoe_tensor_t* t = nullptr;
  check(hexmoe_tensor_create_on_device(runtime, device, type, shape.size(), shape.data(), data, &t));
  return Tensor(t);
}

/// The checkpoint's end-of-sequence id: generation_config.json, else
/// config.json ("eos_token_id", a number or the first of a list); -1 if none.
int64_t eosFromCheckpoint(const std::string& dir) {
  for (const char* file : {"generation_config.json", "config.json"}) {
    std::ifstream in(dir + "/" + file);
    if (!in) continue;
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("eos_token_id")) continue;
    const nlohmann::json& e = j["eos_token_id"];
    if (e.is_number_integer()) return e.get<int64_t>();
    if (e.is_array() && !e.empty() && e[0].is_number_integer()) return e[0].get<int64_t>();
  }
  return -1;
}

/// The next token from one row of logits: argmax, or a seeded sample with
/// temperature, top-k and top-p.
int32_t pick(const float* logits, int64_t vocab, const GenerateOptions& o, std::mt19937_64& rng) {
  if (o.temperature <= 0) return static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
  std::vector<std::pair<double, int32_t>> p;
  p.reserve(static_cast<size_t>(vocab));
  const double top = *std::max_element(logits, logits + vocab);
  for (int64_t i = 0; i < vocab; ++i) p.push_back({std::exp((logits[i] - top) / o.temperature), static_cast<int32_t>(i)});
  std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  if (o.topK > 0 && static_cast<size_t>(o.topK) < p.size()) p.resize(static_cast<size_t>(o.topK));
  double total = 0;
  for (const auto& e : p) total += e.first;
  double kept = 0;
  size_t n = 0;
  while (n < p.size() && (n == 0 || kept < o.topP * total)) kept += p[n++].first;
  p.resize(n);
  std::uniform_real_distribution<double> u(0.0, kept);
  double r = u(rng);
  for (const auto& e : p) {
    if ((r -= e.first) <= 0) return e.second;
  }
  return p.back().second;
}

}  // namespace

std::vector<int32_t> parseIds(const std::string& text) {
  std::vector<int32_t> ids;
  std::stringstream s(text);
  std::string item;
  while (std::getline(s, item, ',')) {
    char* end = nullptr;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 0 || v > INT32_MAX)
      throw GenerateError("--prompt-ids: '" + item + "' is not a token id (comma-separated non-negative integers)");
    ids.push_back(static_cast<int32_t>(v));
  }
  if (ids.empty()) throw GenerateError("--prompt-ids: no token ids given");
  return ids;
}

void generate(hexmoe_runtime_t* runtime, hexmoe_module_t* module, const GenerateOptions& o) {
  hexmoe_function_t* fn = nullptr;
  check(hexmoe_module_lookup_function(module, "forward", &fn),
        "--prompt needs an artifact compiled from a model directory (hexmoe-compile MODEL_DIR): ");
  const size_t args = hexmoe_function_argument_count(fn);
  hexmoe_tensor_info_t info;
  auto argName = [&](size_t i) {
    check(hexmoe_function_argument(fn, i, &info));
    return std::string(info.name);
  };
  if (args < 2 || argName(0) != "ids" || argName(1) != "positions" || (args - 2) % 2 != 0 ||
      hexmoe_function_result_count(fn) != 1)
    throw GenerateError(std::string("function 'forward' is not a decoder's (ids, positions, caches...) -> logits: ") +
                        hexmoe_function_signature(fn));
  const size_t device = hexmoe_module_default_device(module);

  // The caches: static shapes from the signature, kept across calls.
  std::vector<Tensor> caches;
  int64_t slots = 0;
  for (size_t i = 2; i < args; ++i) {
    const std::string name = argName(i);
    if (name.find("cache.") == std::string::npos || info.rank != 2 || info.extents[0].dim >= 0 ||
        info.extents[1].dim >= 0)
      throw GenerateError("function 'forward': argument " + std::to_string(i) + " (" + name + ") is not a KV cache");
    std::vector<int64_t> shape = {info.extents[0].static_size, info.extents[1].static_size};
    if (slots && shape[0] != slots) throw GenerateError("function 'forward': its caches hold different numbers of positions");
    slots = shape[0];
    caches.push_back(makeTensor(runtime, device, HEXMOE_F32, shape, nullptr));
  }
  hexmoe_tensor_info_t result;
  check(hexmoe_function_result(fn, 0, &result));
  if (result.rank != 2 || result.extents[1].dim >= 0)
    throw GenerateError("function 'forward' does not return logits [T, vocab]");
  const int64_t vocab = result.extents[1].static_size;

  // The tokenizer: needed for a text prompt, used for printing when present.
  const std::string dir = hexmoe_module_weights_dir(module);
  const std::string tokenizerPath = !o.tokenizerPath.empty() ? o.tokenizerPath : dir.empty() ? "" : dir + "/tokenizer.json";
  std::unique_ptr<tokenizer::Tokenizer> tok;
  // Loaded when asked for (a text prompt, --tokenizer) or beside the checkpoint.
  if (!tokenizerPath.empty() && (o.textPrompt || !o.tokenizerPath.empty() || std::ifstream(tokenizerPath).good())) {
    auto loaded = tokenizer::Tokenizer::fromFile(tokenizerPath);
    if (!loaded.ok()) throw GenerateError(loaded.status().message());
    tok = std::move(*loaded);
  }
  std::vector<int32_t> prompt = o.promptIds;
  if (o.textPrompt) {
    if (!tok) throw GenerateError("--prompt needs a tokenizer: the artifact refers to no checkpoint; give --tokenizer=FILE");
    auto ids = tok->encode(o.prompt, /*addSpecialTokens=*/true);
    if (!ids.ok()) throw GenerateError("--prompt: " + ids.status().message());
    prompt = *ids;
    if (prompt.empty()) throw GenerateError("--prompt encodes to no tokens");
  }
  for (int32_t id : prompt)
    if (id >= vocab)
      throw GenerateError("token id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(vocab));
  const int64_t needed = static_cast<int64_t>(prompt.size()) + o.maxNewTokens;
  if (needed > slots)
    throw GenerateError("the prompt (" + std::to_string(prompt.size()) + " tokens) and " + std::to_string(o.maxNewTokens) +
                        " new tokens need " + std::to_string(needed) + " positions; the artifact's KV caches hold " +
                        std::to_string(slots) + " (hexmoe-compile --max-seq-len)");
  const int64_t eos = o.eosId != -2 ? o.eosId : dir.empty() ? -1 : eosFromCheckpoint(dir);

  std::mt19937_64 rng(o.seed);
  std::vector<float> dumped, row(static_cast<size_t>(vocab));
  std::vector<int32_t> generated;
  double prefillSeconds = 0, decodeSeconds = 0;
  std::vector<int32_t> step = prompt;
  int64_t position = 0;
  while (static_cast<int>(generated.size()) < o.maxNewTokens) {
    std::vector<int32_t> positions(step.size());
    for (size_t i = 0; i < step.size(); ++i) positions[i] = static_cast<int32_t>(position + static_cast<int64_t>(i));
    const int64_t t = static_cast<int64_t>(step.size());
    Tensor ids = makeTensor(runtime, device, HEXMOE_I32, {t}, step.data());
    Tensor pos = makeTensor(runtime, device, HEXMOE_I32, {t}, positions.data());
    std::vector<hexmoe_tensor_t*> inputs = {ids.get(), pos.get()};
    for (Tensor& c : caches) inputs.push_back(c.get());
    hexmoe_tensor_t* out = nullptr;
    const auto start = std::chrono::steady_clock::now();
    check(hexmoe_function_invoke(fn, inputs.data(), inputs.size(), &out, 1));
    Tensor logits(out);
    std::vector<float> all(static_cast<size_t>(t * vocab));
    check(hexmoe_tensor_read(logits.get(), all.data(), all.size() * sizeof(float)));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    (position == 0 ? prefillSeconds : decodeSeconds) += seconds;
    const float* last = all.data() + (t - 1) * vocab;
    if (!o.dumpLogits.empty()) dumped.insert(dumped.end(), last, last + vocab);
    const int32_t next = pick(last, vocab, o, rng);
    generated.push_back(next);
    if (position == 0 && o.printDecodeProfile) check(hexmoe_function_set_profiling(fn, 1));
    position += t;
    step = {next};
    if (next == eos) break;
  }

  if (!o.dumpLogits.empty()) {
    std::string error;
    const std::vector<int64_t> shape = {static_cast<int64_t>(dumped.size()) / vocab, vocab};
    if (!writeNpy(o.dumpLogits, toNpy(HEXMOE_F32, shape, dumped.data()), error)) throw GenerateError("--dump-logits: " + error);
  }
  if (tok && !o.printIds) {
    // A text prompt is echoed, so the output reads on from it.
    std::printf("%s%s\n", o.textPrompt ? o.prompt.c_str() : "", tok->decode(generated, /*skipSpecialTokens=*/true).c_str());
  } else {
    for (size_t i = 0; i < generated.size(); ++i) std::printf("%s%d", i ? "," : "", generated[i]);
    std::printf("\n");
  }
  const size_t decoded = generated.size() - 1;
  std::printf("prefill: %zu tokens in %.2f ms (%.1f tokens/s); decode: %zu tokens in %.2f ms (%.1f tokens/s)\n",
              prompt.size(), prefillSeconds * 1e3, prompt.size() / std::max(prefillSeconds, 1e-9), decoded,
              decodeSeconds * 1e3, decoded ? decoded / std::max(decodeSeconds, 1e-9) : 0.0);
  if (o.printDecodeProfile) {
    std::printf("decode steps, per step:\n");
    o.printDecodeProfile(fn);
    check(hexmoe_function_set_profiling(fn, 0));
  }
}

}  // namespace hexmoe::tools
