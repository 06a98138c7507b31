// Kernel ABI records: expected from the artifact, compared with the code's.
#include "runtime/core/hal/kernel_abi_check.h"

#include <algorithm>

#include "artifact_generated.h"
#include "runtime/schema/kernel_abi.h"

namespace hexmoe::hal {

/// The ABI record (kernel_abi.h) the artifact's metadata implies for kernel
/// `k` launched as `launch`.
std::vector<int64_t> expectedKernelAbi(const schema::Kernel& k, const schema::KernelLaunch& launch) {
  std::vector<int64_t> r = {HEXMOE_KERNEL_ABI_VERSION, launch.workgroups(), launch.tile(), k.num_bindings()};
  if (k.bindings() == nullptr) return r;  // the verifier allows that only with no bindings
  for (const schema::KernelBinding* b : *k.bindings()) {
    r.push_back(b->element_type());
    r.push_back(static_cast<int64_t>(b->shape()->size()));
    for (const schema::Extent* e : *b->shape()) r.insert(r.end(), {e->static_size(), e->dim(), e->factor()});
  }
  return r;
}

namespace {

/// What field of an ABI record position `i` holds, for messages.
std::string abiField(const std::vector<int64_t>& r, size_t i) {
  static const char* kHead[] = {"ABI version", "workgroups per tile", "tile", "binding count"};
  if (i < 4) return kHead[i];
  size_t at = 4;
  for (int64_t b = 0; b < r[3] && at < r.size(); ++b) {
    const size_t rank = static_cast<size_t>(r[at + 1]);
    if (i == at) return "binding " + std::to_string(b) + " element type";
    if (i == at + 1) return "binding " + std::to_string(b) + " rank";
    if (i < at + 2 + 3 * rank) return "binding " + std::to_string(b) + " extent " + std::to_string((i - at - 2) / 3);
    at += 2 + 3 * rank;
  }
  return "record length";
}

}  // namespace

Status compareKernelAbi(const std::vector<int64_t>& have, const std::vector<int64_t>& want, const std::string& name,
                        const std::string& label) {
  if (have.empty()) return dataLoss(label + ": kernel '" + name + "' has an empty ABI record");
  if (have[0] != HEXMOE_KERNEL_ABI_VERSION)
    return dataLoss(label + ": kernel '" + name + "' has ABI version " + std::to_string(have[0]) + ", this runtime " +
                    std::to_string(HEXMOE_KERNEL_ABI_VERSION));
  const size_t n = std::min(have.size(), want.size());
  size_t i = 0;
  while (i < n && have[i] == want[i]) ++i;
  if (i == n && have.size() == want.size()) return okStatus();
  std::string detail = i < n ? ": the artifact says " + std::to_string(want[i]) + ", the code was built for " +
                                   std::to_string(have[i])
                             : "";
  return dataLoss(label + ": kernel '" + name + "' does not match its code: " + abiField(want, i) + " differs" +
                  detail + " (launch metadata edited after compilation?)");
}

}  // namespace hexmoe::hal
