// hexmoe-plan: which expert goes where, on a pool of unequal devices.
//
// A thin driver over the scheduler library: reads the inputs, plans (or
// re-plans, or replays a trace), prints a summary, writes the plan JSON and
// an SVG report. Every input error names the file and the JSON field.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/scheduler/calibration.h"
#include "runtime/scheduler/lower_bound.h"
#include "runtime/scheduler/online.h"
#include "runtime/scheduler/plan_json.h"
#include "runtime/scheduler/planner.h"
#include "runtime/scheduler/report_svg.h"
#include "runtime/scheduler/simulator.h"
#include "tools/hexmoe-plan/bench.h"

namespace hexmoe::plan_tool {
namespace {

using namespace hexmoe::scheduler;

constexpr const char* kUsage = R"(hexmoe-plan: place a MoE model's experts on a pool of devices.

Usage:
  hexmoe-plan --pool POOL --model MODEL [--load LOAD] [options] [-o plan.json] [--report plan.svg]
  hexmoe-plan --plan plan.json --replan --load LOAD [--migration-budget-gb N]
  hexmoe-plan --plan plan.json --lose DEVICE
  hexmoe-plan --plan plan.json --simulate --load LOAD
  hexmoe-plan --list-presets
  hexmoe-plan --bench [--quick] [--data-dir REPO]

Inputs:
  --pool FILE|SPEC       pool JSON (docs/scheduler.md), or an inline spec such as
                         4xh100+4xa800+2xcpu (device presets: --list-presets)
  --model DIR|FILE       Hugging Face model directory or its config.json; compiled
                         .hxm artifacts are not read yet
  --load TRACE|SPEC      a hexmoe-trace JSON file, or a synthetic load: uniform,
                         lognormal[:SIGMA], zipf[:S], drifting[:SIGMA[:RATE]]
                         (default lognormal:1.0)
  --plan FILE            start from a plan written with -o instead of planning
  --calibration FILE     measured efficiency factors (hexmoe-calibration JSON)

Planning:
  --algorithm NAME       capacity (default), eplb or round-robin
  --objective NAME       latency (default): each layer waits for its slowest device
                         and the token exchange; throughput: exchange overlaps compute
  --tokens-per-step N    tokens in one step (default 64 for latency, 4096 for throughput)
  --context N            KV-cache tokens each attention read sees (default 2048)
  --attention DEV,...    run attention on these devices (default: the devices with
                         the fastest memory, data parallel)
  --weight-dtype T       override the checkpoint's dtype: bf16, fp16, fp8, int8, int4
  --memory-reserve F     fraction of each device's memory kept for KV cache and
                         activations (default: the pool's, 0.10)
  --seed N               seed of synthetic loads and traces (default 42)
  --threads N            plan layers on N threads (default 1)
  --no-lower-bound       skip the lower bound
  --compare              also plan with eplb and round-robin and print their times

Online:
  --replan               re-plan --plan for --load, moving weights within the budget
  --migration-budget-gb N  weights --replan may copy (default 0: token shares only)
  --hysteresis F         move weights only if the step time improves by more than F
                         (default 0.02)
  --lose DEVICE          re-plan as if DEVICE failed (every expert keeps a replica)

Simulation:
  --simulate             replay the load through the plan: per-step time, imbalance,
                         memory, migrations; a synthetic load is sampled --steps times
  --steps N              synthetic steps to sample (default 100)
  --replan-every N       re-plan online every N steps while simulating (default 0: never)
  --trace-out FILE       write the sampled trace (hexmoe-trace JSON)

Output:
  -o, --output FILE      write the plan JSON
  --report FILE          write an SVG picture: layers x devices utilisation, expert load
  --json                 print the summary as JSON
  -q, --quiet            print errors only
  --list-presets         list the device presets and exit
  --bench                run the scheduler benchmark (ratios to EPLB and to the lower
                         bound on the issue's pools, planning times) and exit
  -h, --help             this text
)";

/// Bounds of --threads and --steps: more threads than layers are idle, and
/// a simulation's trace grows with the steps (see also kMaxTraceCounts).
constexpr uint64_t kMaxThreads = 256;
constexpr uint64_t kMaxSteps = 100000;

struct Options {
  std::string pool, model, load = "lognormal:1.0", plan, calibration;
  std::string algorithm = "capacity", objective = "latency";
  double tokens_per_step = 0, context = 2048, memory_reserve = -1;
  std::string attention, weight_dtype;
  uint64_t seed = 42;
  int threads = 1;
  bool lower_bound = true, compare = false;
  bool replan = false, simulate = false;
  double budget_gb = 0, hysteresis = 0.02;
  std::string lose;
  int steps = 100, replan_every = 0;
  std::string trace_out, output, report;
  bool json = false, quiet = false, list_presets = false, bench = false, quick = false;
  std::string data_dir;
};

int usageError(const std::string& message) {
  std::fprintf(stderr, "hexmoe-plan: %s\n(hexmoe-plan --help lists the options)\n", message.c_str());
  return 2;
}

int fail(const Status& status) {
  std::fprintf(stderr, "hexmoe-plan: error: %s\n", status.message().c_str());
  return 1;
}

/// A number option: finite, in [min, max], or [min, max) when max_open.
struct NumberOption {
  double* out;
  double min, max;
  bool max_open = false;
};

/// An integer option: decimal digits only, in [min, max].
struct IntegerOption {
  uint64_t* out;
  uint64_t min, max;
};

/// Reads a number; the message names the option and its range.
std::optional<std::string> parseNumber(const std::string& name, const std::string& value, const NumberOption& o) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(value.c_str(), &end);
  bool ok = !value.empty() && *end == '\0' && errno != ERANGE && std::isfinite(v) && v >= o.min &&
            (o.max_open ? v < o.max : v <= o.max);
  if (!ok) {
    char range[96];
    std::snprintf(range, sizeof(range), "[%g, %g%s", o.min, o.max, o.max_open ? ")" : "]");
    return name + " expects a number in " + range + ", got \"" + value + "\"";
  }
  *o.out = v;
  return std::nullopt;
}

/// Reads an integer without std::stoi (which throws) or a float cast (which
/// is undefined past the type's range).
std::optional<std::string> parseInteger(const std::string& name, const std::string& value, const IntegerOption& o) {
  bool digits = !value.empty() && value.size() <= 20 &&
                std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  char* end = nullptr;
  errno = 0;
  unsigned long long v = digits ? std::strtoull(value.c_str(), &end, 10) : 0;
  if (!digits || errno == ERANGE || v < o.min || v > o.max) {
    return name + " expects an integer from " + std::to_string(o.min) + " to " + std::to_string(o.max) + ", got \"" +
           value + "\"";
  }
  *o.out = v;
  return std::nullopt;
}

/// Parses argv; returns an exit code when the program should stop.
std::optional<int> parseArgs(int argc, char** argv, Options* o) {
  std::map<std::string, std::string*> text = {
      {"--pool", &o->pool},           {"--model", &o->model},         {"--load", &o->load},
      {"--plan", &o->plan},           {"--calibration", &o->calibration}, {"--algorithm", &o->algorithm},
      {"--objective", &o->objective}, {"--attention", &o->attention}, {"--weight-dtype", &o->weight_dtype},
      {"--lose", &o->lose},           {"--trace-out", &o->trace_out}, {"-o", &o->output},
      {"--output", &o->output},       {"--report", &o->report},       {"--data-dir", &o->data_dir}};
  // 0 tokens per step picks the objective's default; a reserve < 0 (the
  // default) keeps the pool's.
  std::map<std::string, NumberOption> numbers = {
      {"--tokens-per-step", {&o->tokens_per_step, 0, kMaxTokensPerStep}},
      {"--context", {&o->context, 0, kMaxContextTokens}},
      {"--memory-reserve", {&o->memory_reserve, 0, 1, true}},
      {"--migration-budget-gb", {&o->budget_gb, 0, 1e9}},
      {"--hysteresis", {&o->hysteresis, 0, 1}}};
  uint64_t threads = 1, steps = 100, replan_every = 0;
  std::map<std::string, IntegerOption> integers = {
      {"--seed", {&o->seed, 0, UINT64_MAX}},
      {"--threads", {&threads, 1, kMaxThreads}},
      {"--steps", {&steps, 1, kMaxSteps}},
      {"--replan-every", {&replan_every, 0, kMaxSteps}}};
  std::map<std::string, bool*> flags = {
      {"--compare", &o->compare}, {"--replan", &o->replan},   {"--simulate", &o->simulate},
      {"--json", &o->json},       {"-q", &o->quiet},          {"--quiet", &o->quiet},
      {"--list-presets", &o->list_presets}, {"--bench", &o->bench}, {"--quick", &o->quick}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i], value;
    bool inline_value = false;
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--no-lower-bound") {
      o->lower_bound = false;
      continue;
    }
    if (auto f = flags.find(arg); f != flags.end()) {
      if (inline_value) return usageError(arg + " takes no value");
      *f->second = true;
      continue;
    }
    bool known = text.count(arg) || numbers.count(arg) || integers.count(arg);
    if (!known) return usageError("unknown option " + arg);
    if (!inline_value) {
      if (i + 1 >= argc) return usageError(arg + " needs a value");
      value = argv[++i];
    }
    if (auto t = text.find(arg); t != text.end()) {
      *t->second = value;
      continue;
    }
    std::optional<std::string> error = numbers.count(arg) ? parseNumber(arg, value, numbers.at(arg))
                                                          : parseInteger(arg, value, integers.at(arg));
    if (error) return usageError(*error);
  }
  o->threads = static_cast<int>(threads);
  o->steps = static_cast<int>(steps);
  o->replan_every = static_cast<int>(replan_every);
  return std::nullopt;
}

