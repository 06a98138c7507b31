// Kernel ABI records (runtime/schema/kernel_abi.h): what the artifact's
// launch metadata implies for a kernel, and the comparison every driver
// makes with the record its code carries before the code may run.
#ifndef HEXMOE_RUNTIME_CORE_HAL_KERNEL_ABI_CHECK_H_
#define HEXMOE_RUNTIME_CORE_HAL_KERNEL_ABI_CHECK_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace hexmoe::schema {
struct Artifact;
struct Executable;
struct Kernel;
struct KernelLaunch;
}  // namespace hexmoe::schema

namespace hexmoe::hal {

/// The ABI record the artifact's metadata implies for kernel `k` launched as
/// `launch`.
std::vector<int64_t> expectedKernelAbi(const schema::Kernel& k, const schema::KernelLaunch& launch);

/// DataLoss naming the first field that differs when the code's record
/// `have` is not `want`; `label` names the executable, `name` the kernel.
Status compareKernelAbi(const std::vector<int64_t>& have, const std::vector<int64_t>& want, const std::string& name,
                        const std::string& label);

/// The ABI records a source program (opencl-c, cuda-cpp, hip-cpp) carries,
/// by kernel: lines `//@hexmoe-abi <kernel> <int64>...`. A malformed or
/// repeated line is DataLoss.
StatusOr<std::map<std::string, std::vector<int64_t>>> readSourceAbiRecords(const std::string& source,
                                                                            const std::string& label);

/// DataLoss unless `source`, the code of executable `exe` of `artifact`,
/// carries for every kernel of the artifact the record its metadata implies.
Status checkSourceAbiRecords(const schema::Artifact& artifact, const schema::Executable& exe, const std::string& source,
                             const std::string& label);

}  // namespace hexmoe::hal

#endif  // HEXMOE_RUNTIME_CORE_HAL_KERNEL_ABI_CHECK_H_
