// The HIP device: one AMD GPU, used on its null stream, so kernels and copies
// run in submission order. Buffers are device memory (not host-visible; read
// and written by copies); executables are the artifact's "hip-cpp" program,
// compiled with hipRTC for the device's architecture at load.
#ifndef HEXMOE_RUNTIME_DRIVERS_HIP_HIP_DEVICE_H_
#define HEXMOE_RUNTIME_DRIVERS_HIP_HIP_DEVICE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/core/hal/device.h"
#include "runtime/core/hal/driver.h"
#include "runtime/drivers/hip/hip_api.h"

namespace hexmoe::hal::hip {

/// The executable format this driver loads: HIP C++ whose `extern "C"
/// __global__` kernels take one pointer per binding, then `const long*
/// dims`; one thread per workgroup of the launch plan.
inline constexpr const char* kHipSourceFormat = "hip-cpp";
/// An AMDGPU code object for one architecture ("hsaco-gfx942"), the same
/// kernels compiled ahead of time; its ABI records are a string constant in it.
inline constexpr const char* kHsacoFormatPrefix = "hsaco-";

/// What a device's buffers, queue and executables share.
struct Context {
  const Api* api = nullptr;
  int ordinal = 0;
  std::string arch;  // hipRTC's --offload-arch (empty: the device's own)
  std::string name;  // "hip:0", for messages
  std::mutex mutex;  // the dims buffer
  /// Makes the device current on the calling thread.
  Status bind() const;
};

class HipBuffer final : public hal::Buffer {
 public:
  HipBuffer(std::shared_ptr<Context> context, void* ptr, size_t size)
      : hal::Buffer(size), context_(std::move(context)), ptr_(ptr) {}
  ~HipBuffer() override;

  void* deviceAddress() const override { return ptr_; }
  void* hostPointer() const override { return nullptr; }
  Status read(size_t offset, void* dst, size_t size) const override;
  Status write(size_t offset, const void* src, size_t size) override;
  const Context* context() const { return context_.get(); }

 private:
  std::shared_ptr<Context> context_;
  void* ptr_;
};

class HipExecutable final : public hal::Executable {
 public:
  /// Finds the artifact's hip-cpp program, checks each kernel's ABI record
  /// against the artifact's launch metadata, compiles it with hipRTC for the
  /// device (`hiprtcOptions` added to the driver's), loads the code object
  /// and resolves every kernel. NotFound when the artifact has no hip-cpp
  /// executable; code that does not compile or load is InvalidArgument with
  /// the compiler's log.
  static StatusOr<std::unique_ptr<HipExecutable>> load(std::shared_ptr<Context> context,
                                                        const schema::Artifact& artifact,
                                                        const std::string& hiprtcOptions, const std::string& what);
  ~HipExecutable() override;

  const std::string& format() const override { return format_; }
  const std::string& name() const override { return format_; }
  int kernelCount() const override { return static_cast<int>(functions_.size()); }
  hipFunction_t function(int index) const { return functions_[index]; }
  int bindingCount(int index) const { return bindingCounts_[index]; }
  const std::string& kernelName(int index) const { return kernelNames_[index]; }

 private:
  HipExecutable() = default;
  std::shared_ptr<Context> context_;
  std::string format_;
  hipModule_t module_ = nullptr;
  std::vector<hipFunction_t> functions_;
  std::vector<int> bindingCounts_;
  std::vector<std::string> kernelNames_;
};

class HipQueue final : public hal::Queue {
 public:
  HipQueue(std::shared_ptr<Context> context, int blockSize)
      : context_(std::move(context)), blockSize_(blockSize) {}
  ~HipQueue() override;
  /// Launches the kernel over workgroupCount threads, in blocks of the
  /// device's block size; returns before it runs.
  Status dispatch(const hal::Executable& executable, int kernel, const hal::DispatchArgs& args) override;
  Status finish() override;

 private:
  std::shared_ptr<Context> context_;
  int blockSize_;
  void* dims_ = nullptr;  // the dynamic sizes kernels read
  size_t dimsCapacity_ = 0;
  std::vector<int64_t> dimsValues_;  // what dims_ holds
};

class HipDevice final : public hal::Device {
 public:
  /// Device hip:`ordinal`. Options: block_size (threads per block, 64 to
  /// 1024 in wavefronts of 64, default 128), arch (hipRTC's --offload-arch,
  /// default the device's), hiprtc_options (extra hipRTC options).
  static StatusOr<std::unique_ptr<HipDevice>> create(int ordinal, const hal::DeviceOptions& options);

  const hal::DeviceInfo& info() const override { return info_; }
  StatusOr<std::unique_ptr<hal::Buffer>> allocateBuffer(size_t size) override;
  StatusOr<std::unique_ptr<hal::Buffer>> wrapHostMemory(void* data, size_t size,
                                                        std::function<void()> release) override;
  bool canBind(const hal::Buffer& buffer) const override;
  StatusOr<std::unique_ptr<hal::Executable>> loadExecutable(const schema::Artifact& artifact,
                                                            const std::string& what) override;
  hal::Queue& queue() override { return *queue_; }

 private:
  HipDevice() = default;
  hal::DeviceInfo info_;
  std::string hiprtcOptions_;
  std::shared_ptr<Context> context_;
  std::unique_ptr<HipQueue> queue_;
};

/// "AMD Instinct MI300X (196592 MiB)".
std::string describeDevice(const Api& api, hipDevice_t device);

}  // namespace hexmoe::hal::hip

#endif  // HEXMOE_RUNTIME_DRIVERS_HIP_HIP_DEVICE_H_
