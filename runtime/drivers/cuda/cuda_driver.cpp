// The CUDA driver: every GPU the NVIDIA driver (libcuda.so.1) sees.
#include "runtime/drivers/cuda/cuda_device.h"

namespace hexmoe::hal::cuda {
namespace {

class CudaDriver final : public hal::Driver {
 public:
  const char* name() const override { return "cuda"; }
  std::vector<std::string> optionNames() const override { return {"block_size", "nvrtc_options"}; }
  StatusOr<std::vector<hal::DeviceListing>> listDevices() override {
    HEXMOE_ASSIGN_OR_RETURN(const Api* api, loadApi());
    int count = 0;
    if (api->cuDeviceGetCount(&count) != kCudaSuccess) count = 0;
    std::vector<hal::DeviceListing> out;
    for (int i = 0; i < count; ++i) {
      CUdevice device = 0;
      HEXMOE_RETURN_IF_ERROR(cuStatus(api, api->cuDeviceGet(&device, i), "cuDeviceGet"));
      out.push_back({"cuda:" + std::to_string(i), describeDevice(*api, device)});
    }
    return out;
  }
  StatusOr<std::unique_ptr<hal::Device>> createDevice(int ordinal, const hal::DeviceOptions& options) override {
    HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<CudaDevice> device, CudaDevice::create(ordinal, options));
    return std::unique_ptr<hal::Device>(std::move(device));
  }
};

}  // namespace

std::unique_ptr<hal::Driver> createCudaDriver() { return std::make_unique<CudaDriver>(); }

}  // namespace hexmoe::hal::cuda
