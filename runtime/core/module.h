// A loaded artifact: verified bytes, the device executable chosen for this
// host, and the functions it exports.
#ifndef HEXMOE_RUNTIME_CORE_MODULE_H_
#define HEXMOE_RUNTIME_CORE_MODULE_H_

#include <memory>
#include <string>
#include <vector>

#include "runtime/core/function.h"
#include "runtime/core/hal/executable.h"
#include "runtime/core/ref_counted.h"
#include "runtime/core/runtime.h"
#include "runtime/core/weights.h"
#include "runtime/base/status.h"

namespace hexmoe {

/// The artifact's bytes, mapped from a file or copied; 8-byte aligned.
class ArtifactBytes {
 public:
  virtual ~ArtifactBytes() = default;
  virtual const uint8_t* data() const = 0;
  virtual size_t size() const = 0;
  /// A read-only file mapping: pages that were copied may be dropped (the
  /// kernel reads them again from the file if they are touched later).
  virtual bool fileMapped() const { return false; }
};

class Module final : public RefCounted {
 public:
  /// Maps the file (or reads it, where it cannot be mapped), verifies it,
  /// loads the device code. Errors name the file.
  static StatusOr<Ref<Module>> loadFile(const Ref<Runtime>& runtime, const std::string& path,
                                        const ModuleOptions& options = {});
  /// Copies the bytes; `name` labels messages.
  static StatusOr<Ref<Module>> loadMemory(const Ref<Runtime>& runtime, const void* data, size_t size,
                                          const std::string& name, const ModuleOptions& options = {});

  /// Checks the signature and trust policy, verifies the artifact and builds
  /// its functions, but loads no device code: no executable is mapped and the
  /// module runs nowhere. The part of loading that reads untrusted bytes, on
  /// its own (the fuzz targets drive it).
  static StatusOr<Ref<Module>> readDescription(const Ref<Runtime>& runtime, const void* data, size_t size,
                                               const std::string& name);

  const std::string& name() const { return name_; }
  const std::string& producer() const { return producer_; }
  const std::string& source() const { return source_; }
  /// The signer's public key (64 hex digits), or "" when it is not signed.
  const std::string& signer() const { return signer_; }
  /// The executable loaded on each runtime device, or null where none runs.
  const hal::Executable* executable(size_t device) const;
  /// The device invocations use unless told otherwise: the first device
  /// that loaded an executable.
  size_t defaultDevice() const { return defaultDevice_; }
  /// `device` if this module runs there, else an error saying why not.
  StatusOr<size_t> checkDevice(size_t device) const;
  const std::vector<std::unique_ptr<Function>>& functions() const { return functions_; }
  /// NotFound lists the functions there are.
  StatusOr<Function*> findFunction(const std::string& name) const;

  /// The checkpoint tensors its functions bind (empty before load, and for
  /// a description).
  WeightStore& weights() const { return *weights_; }
  /// The checkpoint directory of its weights (WeightStore::directory()).
  const std::string& weightsDir() const { return weightsDir_; }

  Runtime& runtime() const { return *runtime_; }
  const Ref<Runtime>& runtimeRef() const { return runtime_; }

 private:
  Module() = default;
  ~Module() override = default;
  static StatusOr<Ref<Module>> load(const Ref<Runtime>& runtime, std::unique_ptr<ArtifactBytes> bytes,
                                    const std::string& name, const ModuleOptions& options);
  static StatusOr<Ref<Module>> describe(const Ref<Runtime>& runtime, std::unique_ptr<ArtifactBytes> bytes,
                                        const std::string& name);

  // Destroyed bottom-up: functions, then the code, then the weights, then
  // the bytes they came from, then the runtime.
  Ref<Runtime> runtime_;
  std::unique_ptr<ArtifactBytes> bytes_;
  const schema::Artifact* artifact_ = nullptr;  // inside bytes_
  std::unique_ptr<WeightStore> weights_;        // may point into bytes_
  static constexpr size_t kNoDevice = static_cast<size_t>(-1);
  std::vector<std::unique_ptr<hal::Executable>> executables_;  // one slot per runtime device
  size_t defaultDevice_ = kNoDevice;
  std::vector<std::unique_ptr<Function>> functions_;
  std::string name_;
  std::string producer_;
  std::string source_;
  std::string signer_;
  std::string weightsDir_;
};

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_CORE_MODULE_H_
