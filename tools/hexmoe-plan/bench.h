// `hexmoe-plan --bench`: the scheduler benchmark of issue 5 (docs/scheduler.md).
#ifndef HEXMOE_TOOLS_HEXMOE_PLAN_BENCH_H_
#define HEXMOE_TOOLS_HEXMOE_PLAN_BENCH_H_

#include <string>

namespace hexmoe::plan_tool {

struct BenchOptions {
  std::string data_dir;  // the repository root (holds models/pools, models/configs); "" = search
  bool quick = false;    // fewer timing repeats, no throughput section
  int threads = 1;
};

/// Runs the benchmark, prints its tables; returns 0 when every check passes.
int runBench(const BenchOptions& options);

}  // namespace hexmoe::plan_tool

#endif  // HEXMOE_TOOLS_HEXMOE_PLAN_BENCH_H_
