// The OpenCL device, its buffers and its queue.
#include "runtime/drivers/opencl/opencl_device.h"

#include <algorithm>
#include <cstring>

#include "runtime/core/hal/allocator.h"
#include "runtime/core/logging.h"

namespace hexmoe::hal::opencl {
namespace {

std::string deviceString(const Api& api, cl_device_id device, cl_device_info param) {
  size_t size = 0;
  if (api.clGetDeviceInfo(device, param, 0, nullptr, &size) != CL_SUCCESS || size == 0) return "";
  std::string out(size, '\0');
  if (api.clGetDeviceInfo(device, param, size, out.data(), nullptr) != CL_SUCCESS) return "";
  out.resize(std::strlen(out.c_str()));
  return out;
}

}  // namespace

Context::~Context() {
  if (queue) api->clReleaseCommandQueue(queue);
  if (context) api->clReleaseContext(context);
}

StatusOr<std::vector<cl_device_id>> listDeviceIds(const Api& api) {
  cl_uint platformCount = 0;
  cl_int err = api.clGetPlatformIDs(0, nullptr, &platformCount);
  // The ICD loader reports no platform as CL_PLATFORM_NOT_FOUND_KHR (-1001).
  if (err == -1001 || (err == CL_SUCCESS && platformCount == 0)) return std::vector<cl_device_id>{};
  HEXMOE_RETURN_IF_ERROR(clStatus(err, "clGetPlatformIDs"));
  std::vector<cl_platform_id> platforms(platformCount);
  HEXMOE_RETURN_IF_ERROR(clStatus(api.clGetPlatformIDs(platformCount, platforms.data(), nullptr), "clGetPlatformIDs"));
  std::vector<cl_device_id> devices;
  for (cl_platform_id p : platforms) {
    cl_uint count = 0;
    err = api.clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &count);
    if (err == CL_DEVICE_NOT_FOUND || count == 0) continue;
    HEXMOE_RETURN_IF_ERROR(clStatus(err, "clGetDeviceIDs"));
    std::vector<cl_device_id> ids(count);
    HEXMOE_RETURN_IF_ERROR(clStatus(api.clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, count, ids.data(), nullptr),
                                    "clGetDeviceIDs"));
    devices.insert(devices.end(), ids.begin(), ids.end());
  }
  return devices;
}

std::string describeDevice(const Api& api, cl_device_id device) {
  cl_uint units = 0;
  api.clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(units), &units, nullptr);
  cl_ulong memory = 0;
  api.clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof(memory), &memory, nullptr);
  return deviceString(api, device, CL_DEVICE_NAME) + " (" + deviceString(api, device, CL_DEVICE_VERSION) + ", " +
         std::to_string(units) + " compute unit" + (units == 1 ? "" : "s") + ", " +
         std::to_string(memory >> 20) + " MiB)";
}

//===----------------------------------------------------------------------===//
// Buffers
//===----------------------------------------------------------------------===//

OpenclBuffer::~OpenclBuffer() {
  if (mem_) context_->api->clReleaseMemObject(mem_);
}

Status OpenclBuffer::read(size_t offset, void* dst, size_t size) const {
  if (offset > this->size() || size > this->size() - offset)
    return outOfRange("reading " + std::to_string(size) + " bytes at " + std::to_string(offset) + " of a buffer of " +
                      std::to_string(this->size()));
  if (size == 0) return okStatus();
  return clStatus(context_->api->clEnqueueReadBuffer(context_->queue, mem_, CL_TRUE, offset, size, dst, 0, nullptr,
                                                     nullptr),
                  context_->name + ": reading a buffer");
}