void listPresets() {
  std::printf("%-15s %-5s %7s %8s %8s %8s %8s  %-10s %s\n", "preset", "class", "mem GB", "GB/s", "bf16 TF",
              "fp8 TF", "link", "peer", "notes");
  for (const DevicePreset& p : devicePresets()) {
    double fp8 = p.tflops[static_cast<int>(DType::kFp8)];
    char link[32];
    if (p.pcie_gen > 0) std::snprintf(link, sizeof(link), "PCIe%dx%d", p.pcie_gen, p.pcie_lanes);
    else std::snprintf(link, sizeof(link), "host");
    char peer[32] = "-";
    if (p.peer_link_gbps > 0) std::snprintf(peer, sizeof(peer), "%s %.0f", p.peer_link_type, p.peer_link_gbps);
    std::printf("%-15s %-5s %7.0f %8.0f %8.0f %8s %8s  %-10s %s\n", p.name, deviceClassName(p.device_class),
                p.memory_gb, p.memory_bandwidth_gbps, p.tflops[static_cast<int>(DType::kBf16)],
                fp8 > 0 ? std::to_string(static_cast<int>(fp8)).c_str() : "-", link, peer, p.note);
  }
  std::printf("\nAliases: h100 h800 h200 a100 a800 4090 dcu 910b cpu epyc. Peer link GB/s per direction.\n");
}

