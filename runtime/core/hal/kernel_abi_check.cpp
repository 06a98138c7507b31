// Kernel ABI records: expected from the artifact, compared with the code's.
#include "runtime/core/hal/kernel_abi_check.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

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

constexpr const char* kAbiMarker = "//@hexmoe-abi ";

StatusOr<std::map<std::string, std::vector<int64_t>>> readSourceAbiRecords(const std::string& source,
                                                                      const std::string& label) {
  std::map<std::string, std::vector<int64_t>> records;
  size_t at = 0;
  int line = 0;
  while (at < source.size()) {
    size_t end = source.find('\n', at);
    if (end == std::string::npos) end = source.size();
    ++line;
    const std::string text = source.substr(at, end - at);
    at = end + 1;
    if (text.rfind(kAbiMarker, 0) != 0) continue;
    const char* p = text.c_str() + std::strlen(kAbiMarker);
    const char* nameEnd = std::strchr(p, ' ');
    std::string name = nameEnd ? std::string(p, nameEnd) : std::string(p);
    std::vector<int64_t> values;
    const char* q = nameEnd;
    while (q && *q) {
      while (*q == ' ') ++q;
      if (!*q) break;
      char* stop = nullptr;
      errno = 0;
      const long long v = std::strtoll(q, &stop, 10);
      if (stop == q || errno == ERANGE || (*stop && *stop != ' '))
        return dataLoss(label + ": line " + std::to_string(line) + ": a malformed ABI record");
      values.push_back(v);
      q = stop;
      // A record is a few dozen numbers; anything far longer is damage.
      if (values.size() > 8192) return dataLoss(label + ": line " + std::to_string(line) + ": an ABI record too long");
    }
    if (name.empty() || values.empty() || !records.emplace(name, std::move(values)).second)
      return dataLoss(label + ": line " + std::to_string(line) + ": a malformed or repeated ABI record");
  }
  return records;
}

Status checkSourceAbiRecords(const schema::Artifact& artifact, const schema::Executable& exe, const std::string& source,
                             const std::string& label) {
  HEXMOE_ASSIGN_OR_RETURN(auto records, readSourceAbiRecords(source, label));
  const int numKernels = artifact.kernels() ? static_cast<int>(artifact.kernels()->size()) : 0;
  for (int k = 0; k < numKernels; ++k) {
    const schema::Kernel& kernel = *artifact.kernels()->Get(k);
    const std::string name = kernel.name()->str();
    auto it = records.find(name);
    if (it == records.end()) return dataLoss(label + ": kernel '" + name + "' has no ABI record");
    HEXMOE_RETURN_IF_ERROR(compareKernelAbi(it->second, expectedKernelAbi(kernel, *exe.launches()->Get(k)), name, label));
  }
  return okStatus();
}

}  // namespace hexmoe::hal
