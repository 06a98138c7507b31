// The CPU queue.
#include "runtime/drivers/cpu/cpu_queue.h"

#include "runtime/drivers/cpu/cpu_executable.h"

namespace hexmoe::hal::cpu {

Status CpuQueue::dispatch(const hal::Executable& executable, int kernel, const hal::DispatchArgs& args) {
  // Only CPU executables reach a CPU queue: the module loads its executable on
  // the same device.
  const auto& exe = static_cast<const CpuExecutable&>(executable);
  if (kernel < 0 || kernel >= exe.kernelCount())
    return outOfRange("kernel " + std::to_string(kernel) + " of " + std::to_string(exe.kernelCount()));
  if (args.workgroupCount >= ThreadPool::kMaxWorkgroups)
    return outOfRange(std::to_string(args.workgroupCount) + " workgroups in one dispatch (the limit is 2^39)");
  pool_.run(exe.kernel(kernel), args.bindings, args.dims, args.workgroupCount);
  return okStatus();
}

}  // namespace hexmoe::hal::cpu