/// The load as an expected profile (and, for --simulate, as a trace).
Status readLoad(const Options& o, const ModelShape& model, double tokens, LoadProfile* profile,
                std::optional<LoadTrace>* trace) {
  std::ifstream probe(o.load);
  if (probe.good() || o.load.find(".json") != std::string::npos) {
    HEXMOE_ASSIGN_OR_RETURN(LoadTrace t, loadTrace(o.load, model));
    *profile = t.mean().scaledTo(tokens);
    *trace = std::move(t);
    return okStatus();
  }
  HEXMOE_ASSIGN_OR_RETURN(SyntheticLoad spec, parseLoadSpec(o.load, o.seed));
  *profile = expectedLoad(spec, model, tokens);
  if (o.simulate || !o.trace_out.empty()) {
    int64_t per_step = static_cast<int64_t>(model.numMoeLayers()) * model.num_experts;
    if (o.steps > kMaxTraceCounts / per_step) {
      return invalidArgument("--steps " + std::to_string(o.steps) + ": a trace of " +
                             std::to_string(model.numMoeLayers()) + " MoE layers x " +
                             std::to_string(model.num_experts) + " experts holds at most " +
                             std::to_string(kMaxTraceCounts / per_step) + " steps");
    }
    *trace = sampleTrace(spec, model, tokens, o.steps);
  }
  return okStatus();
}

