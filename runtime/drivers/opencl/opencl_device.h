// The OpenCL device: one cl_device_id with its context and an in-order queue.
// Buffers are cl_mem objects (not host-visible; read and written through the
// queue); executables are the artifact's "opencl-c" program, built for the
// device at load.
#ifndef HEXMOE_RUNTIME_DRIVERS_OPENCL_OPENCL_DEVICE_H_
#define HEXMOE_RUNTIME_DRIVERS_OPENCL_OPENCL_DEVICE_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/core/hal/device.h"
#include "runtime/core/hal/driver.h"
#include "runtime/drivers/opencl/opencl_api.h"

namespace hexmoe::hal::opencl {

/// The executable format this driver loads: OpenCL C source whose kernels
/// take one __global pointer per binding, then `__global const long* dims`;
/// one work-item per workgroup of the launch plan.
inline constexpr const char* kOpenclFormat = "opencl-c";

/// What a device's buffers, queue and executables share.
struct Context {
  const Api* api = nullptr;
  cl_device_id device = nullptr;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  std::string name;  // "opencl:0", for messages
  std::mutex mutex;  // kernel arguments and the dims buffer
  ~Context();
};

class OpenclBuffer final : public hal::Buffer {
 public:
  OpenclBuffer(std::shared_ptr<Context> context, cl_mem mem, size_t size)
      : hal::Buffer(size), context_(std::move(context)), mem_(mem) {}
  ~OpenclBuffer() override;

  void* deviceAddress() const override { return mem_; }
  void* hostPointer() const override { return nullptr; }
  Status read(size_t offset, void* dst, size_t size) const override;
  Status write(size_t offset, const void* src, size_t size) override;
  const Context* context() const { return context_.get(); }

 private:
  std::shared_ptr<Context> context_;
  cl_mem mem_;
};

class OpenclExecutable final : public hal::Executable {
 public:
  /// Finds the artifact's opencl-c program, checks each kernel's ABI record
  /// against the artifact's launch metadata, builds the program for the
  /// device (`buildOptions` added to clBuildProgram's) and creates every
  /// kernel. NotFound when the artifact has no opencl-c executable; a build
  /// failure is InvalidArgument with the compiler's log.
  static StatusOr<std::unique_ptr<OpenclExecutable>> load(std::shared_ptr<Context> context,
                                                          const schema::Artifact& artifact,
                                                          const std::string& buildOptions, const std::string& what);
  ~OpenclExecutable() override;

  const std::string& format() const override { return format_; }
  const std::string& name() const override { return format_; }
  int kernelCount() const override { return static_cast<int>(kernels_.size()); }
  cl_kernel kernel(int index) const { return kernels_[index]; }
  int bindingCount(int index) const { return bindingCounts_[index]; }
  const std::string& kernelName(int index) const { return kernelNames_[index]; }

 private:
  OpenclExecutable() = default;
  std::shared_ptr<Context> context_;
  std::string format_ = kOpenclFormat;
  cl_program program_ = nullptr;
  std::vector<cl_kernel> kernels_;
  std::vector<int> bindingCounts_;
  std::vector<std::string> kernelNames_;
};

class OpenclQueue final : public hal::Queue {
 public:
  explicit OpenclQueue(std::shared_ptr<Context> context) : context_(std::move(context)) {}
  ~OpenclQueue() override;
  /// Enqueues the kernel over workgroupCount work-items; returns before it runs.
  Status dispatch(const hal::Executable& executable, int kernel, const hal::DispatchArgs& args) override;
  Status finish() override;

 private:
  std::shared_ptr<Context> context_;
  cl_mem dims_ = nullptr;  // the dynamic sizes kernels read
  size_t dimsCapacity_ = 0;
  std::vector<int64_t> dimsValues_;  // what dims_ holds
};

class OpenclDevice final : public hal::Device {
 public:
  /// Device opencl:`ordinal`, counting the devices of every platform in
  /// order. Options: build_options (extra clBuildProgram options).
  static StatusOr<std::unique_ptr<OpenclDevice>> create(int ordinal, const hal::DeviceOptions& options);

  const hal::DeviceInfo& info() const override { return info_; }
  StatusOr<std::unique_ptr<hal::Buffer>> allocateBuffer(size_t size) override;
  StatusOr<std::unique_ptr<hal::Buffer>> wrapHostMemory(void* data, size_t size,
                                                        std::function<void()> release) override;
  bool canBind(const hal::Buffer& buffer) const override;
  StatusOr<std::unique_ptr<hal::Executable>> loadExecutable(const schema::Artifact& artifact,
                                                            const std::string& what) override;
  hal::Queue& queue() override { return *queue_; }

 private:
  OpenclDevice() = default;
  hal::DeviceInfo info_;
  std::string buildOptions_;
  std::shared_ptr<Context> context_;
  std::unique_ptr<OpenclQueue> queue_;
};

/// Every OpenCL device of every platform, in ordinal order.
StatusOr<std::vector<cl_device_id>> listDeviceIds(const Api& api);
/// "Portable Computing Language: cpu-haswell-AMD EPYC 7B13 (OpenCL 3.0 PoCL 3.1, 2 compute units)".
std::string describeDevice(const Api& api, cl_device_id device);

}  // namespace hexmoe::hal::opencl

#endif  // HEXMOE_RUNTIME_DRIVERS_OPENCL_OPENCL_DEVICE_H_
