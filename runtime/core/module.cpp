// Artifact loading: read, verify, choose device code, build functions.
#include "runtime/core/module.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "artifact_generated.h"
#include "runtime/core/logging.h"
#include "runtime/schema/artifact_file.h"
#include "runtime/schema/artifact_signature.h"

namespace hexmoe {
namespace {

class MappedBytes final : public ArtifactBytes {
 public:
  MappedBytes(void* data, size_t size) : data_(data), size_(size) {}
  ~MappedBytes() override { munmap(data_, size_); }
  const uint8_t* data() const override { return static_cast<const uint8_t*>(data_); }
  size_t size() const override { return size_; }
  bool fileMapped() const override { return true; }

 private:
  void* data_;
  size_t size_;
};

class HeapBytes final : public ArtifactBytes {
 public:
  explicit HeapBytes(size_t size)
      : data_(static_cast<uint8_t*>(std::aligned_alloc(64, (size + 63) / 64 * 64 + 64))), size_(size) {}
  ~HeapBytes() override { std::free(data_); }
  uint8_t* mutableData() { return data_; }
  const uint8_t* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  uint8_t* data_;
  size_t size_;
};

/// An artifact read from a stream may be at most this large; a mapped file
/// has no such limit.
constexpr uint64_t kMaxStreamedArtifact = uint64_t(1) << 36;

/// Reads what cannot be mapped (a pipe, /dev/stdin): the header first, then
/// no more than the size it declares and one byte more (so padding is seen),
/// so an endless stream (/dev/zero) is never read to its end.
StatusOr<std::unique_ptr<ArtifactBytes>> readAll(int fd, const std::string& path) {
  std::vector<uint8_t> contents;
  uint8_t chunk[1 << 16];
  uint64_t limit = schema::kHeaderSize;
  bool sized = false;
  while (contents.size() < limit) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof(chunk), limit - contents.size()));
    ssize_t n = ::read(fd, chunk, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoStatus(errno, path);
    }
    if (n == 0) break;
    contents.insert(contents.end(), chunk, chunk + n);
    if (!sized && contents.size() >= schema::kHeaderSize) {
      sized = true;
      const uint64_t declared = schema::declaredArtifactSize(contents.data(), contents.size());
      if (declared > kMaxStreamedArtifact)
        return dataLoss(path + ": the header declares " + std::to_string(declared) +
                        " bytes, more than a streamed artifact may hold (" + std::to_string(kMaxStreamedArtifact) +
                        "); give a regular file");
      // Not an artifact: the verifier says so from the header alone. A
      // signature block may follow the declared bytes.
      limit = declared ? declared + schema::kSignatureBlockSize + 1 : contents.size();
    }
  }
  auto bytes = std::make_unique<HeapBytes>(contents.size());
  if (!bytes->mutableData()) return resourceExhausted(path + ": cannot allocate " + std::to_string(contents.size()) + " bytes");
  if (!contents.empty()) std::memcpy(bytes->mutableData(), contents.data(), contents.size());
  return std::unique_ptr<ArtifactBytes>(std::move(bytes));
}

StatusOr<std::unique_ptr<ArtifactBytes>> readFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errnoStatus(errno, path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = errnoStatus(errno, path);
    ::close(fd);
    return s;
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return invalidArgument(path + ": is a directory");
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      ::close(fd);
      return std::unique_ptr<ArtifactBytes>(new MappedBytes(p, static_cast<size_t>(st.st_size)));
    }
  }
  StatusOr<std::unique_ptr<ArtifactBytes>> bytes = readAll(fd, path);
  ::close(fd);
  return bytes;
}

}  // namespace

StatusOr<Ref<Module>> Module::loadFile(const Ref<Runtime>& runtime, const std::string& path,
                                       const ModuleOptions& options) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<ArtifactBytes> bytes, readFile(path));
  return load(runtime, std::move(bytes), path, options);
}

namespace {
/// A copy of caller memory, 64-byte aligned as the verifier wants it.
StatusOr<std::unique_ptr<ArtifactBytes>> copyBytes(const void* data, size_t size, const std::string& name) {
  if (!data && size) return invalidArgument(name + ": null data");
  auto bytes = std::make_unique<HeapBytes>(size);
  if (!bytes->mutableData()) return resourceExhausted(name + ": cannot allocate " + std::to_string(size) + " bytes");
  if (size) std::memcpy(bytes->mutableData(), data, size);
  return std::unique_ptr<ArtifactBytes>(std::move(bytes));
}
}  // namespace

StatusOr<Ref<Module>> Module::loadMemory(const Ref<Runtime>& runtime, const void* data, size_t size,
                                         const std::string& name, const ModuleOptions& options) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<ArtifactBytes> bytes, copyBytes(data, size, name));
  return load(runtime, std::move(bytes), name, options);
}

StatusOr<Ref<Module>> Module::readDescription(const Ref<Runtime>& runtime, const void* data, size_t size,
                                              const std::string& name) {
  HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<ArtifactBytes> bytes, copyBytes(data, size, name));
  return describe(runtime, std::move(bytes), name);
}