Status OpenclBuffer::write(size_t offset, const void* src, size_t size) {
  if (offset > this->size() || size > this->size() - offset)
    return outOfRange("writing " + std::to_string(size) + " bytes at " + std::to_string(offset) + " of a buffer of " +
                      std::to_string(this->size()));
  if (size == 0) return okStatus();
  return clStatus(context_->api->clEnqueueWriteBuffer(context_->queue, mem_, CL_TRUE, offset, size, src, 0, nullptr,
                                                      nullptr),
                  context_->name + ": writing a buffer");
}

//===----------------------------------------------------------------------===//
// Queue
//===----------------------------------------------------------------------===//

OpenclQueue::~OpenclQueue() {
  if (dims_) context_->api->clReleaseMemObject(dims_);
}

Status OpenclQueue::dispatch(const hal::Executable& executable, int kernel, const hal::DispatchArgs& args) {
  // Only OpenCL executables reach an OpenCL queue: the module loads its
  // executable on the same device.
  const auto& exe = static_cast<const OpenclExecutable&>(executable);
  if (kernel < 0 || kernel >= exe.kernelCount())
    return outOfRange("kernel " + std::to_string(kernel) + " of " + std::to_string(exe.kernelCount()));
  if (args.workgroupCount < 0) return outOfRange(std::to_string(args.workgroupCount) + " workgroups");
  if (args.workgroupCount == 0) return okStatus();
  const Api& api = *context_->api;
  const std::string what = context_->name + ": kernel " + exe.kernelName(kernel);
  std::lock_guard<std::mutex> lock(context_->mutex);

  // The dims buffer is rewritten only when the sizes change: an in-order
  // queue runs the write before every later kernel.
  const size_t dimCount = std::max<size_t>(args.dimCount, 1);
  if (!dims_ || dimsCapacity_ < dimCount) {
    if (dims_) api.clReleaseMemObject(dims_);
    dims_ = nullptr;
    dimsValues_.clear();
    cl_int err = CL_SUCCESS;
    const size_t capacity = std::max<size_t>(dimCount, 16);
    dims_ = api.clCreateBuffer(context_->context, CL_MEM_READ_ONLY, capacity * sizeof(int64_t), nullptr, &err);
    HEXMOE_RETURN_IF_ERROR(clStatus(err, context_->name + ": allocating the dims buffer"));
    dimsCapacity_ = capacity;
  }
  if (args.dimCount > 0 && (dimsValues_.size() != args.dimCount ||
                            !std::equal(dimsValues_.begin(), dimsValues_.end(), args.dims))) {
    dimsValues_.assign(args.dims, args.dims + args.dimCount);
    HEXMOE_RETURN_IF_ERROR(clStatus(api.clEnqueueWriteBuffer(context_->queue, dims_, CL_TRUE, 0,
                                                             args.dimCount * sizeof(int64_t), dimsValues_.data(), 0,
                                                             nullptr, nullptr),
                                    what + ": writing its sizes"));
  }

  cl_kernel k = exe.kernel(kernel);
  const int bindings = exe.bindingCount(kernel);
  for (int b = 0; b < bindings; ++b) {
    cl_mem mem = static_cast<cl_mem>(args.bindings[b]);
    HEXMOE_RETURN_IF_ERROR(clStatus(api.clSetKernelArg(k, static_cast<cl_uint>(b), sizeof(cl_mem), &mem),
                                    what + ": binding " + std::to_string(b)));
  }
  HEXMOE_RETURN_IF_ERROR(
      clStatus(api.clSetKernelArg(k, static_cast<cl_uint>(bindings), sizeof(cl_mem), &dims_), what + ": dims"));
  const size_t global = static_cast<size_t>(args.workgroupCount);
  return clStatus(api.clEnqueueNDRangeKernel(context_->queue, k, 1, nullptr, &global, nullptr, 0, nullptr, nullptr),
                  what + ": enqueueing " + std::to_string(global) + " work-items");
}

Status OpenclQueue::finish() { return clStatus(context_->api->clFinish(context_->queue), context_->name + ": clFinish"); }