Status writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) return invalidArgument(path + ": cannot write");
  return okStatus();
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void printSummary(const Plan& plan, const std::vector<std::pair<std::string, double>>& compare,
                  double plan_seconds, double bound_seconds) {
  const ModelShape& m = plan.model;
  const PlanMetrics& x = plan.metrics;
  std::printf("hexmoe-plan: %s on %s\n", m.name.c_str(), plan.pool.name.c_str());
  std::printf("  model      %d MoE layers x %d experts (top-%d), %.1f MB per expert (%s), %d dense layers\n",
              m.numMoeLayers(), m.num_experts, m.top_k, m.expertBytes() / 1e6, dtypeName(m.weight_dtype),
              m.numDenseLayers());
  std::printf("  load       %s; %.0f tokens per step; %s objective\n", plan.load.description.c_str(),
              plan.options.tokens_per_step, objectiveName(plan.options.objective));
  std::string attention;
  for (int a : plan.attention_devices) attention += (attention.empty() ? "" : ", ") + plan.pool.devices[a].name;
  std::printf("  attention  %s%s\n", attention.c_str(), plan.attention_devices.size() > 1 ? " (data parallel)" : "");
  std::printf("  plan       %s: step %.3f ms predicted (%.0f tokens/s)", plan.algorithm.c_str(), x.step_seconds * 1e3,
              plan.options.tokens_per_step / x.step_seconds);
  if (plan.lower_bound_seconds > 0) {
    std::printf(", lower bound %.3f ms (+%.1f%%)", plan.lower_bound_seconds * 1e3,
                100 * (x.step_seconds / plan.lower_bound_seconds - 1));
  }
  std::printf("\n");
  if (!compare.empty()) {
    std::printf("  compare   ");
    for (const auto& [name, seconds] : compare) {
      std::printf("  %s %.3f ms (x%.2f)", name.c_str(), seconds * 1e3, seconds / x.step_seconds);
    }
    std::printf("\n");
  }
  std::printf("  devices    %-16s %9s %20s %6s\n", "name", "replicas", "memory GB / usable", "util");
  for (int d = 0; d < plan.pool.size(); ++d) {
    double busy = 0;
    for (size_t l = 0; l < x.layer_seconds.size(); ++l) busy += x.device_seconds[l][d] / x.layer_seconds[l];
    std::printf("             %-16s %9lld %10.1f / %7.1f %5.0f%%%s\n", plan.pool.devices[d].name.c_str(),
                static_cast<long long>(x.replicas[d]), x.memory_bytes[d] / 1e9, x.memory_capacity_bytes[d] / 1e9,
                x.layer_seconds.empty() ? 0.0 : 100 * busy / x.layer_seconds.size(),
                plan.pool.devices[d].lost ? "  (lost)" : "");
  }
  if (!plan.migrations.empty()) {
    double bytes = 0;
    for (const Migration& mg : plan.migrations) bytes += mg.bytes;
    std::printf("  migrations %zu replica changes, %.2f GB copied\n", plan.migrations.size(), bytes / 1e9);
  }
  for (const std::string& note : plan.notes) std::printf("  note       %s\n", note.c_str());
  std::printf("  time       planned in %.3f s", plan_seconds);
  if (bound_seconds > 0) std::printf(", lower bound in %.3f s", bound_seconds);
  std::printf("\n");
}

void printSimulation(const SimulationReport& r, const LoadTrace& trace) {
  std::printf("simulation  %d steps of %s at %.0f tokens per step\n", trace.num_steps, trace.description.c_str(),
              trace.tokens_per_step);
  std::printf("  step       mean %.3f ms, p50 %.3f ms, p99 %.3f ms, max %.3f ms (%.0f tokens/s)\n",
              r.mean_seconds * 1e3, r.p50_seconds * 1e3, r.p99_seconds * 1e3, r.max_seconds * 1e3,
              r.tokens_per_second);
  std::printf("  imbalance  %.3f (max / mean working-device load, mean over layers and steps)\n", r.mean_imbalance);
  std::printf("  replans    %d, %lld expert copies, %.2f GB moved\n", r.replans, static_cast<long long>(r.migrations),
              r.migrated_bytes / 1e9);
  double used = 0, cap = 0;
  for (size_t d = 0; d < r.memory_bytes.size(); ++d) {
    used += r.memory_bytes[d];
    cap += r.memory_capacity_bytes[d];
  }
  std::printf("  memory     %.1f GB of %.1f GB usable\n", used / 1e9, cap / 1e9);
}