StatusOr<Ref<Module>> Module::describe(const Ref<Runtime>& runtime, std::unique_ptr<ArtifactBytes> bytes,
                                       const std::string& name) {
  // Who signed it, and whether this runtime trusts them, before any byte of
  // it is parsed: an untrusted artifact is refused unread.
  HEXMOE_ASSIGN_OR_RETURN(std::optional<schema::PublicKey> signer,
                          schema::checkSignature(bytes->data(), bytes->size(), name));
  HEXMOE_RETURN_IF_ERROR(schema::checkTrusted(signer, runtime->trustedKeys(), name));
  HEXMOE_ASSIGN_OR_RETURN(const schema::Artifact* artifact, schema::verifyArtifact(bytes->data(), bytes->size(), name));

  Ref<Module> module = Ref<Module>::adopt(new Module());
  module->runtime_ = runtime;
  module->name_ = name;
  module->producer_ = artifact->producer() ? artifact->producer()->str() : "";
  module->source_ = artifact->source() ? artifact->source()->str() : "";
  module->signer_ = signer ? signer->hex() : "";

  // The functions first: what is wrong with the artifact's own description
  // is reported before any device's code is loaded.
  std::vector<std::string> kernelNames;
  if (artifact->kernels())
    for (const schema::Kernel* k : *artifact->kernels()) kernelNames.push_back(k->name()->str());
  for (const schema::Function* fn : *artifact->functions()) {
    HEXMOE_ASSIGN_OR_RETURN(std::unique_ptr<Function> f, Function::build(*fn, *module, kernelNames, name));
    for (const auto& existing : module->functions_)
      if (existing->name() == f->name()) return dataLoss(name + ": function '" + f->name() + "' is defined twice");
    module->functions_.push_back(std::move(f));
  }
  module->artifact_ = artifact;
  module->bytes_ = std::move(bytes);
  module->executables_.resize(runtime->deviceCount());
  return module;
}

StatusOr<Ref<Module>> Module::load(const Ref<Runtime>& runtime, std::unique_ptr<ArtifactBytes> bytes,
                                   const std::string& name, const ModuleOptions& options) {
  HEXMOE_ASSIGN_OR_RETURN(Ref<Module> module, describe(runtime, std::move(bytes), name));
  const schema::Artifact* artifact = module->artifact_;
  // The weights before any device code: a missing or changed checkpoint is
  // reported as such.
  HEXMOE_ASSIGN_OR_RETURN(module->weights_, WeightStore::open(*artifact, name, options, runtime->deviceCount(),
                                                              module->bytes_->fileMapped()));
  module->weightsDir_ = module->weights_->directory();

  // Every device that loads one of the artifact's executables can run its
  // functions. A device that has no format of its own here is skipped; one
  // whose format is present but cannot run (a missing CPU feature) is too,
  // unless no device at all can run the module: then each says why.
  Status firstFailure;
  std::string reasons;
  for (size_t d = 0; d < runtime->deviceCount(); ++d) {
    StatusOr<std::unique_ptr<hal::Executable>> exe = runtime->device(d).loadExecutable(*artifact, name);
    if (exe.ok()) {
      if (module->defaultDevice_ == kNoDevice) module->defaultDevice_ = d;
      module->executables_[d] = std::move(*exe);
      continue;
    }
    HEXMOE_LOG_DEBUG("{}: not loaded on {}: {}", name, runtime->device(d).info().name, exe.status().message());
    reasons += (reasons.empty() ? "" : "; ") + runtime->device(d).info().name + ": " + exe.status().message();
    if (firstFailure.ok()) firstFailure = std::move(exe).status();
  }
  if (module->defaultDevice_ == kNoDevice) {
    if (runtime->deviceCount() == 1) return std::move(firstFailure).at(__FILE__, __LINE__);
    return Status(firstFailure.code(), name + ": no device of this runtime runs it (" + reasons + ")");
  }
  std::string loaded;
  for (size_t d = 0; d < module->executables_.size(); ++d)
    if (module->executables_[d])
      loaded += (loaded.empty() ? "" : ", ") + runtime->device(d).info().name + " " + module->executables_[d]->name();
  HEXMOE_LOG_INFO("loaded {}: {} function(s), executables {}", name, module->functions_.size(), loaded);
  return module;
}

const hal::Executable* Module::executable(size_t device) const {
  return device < executables_.size() ? executables_[device].get() : nullptr;
}

StatusOr<size_t> Module::checkDevice(size_t device) const {
  if (device >= executables_.size())
    return invalidArgument(name_ + ": device " + std::to_string(device) + " of " +
                           std::to_string(executables_.size()) + " (" + runtime_->deviceNames() + ")");
  if (!executables_[device])
    return failedPrecondition(name_ + ": not loaded on " + runtime_->device(device).info().name +
                              " (none of its executables runs there)");
  return device;
}

StatusOr<Function*> Module::findFunction(const std::string& name) const {
  std::string names;
  for (const auto& f : functions_) {
    if (f->name() == name) return f.get();
    names += (names.empty() ? "" : ", ") + f->name();
  }
  return notFound(name_ + ": no function '" + name + "' (it has " + names + ")");
}

}  // namespace hexmoe
