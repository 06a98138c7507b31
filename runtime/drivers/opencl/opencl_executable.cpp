// Loading the artifact's OpenCL C program: check, build, create kernels.
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <map>

#include "artifact_generated.h"
#include "runtime/core/hal/kernel_abi_check.h"
#include "runtime/core/logging.h"
#include "runtime/drivers/opencl/opencl_device.h"

namespace hexmoe::hal::opencl {
namespace {

std::string buildLog(const Api& api, cl_program program, cl_device_id device) {
  size_t size = 0;
  if (api.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, nullptr, &size) != CL_SUCCESS) return "";
  std::string log(size, '\0');
  if (api.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, size, log.data(), nullptr) != CL_SUCCESS)
    return "";
  log.resize(std::strlen(log.c_str()));
  constexpr size_t kMaxLog = 4000;
  if (log.size() > kMaxLog) log = log.substr(0, kMaxLog) + "\n[... build log cut at " + std::to_string(kMaxLog) + " bytes]";
  return log;
}

}  // namespace

OpenclExecutable::~OpenclExecutable() {
  for (cl_kernel k : kernels_)
    if (k) context_->api->clReleaseKernel(k);
  if (program_) context_->api->clReleaseProgram(program_);
}

StatusOr<std::unique_ptr<OpenclExecutable>> OpenclExecutable::load(std::shared_ptr<Context> context,
                                                                   const schema::Artifact& artifact,
                                                                   const std::string& buildOptions,
                                                                   const std::string& what) {
  const schema::Executable* chosen = nullptr;
  if (artifact.executables())
    for (const schema::Executable* e : *artifact.executables())
      if (e->format()->str() == kOpenclFormat) chosen = e;
  if (!chosen)
    return notFound(what + ": the artifact has no OpenCL code (no " + std::string(kOpenclFormat) +
                    " executable; compile with --target=opencl or --target=cpu,opencl)");
  const std::string label = what + ", " + kOpenclFormat + " program";
  const std::string source(reinterpret_cast<const char*>(chosen->data()->data()), chosen->data()->size());
  if (source.find('\0') != std::string::npos) return dataLoss(label + ": the source holds a NUL byte");

  HEXMOE_RETURN_IF_ERROR(checkSourceAbiRecords(artifact, *chosen, source, label));
  const int numKernels = artifact.kernels() ? static_cast<int>(artifact.kernels()->size()) : 0;

  const Api& api = *context->api;
  std::unique_ptr<OpenclExecutable> exe(new OpenclExecutable());
  exe->context_ = context;
  for (const schema::KernelLaunch* l : *chosen->launches()) exe->launches_.push_back({l->workgroups(), l->tile()});

  const auto start = std::chrono::steady_clock::now();
  const char* text = source.c_str();
  const size_t length = source.size();
  cl_int err = CL_SUCCESS;
  exe->program_ = api.clCreateProgramWithSource(context->context, 1, &text, &length, &err);
  HEXMOE_RETURN_IF_ERROR(clStatus(err, label + ": clCreateProgramWithSource"));
  // -cl-fp32-correctly-rounded-divide-sqrt: the reference divides exactly.
  const std::string options = "-cl-fp32-correctly-rounded-divide-sqrt" +
                              (buildOptions.empty() ? std::string() : " " + buildOptions);
  err = api.clBuildProgram(exe->program_, 1, &context->device, options.c_str(), nullptr, nullptr);
  if (err != CL_SUCCESS) {
    Status status = clStatus(err, label + ": building for " + context->name);
    const std::string log = buildLog(api, exe->program_, context->device);
    return Status(status.code(), status.message() + (log.empty() ? "" : ":\n" + log));
  }
  for (int k = 0; k < numKernels; ++k) {
    const schema::Kernel& kernel = *artifact.kernels()->Get(k);
    const std::string name = kernel.name()->str();
    cl_kernel handle = api.clCreateKernel(exe->program_, name.c_str(), &err);
    if (err != CL_SUCCESS)
      return Status(clStatus(err, label).code(),
                    label + ": kernel '" + name + "' is missing from the program (" + errorName(err) + ")");
    exe->kernels_.push_back(handle);
    exe->bindingCounts_.push_back(kernel.num_bindings());
    exe->kernelNames_.push_back(name);
  }
  HEXMOE_LOG_INFO("{}: built {} for {} ({} kernels) in {:.0f} ms", what, kOpenclFormat, context->name, numKernels,
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  return exe;
}

}  // namespace hexmoe::hal::opencl