Json simulationToJson(const SimulationReport& r) {
  Json steps = Json::array();
  for (const StepRecord& s : r.steps) {
    steps.push_back({{"step_ms", s.seconds * 1e3}, {"imbalance", s.imbalance}, {"migrated_bytes", s.migrated_bytes}});
  }
  return Json{{"mean_step_ms", r.mean_seconds * 1e3}, {"p50_step_ms", r.p50_seconds * 1e3},
              {"p99_step_ms", r.p99_seconds * 1e3},   {"max_step_ms", r.max_seconds * 1e3},
              {"mean_imbalance", r.mean_imbalance},   {"tokens_per_second", r.tokens_per_second},
              {"replans", r.replans},                 {"migrations", r.migrations},
              {"migrated_bytes", r.migrated_bytes},   {"memory_bytes", r.memory_bytes},
              {"steps", steps}};
}

/// Builds the request from the command line (pool, model, calibration, options).
Status buildRequest(const Options& o, PlanRequest* request) {
  if (o.pool.empty() || o.model.empty()) return invalidArgument("--pool and --model are required (or --plan)");
  HEXMOE_ASSIGN_OR_RETURN(request->pool, loadPool(o.pool));
  if (!o.calibration.empty()) {
    HEXMOE_ASSIGN_OR_RETURN(Calibration calibration, loadCalibration(o.calibration));
    applyCalibration(calibration, &request->pool);
  }
  if (o.memory_reserve >= 0) request->pool.memory_reserve_fraction = o.memory_reserve;
  HEXMOE_ASSIGN_OR_RETURN(request->model, loadModel(o.model));
  if (!o.weight_dtype.empty()) {
    std::optional<DType> dtype = parseDType(o.weight_dtype);
    if (!dtype) return invalidArgument("--weight-dtype: unknown dtype \"" + o.weight_dtype + "\"");
    request->model.weight_dtype = *dtype;
  }
  if (o.objective == "latency") request->cost.objective = Objective::kLatency;
  else if (o.objective == "throughput") request->cost.objective = Objective::kThroughput;
  else return invalidArgument("--objective must be latency or throughput");
  request->cost.tokens_per_step = o.tokens_per_step > 0 ? o.tokens_per_step
                                  : request->cost.objective == Objective::kLatency ? 64 : 4096;
  request->cost.context_tokens = o.context;
  std::optional<Algorithm> algorithm = parseAlgorithm(o.algorithm);
  if (!algorithm) return invalidArgument("--algorithm must be capacity, eplb or round-robin");
  request->planner.algorithm = *algorithm;
  request->planner.threads = o.threads;
  request->planner.compute_lower_bound = false;  // timed separately below
  size_t start = 0;
  while (start < o.attention.size()) {
    size_t comma = o.attention.find(',', start);
    std::string name = o.attention.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    int d = request->pool.findDevice(name);
    if (d < 0) return notFound("--attention: no device named \"" + name + "\" in the pool");
    request->attention_devices.push_back(d);
    start = comma == std::string::npos ? o.attention.size() : comma + 1;
  }
  return okStatus();
}

