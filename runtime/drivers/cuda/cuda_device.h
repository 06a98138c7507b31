// The CUDA device: one GPU's primary context, used on the legacy default
// stream, so kernels and copies run in submission order. Buffers are device
// memory (not host-visible; read and written by copies); executables are the
// artifact's "cuda-cpp" program, compiled with NVRTC for the device's
// architecture at load and loaded as PTX.
#ifndef HEXMOE_RUNTIME_DRIVERS_CUDA_CUDA_DEVICE_H_
#define HEXMOE_RUNTIME_DRIVERS_CUDA_CUDA_DEVICE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/core/hal/device.h"
#include "runtime/core/hal/driver.h"
#include "runtime/drivers/cuda/cuda_api.h"

namespace hexmoe::hal::cuda {

/// The executable format this driver loads: CUDA C++ whose `extern "C"
/// __global__` kernels take one pointer per binding, then `const long*
/// dims`; one thread per workgroup of the launch plan.
inline constexpr const char* kCudaSourceFormat = "cuda-cpp";
/// PTX for one architecture ("ptx-sm_90"), the same kernels compiled ahead
/// of time; the driver loads the newest the device runs before cuda-cpp.
inline constexpr const char* kPtxFormatPrefix = "ptx-sm_";

/// What a device's buffers, queue and executables share.
struct Context {
  const Api* api = nullptr;
  CUdevice device = 0;
  CUcontext context = nullptr;
  int arch = 0;      // compute capability as 10 * major + minor
  std::string name;  // "cuda:0", for messages
  std::mutex mutex;  // the dims buffer
  /// Makes the context current on the calling thread.
  Status bind() const;
  ~Context();
};

class CudaBuffer final : public hal::Buffer {
 public:
  CudaBuffer(std::shared_ptr<Context> context, CUdeviceptr ptr, size_t size)
      : hal::Buffer(size), context_(std::move(context)), ptr_(ptr) {}
  ~CudaBuffer() override;

  void* deviceAddress() const override { return reinterpret_cast<void*>(static_cast<uintptr_t>(ptr_)); }
  void* hostPointer() const override { return nullptr; }
  Status read(size_t offset, void* dst, size_t size) const override;
  Status write(size_t offset, const void* src, size_t size) override;
  const Context* context() const { return context_.get(); }

 private:
  std::shared_ptr<Context> context_;
  CUdeviceptr ptr_;
};

class CudaExecutable final : public hal::Executable {
 public:
  /// Picks the artifact's PTX for the newest architecture the device runs,
  /// else its cuda-cpp program (compiled with NVRTC for the device,
  /// `nvrtcOptions` added to the driver's); checks each kernel's ABI record
  /// against the artifact's launch metadata, loads the PTX and resolves every
  /// kernel. NotFound when the artifact has neither; code that does not
  /// compile or load is InvalidArgument with the compiler's or the JIT's log.
  static StatusOr<std::unique_ptr<CudaExecutable>> load(std::shared_ptr<Context> context,
                                                        const schema::Artifact& artifact,
                                                        const std::string& nvrtcOptions, const std::string& what);
  ~CudaExecutable() override;

  const std::string& format() const override { return format_; }
  const std::string& name() const override { return format_; }
  int kernelCount() const override { return static_cast<int>(functions_.size()); }
  CUfunction function(int index) const { return functions_[index]; }
  int bindingCount(int index) const { return bindingCounts_[index]; }
  const std::string& kernelName(int index) const { return kernelNames_[index]; }

 private:
  CudaExecutable() = default;
  std::shared_ptr<Context> context_;
  std::string format_;
  CUmodule module_ = nullptr;
  std::vector<CUfunction> functions_;
  std::vector<int> bindingCounts_;
  std::vector<std::string> kernelNames_;
};

class CudaQueue final : public hal::Queue {
 public:
  CudaQueue(std::shared_ptr<Context> context, int blockSize)
      : context_(std::move(context)), blockSize_(blockSize) {}
  ~CudaQueue() override;
  /// Launches the kernel over workgroupCount threads, in blocks of the
  /// device's block size; returns before it runs.
  Status dispatch(const hal::Executable& executable, int kernel, const hal::DispatchArgs& args) override;
  Status finish() override;

 private:
  std::shared_ptr<Context> context_;
  int blockSize_;
  CUdeviceptr dims_ = 0;  // the dynamic sizes kernels read
  size_t dimsCapacity_ = 0;
  std::vector<int64_t> dimsValues_;  // what dims_ holds
};

class CudaDevice final : public hal::Device {
 public:
  /// Device cuda:`ordinal`. Options: block_size (threads per block, 32 to
  /// 1024, default 128), nvrtc_options (extra NVRTC options).
  static StatusOr<std::unique_ptr<CudaDevice>> create(int ordinal, const hal::DeviceOptions& options);

  const hal::DeviceInfo& info() const override { return info_; }
  StatusOr<std::unique_ptr<hal::Buffer>> allocateBuffer(size_t size) override;
  StatusOr<std::unique_ptr<hal::Buffer>> wrapHostMemory(void* data, size_t size,
                                                        std::function<void()> release) override;
  bool canBind(const hal::Buffer& buffer) const override;
  StatusOr<std::unique_ptr<hal::Executable>> loadExecutable(const schema::Artifact& artifact,
                                                            const std::string& what) override;
  hal::Queue& queue() override { return *queue_; }

 private:
  CudaDevice() = default;
  hal::DeviceInfo info_;
  std::string nvrtcOptions_;
  std::shared_ptr<Context> context_;
  std::unique_ptr<CudaQueue> queue_;
};

/// "NVIDIA H200 (sm_90, 132 SMs, 143771 MiB)".
std::string describeDevice(const Api& api, CUdevice device);

}  // namespace hexmoe::hal::cuda

#endif  // HEXMOE_RUNTIME_DRIVERS_CUDA_CUDA_DEVICE_H_
