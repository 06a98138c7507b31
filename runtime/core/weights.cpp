// Weights: mapped checkpoint ranges or embedded bytes, and device buffers.
#include "runtime/core/weights.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "artifact_generated.h"
#include "runtime/core/hal/allocator.h"
#include "runtime/core/hal/device.h"
#include "runtime/core/logging.h"
#include "runtime/schema/weight_digest.h"

namespace hexmoe {

WeightStore::~WeightStore() {
  buffers_.clear();  // before the memory they may wrap
  for (const Mapping& m : mappings_)
    if (m.data) munmap(const_cast<uint8_t*>(m.data), m.size);
}

StatusOr<std::unique_ptr<WeightStore>> WeightStore::open(const schema::Artifact& artifact, const std::string& what,
                                                         const ModuleOptions& options, size_t deviceCount) {
  std::unique_ptr<WeightStore> store(new WeightStore());
  store->buffers_.resize(deviceCount);
  if (!artifact.weights()) return store;
  const std::string dir = !options.weightsDir.empty() ? options.weightsDir
                          : artifact.weights_dir()    ? artifact.weights_dir()->str()
                                                      : "";
  std::map<std::string, size_t> byFile;  // file -> index in mappings_
  size_t verifiedBytes = 0;
  for (const schema::Weight* w : *artifact.weights()) {  // verified: see artifact_file.cpp
    Entry e;
    e.name = w->name()->str();
    e.size = static_cast<size_t>(w->length());
    if (!w->file() || w->file()->size() == 0) {
      e.bytes = w->data()->data();
      store->weights_.push_back(std::move(e));
      continue;
    }
    const std::string file = w->file()->str();
    const std::string path = dir.empty() ? file : dir + "/" + file;
    auto found = byFile.find(file);
    if (found == byFile.end()) {
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        const int err = errno;
        const std::string hint = options.weightsDir.empty() ? " (moved? point at the checkpoint with --weights=DIR)" : "";
        if (err == ENOENT)
          return notFound(what + ": weight '" + e.name + "' is in " + path + ", which does not exist" + hint);
        return errnoStatus(err, what + ": weight '" + e.name + "': " + path);
      }
      struct stat st;
      Mapping m;
      if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        m.size = static_cast<size_t>(st.st_size);
        void* p = mmap(nullptr, m.size, PROT_READ, MAP_PRIVATE, fd, 0);
        m.data = p == MAP_FAILED ? nullptr : static_cast<const uint8_t*>(p);
      }
      const int err = errno;
      ::close(fd);
      if (!m.data && m.size) return errnoStatus(err, what + ": mapping " + path);
      found = byFile.emplace(file, store->mappings_.size()).first;
      store->mappings_.push_back(m);
    }
    const Mapping& m = store->mappings_[found->second];
    if (w->offset() > m.size || w->length() > m.size - w->offset())
      return dataLoss(what + ": weight '" + e.name + "' is bytes [" + std::to_string(w->offset()) + ", " +
                      std::to_string(w->offset() + w->length()) + ") of " + path + ", which has " +
                      std::to_string(m.size) + " (not the checkpoint it was compiled from?)");
    e.bytes = m.data + w->offset();
    if (options.verifyWeights) {
      const schema::Sha256 digest = schema::sha256(e.bytes, e.size);
      if (std::memcmp(digest.data(), w->sha256()->data(), digest.size()) != 0)
        return dataLoss(what + ": weight '" + e.name + "' in " + path + " does not match the SHA-256 recorded at "
                        "compile time (" + schema::hexDigest(w->sha256()->data()) + "): the checkpoint changed; "
                        "recompile, or point --weights at the checkpoint it was compiled from");
      verifiedBytes += e.size;
    }
    store->weights_.push_back(std::move(e));
  }
  if (!store->mappings_.empty())
    HEXMOE_LOG_INFO("{}: {} weight(s) from {} file(s) in {}{}", what, store->weights_.size(), store->mappings_.size(),
                    dir.empty() ? "." : dir,
                    options.verifyWeights ? ", " + std::to_string(verifiedBytes) + " bytes checked" : "");
  return store;
}

StatusOr<const hal::Buffer*> WeightStore::buffer(size_t w, hal::Device& device, size_t deviceIndex) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::unique_ptr<hal::Buffer>>& onDevice = buffers_.at(deviceIndex);
  if (onDevice.empty()) onDevice.resize(weights_.size());
  std::unique_ptr<hal::Buffer>& slot = onDevice[w];
  if (slot) return slot.get();
  const Entry& e = weights_[w];
  // Kernels take 64-byte aligned bindings; an unaligned range (safetensors
  // aligns nothing) is copied.
  if (reinterpret_cast<uintptr_t>(e.bytes) % hal::kBufferAlignment == 0) {
    auto wrapped = device.wrapHostMemory(const_cast<uint8_t*>(e.bytes), e.size, [] {});
    if (wrapped.ok()) {
      slot = std::move(*wrapped);
      return slot.get();
    }
    if (wrapped.status().code() != StatusCode::kUnimplemented) return std::move(wrapped).status();
  }
  auto made = device.allocateBuffer(e.size == 0 ? 1 : e.size);
  if (!made.ok()) return std::move(made).status().withPrefix("weight '" + e.name + "': ");
  if (e.size) HEXMOE_RETURN_IF_ERROR((*made)->write(0, e.bytes, e.size));
  slot = std::move(*made);
  return slot.get();
}

}  // namespace hexmoe
