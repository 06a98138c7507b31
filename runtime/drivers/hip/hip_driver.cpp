// The HIP driver: every AMD GPU the HIP runtime (libamdhip64.so) sees.
#include "runtime/drivers/hip/hip_device.h"

namespace hexmoe::hal::hip {
namespace {

class HipDriver final : public hal::Driver {
 public:
  const char* name() const override { return "hip"; }
  std::vector<std::string> optionNames() const override { return {"arch", "block_size", "hiprtc_options"}; }
  StatusOr<std::vector<hal::DeviceListing>> listDevices() override {
    HEXMOE_ASSIGN_OR_RETURN(const Api* api, loadApi());
    int count = 0;
    if (api->hipGetDeviceCount(&count) != kHipSuccess) count = 0;
    std::vector<hal::DeviceListing> out;
    for (int i = 0; i < count; ++i) {
      hipDevice_t device = 0;
      HEXMOE_RETURN_IF_ERROR(hipStatus(api, api->hipDeviceGet(&device, i), "hipDeviceGet"));
      out.push_back({"hip:" + std::to_string(i), describeDevice(*api, device)});
    }
    return out;
  }
  StatusOr<std::unique_ptr<hal::Device>> createDevice(int ordinal, const hal::DeviceOptions& options) override {
    HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<HipDevice> device, HipDevice::create(ordinal, options));
    return std::unique_ptr<hal::Device>(std::move(device));
  }
};

}  // namespace

std::unique_ptr<hal::Driver> createHipDriver() { return std::make_unique<HipDriver>(); }

}  // namespace hexmoe::hal::hip