//===----------------------------------------------------------------------===//
// Device
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<OpenclDevice>> OpenclDevice::create(int ordinal, const hal::DeviceOptions& options) {
  HEXMOE_ASSIGN_OR_RETURN(const Api* api, loadApi());
  HEXMOE_ASSIGN_OR_RETURN(std::vector<cl_device_id> ids, listDeviceIds(*api));
  const std::string name = "opencl:" + std::to_string(ordinal);
  if (ids.empty())
    return unavailable("no OpenCL device found (no ICD is installed, e.g. pocl-opencl-icd, or none has a device)");
  if (ordinal >= static_cast<int>(ids.size()))
    return notFound("no device " + name + " (this machine has " + std::to_string(ids.size()) + " OpenCL device" +
                    (ids.size() == 1 ? "" : "s") + ": opencl:0" +
                    (ids.size() > 1 ? "-opencl:" + std::to_string(ids.size() - 1) : "") + ")");

  std::unique_ptr<OpenclDevice> device(new OpenclDevice());
  auto context = std::make_shared<Context>();
  context->api = api;
  context->device = ids[ordinal];
  context->name = name;
  cl_int err = CL_SUCCESS;
  context->context = api->clCreateContext(nullptr, 1, &context->device, nullptr, nullptr, &err);
  HEXMOE_RETURN_IF_ERROR(clStatus(err, name + ": clCreateContext"));
  context->queue = api->clCreateCommandQueue(context->context, context->device, 0, &err);
  HEXMOE_RETURN_IF_ERROR(clStatus(err, name + ": clCreateCommandQueue"));
  device->context_ = context;
  device->queue_ = std::make_unique<OpenclQueue>(context);
  if (auto it = options.values.find("build_options"); it != options.values.end()) device->buildOptions_ = it->second;

  hal::DeviceInfo& info = device->info_;
  info.driver = "opencl";
  info.name = name;
  info.description = describeDevice(*api, context->device);
  info.threads = 1;
  info.features = deviceString(*api, context->device, CL_DEVICE_EXTENSIONS);
  std::replace(info.features.begin(), info.features.end(), ' ', ',');
  while (!info.features.empty() && info.features.back() == ',') info.features.pop_back();
  HEXMOE_LOG_DEBUG("{}: {}", info.name, info.description);
  return device;
}

StatusOr<std::unique_ptr<hal::Buffer>> OpenclDevice::allocateBuffer(size_t size) {
  // OpenCL refuses empty buffers; an empty tensor still gets a real one.
  const size_t bytes = std::max(size, hal::kBufferAlignment);
  cl_int err = CL_SUCCESS;
  cl_mem mem = context_->api->clCreateBuffer(context_->context, CL_MEM_READ_WRITE, bytes, nullptr, &err);
  HEXMOE_RETURN_IF_ERROR(clStatus(err, info_.name + ": allocating " + std::to_string(size) + " bytes"));
  return std::unique_ptr<hal::Buffer>(new OpenclBuffer(context_, mem, size));
}

StatusOr<std::unique_ptr<hal::Buffer>> OpenclDevice::wrapHostMemory(void*, size_t, std::function<void()>) {
  return unimplemented(info_.name + " does not use host memory in place; create the tensor on it from host data " +
                       "(hexmoe_tensor_create) or copy one there (hexmoe_tensor_copy)");
}

bool OpenclDevice::canBind(const hal::Buffer& buffer) const {
  const auto* b = dynamic_cast<const OpenclBuffer*>(&buffer);
  return b && b->context() == context_.get();
}

StatusOr<std::unique_ptr<hal::Executable>> OpenclDevice::loadExecutable(const schema::Artifact& artifact,
                                                                        const std::string& what) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<OpenclExecutable> exe,
                          OpenclExecutable::load(context_, artifact, buildOptions_, what));
  return std::unique_ptr<hal::Executable>(std::move(exe));
}

}  // namespace hexmoe::hal::opencl
