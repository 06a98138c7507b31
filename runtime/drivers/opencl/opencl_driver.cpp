// The OpenCL driver: every device of every OpenCL platform, through the ICD loader.
#include "runtime/drivers/opencl/opencl_device.h"

namespace hexmoe::hal::opencl {
namespace {

class OpenclDriver final : public hal::Driver {
 public:
  const char* name() const override { return "opencl"; }
  std::vector<std::string> optionNames() const override { return {"build_options"}; }
  StatusOr<std::vector<hal::DeviceListing>> listDevices() override {
    HEXMOE_ASSIGN_OR_RETURN(const Api* api, loadApi());
    HEXMOE_ASSIGN_OR_RETURN(std::vector<cl_device_id> ids, listDeviceIds(*api));
    std::vector<hal::DeviceListing> out;
    for (size_t i = 0; i < ids.size(); ++i)
      out.push_back({"opencl:" + std::to_string(i), describeDevice(*api, ids[i])});
    return out;
  }
  StatusOr<std::unique_ptr<hal::Device>> createDevice(int ordinal, const hal::DeviceOptions& options) override {
    HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<OpenclDevice> device, OpenclDevice::create(ordinal, options));
    return std::unique_ptr<hal::Device>(std::move(device));
  }
};

}  // namespace

std::unique_ptr<hal::Driver> createOpenclDriver() { return std::make_unique<OpenclDriver>(); }

}  // namespace hexmoe::hal::opencl