int run(const Options& o) {
  auto started = std::chrono::steady_clock::now();
  Plan plan;
  std::optional<LoadTrace> trace;
  std::vector<std::pair<std::string, double>> compare;
  double bound_seconds = 0;
  if (!o.plan.empty()) {
    StatusOr<Plan> loaded = loadPlan(o.plan);
    if (!loaded.ok()) return fail(loaded.status());
    plan = std::move(loaded).value();
    if (o.replan || o.simulate) {
      LoadProfile profile;
      Status status = readLoad(o, plan.model, plan.options.tokens_per_step, &profile, &trace);
      if (!status.ok()) return fail(status);
      if (o.replan) {
        ReplanOptions options;
        options.migration_budget_bytes = o.budget_gb * 1e9;
        options.hysteresis = o.hysteresis;
        StatusOr<Plan> next = replan(plan, profile, options);
        if (!next.ok()) return fail(next.status());
        plan = std::move(next).value();
      }
    }
  } else {
    PlanRequest request;
    Status status = buildRequest(o, &request);
    if (!status.ok()) return fail(status);
    status = readLoad(o, request.model, request.cost.tokens_per_step, &request.load, &trace);
    if (!status.ok()) return fail(status);
    StatusOr<Plan> made = makePlan(request);
    if (!made.ok()) return fail(made.status());
    plan = std::move(made).value();
    if (o.compare) {
      for (Algorithm other : {Algorithm::kCapacity, Algorithm::kEplb, Algorithm::kRoundRobin}) {
        if (other == request.planner.algorithm) continue;
        request.planner.algorithm = other;
        StatusOr<Plan> peer = makePlan(request);
        if (peer.ok()) compare.emplace_back(algorithmName(other), peer->metrics.step_seconds);
      }
    }
  }
  double plan_seconds = secondsSince(started);
  if (!o.lose.empty()) {
    int device = plan.pool.findDevice(o.lose);
    if (device < 0) return fail(notFound("--lose: no device named \"" + o.lose + "\" in the pool"));
    auto lost_start = std::chrono::steady_clock::now();
    StatusOr<Plan> next = replanWithoutDevice(plan, device);
    if (!next.ok()) return fail(next.status());
    plan = std::move(next).value();
    plan_seconds = secondsSince(lost_start);
  }
  if (o.lower_bound) {
    auto bound_start = std::chrono::steady_clock::now();
    StatusOr<CostModel> cm = costModelOf(plan);
    if (!cm.ok()) return fail(cm.status());
    LowerBoundOptions options;
    options.hint = &plan.layers;
    plan.lower_bound_seconds = lowerBound(*cm, plan.load, options).seconds;
    bound_seconds = secondsSince(bound_start);
  }
  std::optional<SimulationReport> simulation;
  if (o.simulate) {
    if (!trace) return fail(invalidArgument("--simulate needs a load to replay (--load)"));
    SimulationOptions options;
    options.replan_every = o.replan_every;
    options.replan.migration_budget_bytes = o.budget_gb * 1e9;
    options.replan.hysteresis = o.hysteresis;
    StatusOr<SimulationReport> report = hexmoe::scheduler::simulate(plan, *trace, options);
    if (!report.ok()) return fail(report.status());
    simulation = std::move(report).value();
  }
  if (!o.trace_out.empty() && trace) {
    Status status = writeFile(o.trace_out, traceToJson(*trace).dump() + "\n");
    if (!status.ok()) return fail(status);
  }
  Json plan_json = planToJson(plan);
  if (!o.output.empty()) {
    Status status = writeFile(o.output, plan_json.dump(1) + "\n");
    if (!status.ok()) return fail(status);
  }
  if (!o.report.empty()) {
    ReportOptions report;
    report.comparisons = compare;
    Status status = writeFile(o.report, renderPlanSvg(plan, report));
    if (!status.ok()) return fail(status);
  }
  if (o.quiet) return 0;
  if (o.json) {
    Json summary = {{"predicted", plan_json["predicted"]}, {"devices", plan_json["devices"]},
                    {"attention", plan_json["attention"]}, {"algorithm", plan.algorithm},
                    {"plan_seconds", plan_seconds},        {"lower_bound_seconds", bound_seconds}};
    for (const auto& [name, seconds] : compare) summary["compare"][name + "_ms"] = seconds * 1e3;
    if (!plan.migrations.empty()) summary["migrations"] = plan_json["migrations"];
    if (simulation) summary["simulation"] = simulationToJson(*simulation);
    std::printf("%s\n", summary.dump(1).c_str());
    return 0;
  }
  printSummary(plan, compare, plan_seconds, bound_seconds);
  if (simulation) printSimulation(*simulation, *trace);
  if (!o.output.empty()) std::printf("  wrote      %s\n", o.output.c_str());
  if (!o.report.empty()) std::printf("  wrote      %s\n", o.report.c_str());
  return 0;
}

}  // namespace

/// The program; main() adds the last-resort handler.
int runTool(int argc, char** argv) {
  Options options;
  if (std::optional<int> exit = parseArgs(argc, argv, &options)) return *exit;
  if (options.list_presets) {
    listPresets();
    return 0;
  }
  if (options.bench) {
    BenchOptions bench;
    bench.data_dir = options.data_dir;
    bench.quick = options.quick;
    bench.threads = options.threads;
    return runBench(bench);
  }
  if (argc == 1) {
    std::fputs(kUsage, stdout);
    return 2;
  }
  if (options.plan.empty() && options.replan) return usageError("--replan needs --plan");
  if (!options.plan.empty() && (!options.pool.empty() || !options.model.empty())) {
    return usageError("--plan starts from a plan file; it takes no --pool or --model");
  }
  return run(options);
}

}  // namespace hexmoe::plan_tool

int main(int argc, char** argv) {
  // Errors are statuses; this catches what escapes anyway (out of memory
  // above all), so that no input ends in an abort.
  try {
    return hexmoe::plan_tool::runTool(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "hexmoe-plan: error: out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hexmoe-plan: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "hexmoe-plan: internal error\n");
  }
  return 1;
}
