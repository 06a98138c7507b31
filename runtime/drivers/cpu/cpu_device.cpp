// The CPU device.
#include "runtime/drivers/cpu/cpu_device.h"

#include <cstdlib>

#include "runtime/core/logging.h"
#include "runtime/drivers/cpu/cpu_buffer.h"

namespace hexmoe::cpu {
namespace {

/// An option if set, else the environment variable if set and non-empty.
std::optional<std::pair<std::string, std::string>> setting(const std::optional<std::string>& option,
                                                           const char* optionName, const char* env) {
  if (option) return std::make_pair(*option, std::string(optionName));
  const char* value = std::getenv(env);
  if (value && *value) return std::make_pair(std::string(value), std::string(env));
  return std::nullopt;
}

StatusOr<int> threadCount(int requested) {
  if (requested > 0) return requested;
  if (const char* env = std::getenv("HEXMOE_THREADS"); env && *env) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (*end != '\0' || n < 1 || n > 4096)
      return invalidArgument("HEXMOE_THREADS='" + std::string(env) + "' is not a thread count (1-4096)");
    return static_cast<int>(n);
  }
  return availableCpus();
}

}  // namespace

StatusOr<std::unique_ptr<CpuDevice>> CpuDevice::create(const hal::DeviceOptions& options) {
  std::unique_ptr<CpuDevice> device(new CpuDevice());
  device->allocator_ = options.allocator;

  const FeatureSet detected = detectHostFeatures();
  VariantPolicy& policy = device->policy_;
  policy.hostFeatures = detected;
  if (auto features = setting(options.cpuFeatures, "the cpu_features option", "HEXMOE_CPU_FEATURES")) {
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
  if (auto variant = setting(options.cpuVariant, "the cpu_variant option", "HEXMOE_CPU_VARIANT")) {
    policy.forcedVariant = variant->first;
    policy.forcedBy = variant->second == "HEXMOE_CPU_VARIANT" ? "HEXMOE_CPU_VARIANT=" + variant->first
                                                              : variant->second;
  }

  HEXMOE_ASSIGN_OR_RETURN(const int threads, threadCount(options.threads));
  HEXMOE_ASSIGN_OR_RETURN(device->pool_, ThreadPool::create(threads));
  device->queue_ = std::make_unique<CpuQueue>(*device->pool_);

  hal::DeviceInfo& info = device->info_;
  info.driver = "cpu";
  info.name = "cpu:0";
  info.threads = threads;
  info.features = joinFeatures(policy.hostFeatures, ",");
  const std::string model = cpuModelName();
  info.description = (model.empty() ? std::string("CPU") : model) + ", " + std::to_string(threads) +
                     (threads == 1 ? " thread" : " threads");
  HEXMOE_LOG_DEBUG("cpu device: {}; features {}{}", info.description, info.features,
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

StatusOr<std::unique_ptr<hal::Executable>> CpuDevice::loadExecutable(const schema::Artifact& artifact,
                                                                     const std::string& what) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<CpuExecutable> exe, CpuExecutable::load(artifact, policy_, what));
  return std::unique_ptr<hal::Executable>(std::move(exe));
}

}  // namespace hexmoe::cpu
