// Weights: mapped checkpoint ranges or embedded bytes, and device buffers.
#include "runtime/core/weights.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "artifact_generated.h"
#include "runtime/core/hal/allocator.h"
#include "runtime/core/hal/device.h"
#include "runtime/core/logging.h"
#include "runtime/schema/weight_digest.h"

namespace hexmoe {
namespace {

/// Lets the kernel drop the whole pages of a mapped range that was copied
/// (they are read again from the file if anything touches them later).
void dropPages(const uint8_t* data, size_t size) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace

WeightStore::~WeightStore() {
  buffers_.clear();  // before the memory they may wrap
  for (const Mapping& m : mappings_)
    if (m.data) munmap(const_cast<uint8_t*>(m.data), m.size);
}

StatusOr<std::unique_ptr<WeightStore>> WeightStore::open(const schema::Artifact& artifact, const std::string& what,
                                                         const ModuleOptions& options, size_t deviceCount,
                                                         bool artifactMapped) {
  std::unique_ptr<WeightStore> store(new WeightStore());
  store->buffers_.resize(deviceCount);
  if (!artifact.weights()) return store;
  const std::string dir = !options.weightsDir.empty() ? options.weightsDir
                          : artifact.weights_dir()    ? artifact.weights_dir()->str()
                                                      : "";
  std::map<std::string, size_t> byFile;  // file -> index in mappings_
  size_t verifiedBytes = 0;
  // Maps `file` once; returns its mapping.
  auto mapFile = [&](const std::string& file, const std::string& weight) -> StatusOr<const Mapping*> {
    auto found = byFile.find(file);
    if (found != byFile.end()) return &store->mappings_[found->second];
    const std::string path = dir.empty() ? file : dir + "/" + file;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      const std::string hint = options.weightsDir.empty() ? " (moved? point at the checkpoint with --weights=DIR)" : "";
      if (err == ENOENT)
        return notFound(what + ": weight '" + weight + "' is in " + path + ", which does not exist" + hint);
      return errnoStatus(err, what + ": weight '" + weight + "': " + path);
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
    m.path = path;
    byFile.emplace(file, store->mappings_.size());
    store->mappings_.push_back(m);
    return &store->mappings_.back();
  };

  for (const schema::Weight* w : *artifact.weights()) {  // verified: see artifact_file.cpp
    Entry e;
    e.name = w->name()->str();
    e.size = static_cast<size_t>(w->length());
    // One aligned host copy of every weight read from a file mapping (a
    // checkpoint's, or the artifact's own), whose pages are then dropped;
    // embedded weights of an artifact in memory are bound where they are.
    auto copyOf = [&](const std::vector<std::pair<const uint8_t*, size_t>>& pieces, bool drop) -> Status {
      void* joined = std::aligned_alloc(hal::kBufferAlignment, (e.size + hal::kBufferAlignment - 1) /
                                                                   hal::kBufferAlignment * hal::kBufferAlignment +
                                                               hal::kBufferAlignment);
      if (!joined) return resourceExhausted(what + ": weight '" + e.name + "': cannot allocate " + std::to_string(e.size) + " bytes");
      store->copies_.emplace_back(static_cast<uint8_t*>(joined), &std::free);
      size_t at = 0;
      for (const auto& [data, length] : pieces) {
        std::memcpy(store->copies_.back().get() + at, data, length);
        if (drop) dropPages(data, length);
        at += length;
      }
      e.bytes = store->copies_.back().get();
      return Status();
    };
    if (w->data()) {
      if (artifactMapped)
        HEXMOE_RETURN_IF_ERROR(copyOf({{w->data()->data(), e.size}}, /*drop=*/true));
      else
        e.bytes = w->data()->data();
      store->weights_.push_back(std::move(e));
      continue;
    }
    std::vector<std::pair<const uint8_t*, size_t>> pieces;
    for (const schema::WeightPiece* piece : *w->pieces()) {
      HEXMOE_ASSIGN_OR_RETURN(const Mapping* m, mapFile(piece->file()->str(), e.name));
      if (piece->offset() > m->size || piece->length() > m->size - piece->offset())
        return dataLoss(what + ": weight '" + e.name + "' is bytes [" + std::to_string(piece->offset()) + ", " +
                        std::to_string(piece->offset() + piece->length()) + ") of " + m->path + ", which has " +
                        std::to_string(m->size) + " (not the checkpoint it was compiled from?)");
      const uint8_t* bytes = m->data + piece->offset();
      if (options.verifyWeights) {
        const schema::Sha256 digest = schema::sha256(bytes, piece->length());
        if (std::memcmp(digest.data(), piece->sha256()->data(), digest.size()) != 0)
          return dataLoss(what + ": weight '" + e.name + "' in " + m->path + " does not match the SHA-256 recorded at "
                          "compile time (" + schema::hexDigest(piece->sha256()->data()) + "): the checkpoint changed; "
                          "recompile, or point --weights at the checkpoint it was compiled from");
        verifiedBytes += piece->length();
      }
      pieces.push_back({bytes, static_cast<size_t>(piece->length())});
    }
    HEXMOE_RETURN_IF_ERROR(copyOf(pieces, /*drop=*/true));
    store->weights_.push_back(std::move(e));
  }
  // The checkpoint's directory, also for embedded weights: its tokenizer and
  // config stay there.
  if (!store->mappings_.empty() || !dir.empty()) store->directory_ = dir.empty() ? "." : dir;
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
