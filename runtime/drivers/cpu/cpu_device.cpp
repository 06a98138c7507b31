// The CPU device.
#include "runtime/drivers/cpu/cpu_device.h"

#include <cstdlib>

#include "runtime/core/logging.h"
#include "runtime/drivers/cpu/cpu_buffer.h"

namespace hexmoe::hal::cpu {
namespace {

/// The device option `key` if set, else the environment variable if set and
/// non-empty, with where it came from.
std::optional<std::pair<std::string, std::string>> setting(const hal::DeviceOptions& options, const char* key,
                                                           const char* env) {
  if (auto it = options.values.find(key); it != options.values.end())
    return std::make_pair(it->second, "the cpu driver's " + std::string(key) + " option");
  const char* value = std::getenv(env);
  if (value && *value) return std::make_pair(std::string(value), std::string(env));
  return std::nullopt;
}

StatusOr<int> threadCount(const hal::DeviceOptions& options) {
  auto requested = setting(options, "threads", "HEXMOE_THREADS");
  if (!requested) return availableCpus();
  const std::string& text = requested->first;
  char* end = nullptr;
  const long n = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || n < 0 || n > 4096)
    return invalidArgument(requested->second + ": '" + text + "' is not a thread count (1-4096; 0: every CPU)");
  return n == 0 ? availableCpus() : static_cast<int>(n);
}

}  // namespace

StatusOr<std::unique_ptr<CpuDevice>> CpuDevice::create(int ordinal, const hal::DeviceOptions& options) {
  std::unique_ptr<CpuDevice> device(new CpuDevice());
  device->allocator_ = options.allocator;

  const FeatureSet detected = detectHostFeatures();
  VariantPolicy& policy = device->policy_;
  policy.hostFeatures = detected;
  if (auto features = setting(options, "features", "HEXMOE_CPU_FEATURES")) {
    StatusOr<FeatureSet> overridden = applyFeatureOverride(detected, features->first);
    if (!overridden.ok())
      return std::move(overridden).status().withPrefix(features->second + ": ").at(__FILE__, __LINE__);
    policy.hostFeatures = std::move(*overridden);
    policy.featuresSource = features->second == "HEXMOE_CPU_FEATURES"
                                ? "HEXMOE_CPU_FEATURES=" + features->first
                                : features->second + " '" + features->first + "'";
    std::vector<std::string> claimed;
    for (const std::string& f : policy.hostFeatures)
      if (!detected.count(f)) claimed.push_back(f);
    if (!claimed.empty())
      HEXMOE_LOG_WARN("{} claims {} which this CPU lacks: kernels that use them will crash",
                      policy.featuresSource, joinFeatures(claimed));
  }
  if (auto variant = setting(options, "variant", "HEXMOE_CPU_VARIANT")) {
    policy.forcedVariant = variant->first;
    policy.forcedBy = variant->second == "HEXMOE_CPU_VARIANT" ? "HEXMOE_CPU_VARIANT=" + variant->first
                                                              : variant->second;
  }

  HEXMOE_ASSIGN_OR_RETURN(const int threads, threadCount(options));
  HEXMOE_ASSIGN_OR_RETURN(device->pool_, ThreadPool::create(threads));
  device->queue_ = std::make_unique<CpuQueue>(*device->pool_);

  hal::DeviceInfo& info = device->info_;
  info.driver = "cpu";
  info.name = "cpu:" + std::to_string(ordinal);
  info.threads = threads;
  info.features = joinFeatures(policy.hostFeatures, ",");
  const std::string model = cpuModelName();
  info.description = (model.empty() ? std::string("CPU") : model) + ", " + std::to_string(threads) +
                     (threads == 1 ? " thread" : " threads");
  HEXMOE_LOG_DEBUG("{}: {}; features {}{}", info.name, info.description, info.features,
                   policy.featuresSource.empty() ? "" : " (from " + policy.featuresSource + ")");
  return device;
}

StatusOr<std::unique_ptr<hal::Buffer>> CpuDevice::allocateBuffer(size_t size) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<CpuBuffer> buffer, CpuBuffer::allocate(allocator_, size));
  return std::unique_ptr<hal::Buffer>(std::move(buffer));
}

StatusOr<std::unique_ptr<hal::Buffer>> CpuDevice::wrapHostMemory(void* data, size_t size,
                                                                 std::function<void()> release) {
  return std::unique_ptr<hal::Buffer>(CpuBuffer::wrap(data, size, std::move(release)));
}

bool CpuDevice::canBind(const hal::Buffer& buffer) const { return buffer.hostPointer() != nullptr; }

StatusOr<std::unique_ptr<hal::Executable>> CpuDevice::loadExecutable(const schema::Artifact& artifact,
                                                                     const std::string& what) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<CpuExecutable> exe, CpuExecutable::load(artifact, policy_, what));
  return std::unique_ptr<hal::Executable>(std::move(exe));
}

}  // namespace hexmoe::hal::cpu
