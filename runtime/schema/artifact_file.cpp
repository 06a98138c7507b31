// Container header, checksum and structural verification of artifacts.
#include "runtime/schema/artifact_file.h"

#include <cstring>

#include "artifact_generated.h"
#include "runtime/schema/artifact_signature.h"

namespace hexmoe::schema {
namespace {

constexpr char kMagic[8] = {'H', 'E', 'X', 'M', 'O', 'E', '\0', 'A'};

void putLE(uint8_t* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t getLE(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

bool sameShape(const flatbuffers::Vector<const Extent*>* a, const flatbuffers::Vector<const Extent*>* b) {
  const size_t n = a ? a->size() : 0;
  if (n != (b ? b->size() : 0)) return false;
  for (size_t i = 0; i < n; ++i) {
    const Extent *x = a->Get(i), *y = b->Get(i);
    if (x->dim() != y->dim() || (x->dim() < 0 ? x->static_size() != y->static_size() : x->factor() != y->factor()))
      return false;
  }
  return true;
}

/// "f32 [T,2*T]" in the function's size names, for messages.
std::string describe(ElementType type, const flatbuffers::Vector<const Extent*>* shape, const Function* f) {
  std::string s = std::string(EnumNameElementType(type)) + " [";
  const int numDims = f->dim_names() ? static_cast<int>(f->dim_names()->size()) : 0;
  for (size_t i = 0; shape && i < shape->size(); ++i) {
    const Extent* e = shape->Get(i);
    if (i) s += ",";
    if (e->dim() < 0) {
      s += std::to_string(e->static_size());
      continue;
    }
    if (e->factor() != 1) s += std::to_string(e->factor()) + "*";
    s += e->dim() < numDims ? f->dim_names()->Get(e->dim())->str() : "d" + std::to_string(e->dim());
  }
  return s + "]";
}

/// Why a weight's file name may not be opened, or "": it stays inside the
/// checkpoint directory.
std::string badWeightFile(const std::string& file) {
  if (file[0] == '/') return "is an absolute path";
  if (file.find('\0') != std::string::npos) return "holds a NUL byte";
  size_t start = 0;
  while (start <= file.size()) {
    size_t end = file.find('/', start);
    if (end == std::string::npos) end = file.size();
    if (file.compare(start, end - start, "..") == 0 && end - start == 2) return "has a '..' component";
    start = end + 1;
  }
  return "";
}

/// Checks each weight: a name, a static shape whose bytes are `length`, and
/// either checkpoint pieces (each a file inside the checkpoint directory, a
/// range that does not overflow and a SHA-256) adding up to that length, or
/// embedded data of that length.
bool checkWeights(const Artifact& a, std::string& error) {
  if (!a.weights()) return true;
  for (size_t w = 0; w < a.weights()->size(); ++w) {
    const Weight* weight = a.weights()->Get(w);
    std::string wn = "weight " + std::to_string(w);
    if (!weight->name() || weight->name()->size() == 0) {
      error = wn + " has no name";
      return false;
    }
    wn += " ('" + weight->name()->str() + "')";
    if (weight->element_type() < ElementType_MIN || weight->element_type() > ElementType_MAX || !weight->shape()) {
      error = wn + " has no element type or shape";
      return false;
    }
    // The verifier checks the vector's length, not that its 8-byte elements
    // are aligned for reading in place (a fuzzer-found input had them not).
    if (reinterpret_cast<uintptr_t>(weight->shape()->data()) % alignof(int64_t) != 0) {
      error = wn + " has a misaligned shape";
      return false;
    }
    static constexpr uint64_t kElementSize[] = {4, 2, 4, 8, 1, 1, 2};  // f32, bf16, i32, i64, f8e4m3, i8, f16
    static_assert(sizeof(kElementSize) / sizeof(kElementSize[0]) == ElementType_MAX + 1, "one size per type");
    uint64_t bytes = kElementSize[weight->element_type()];
    for (int64_t d : *weight->shape()) {
      if (d < 0 || __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes)) {
        error = wn + " has a negative or overflowing shape";
        return false;
      }
    }
    if (bytes != weight->length()) {
      error = wn + " is " + std::to_string(weight->length()) + " bytes, its shape needs " + std::to_string(bytes);
      return false;
    }
    const size_t numPieces = weight->pieces() ? weight->pieces()->size() : 0;
    if ((numPieces > 0) == (weight->data() != nullptr)) {
      error = wn + " must have either checkpoint pieces or data";
      return false;
    }
    if (weight->data()) {
      if (weight->data()->size() != weight->length()) {
        error = wn + " carries " + std::to_string(weight->data()->size()) + " bytes of data for " +
                std::to_string(weight->length());
        return false;
      }
      continue;
    }
    uint64_t total = 0;
    for (size_t p = 0; p < numPieces; ++p) {
      const WeightPiece* piece = weight->pieces()->Get(p);
      const std::string pn = wn + " piece " + std::to_string(p);
      if (!piece->file() || piece->file()->size() == 0) {
        error = pn + " names no file";
        return false;
      }
      const std::string why = badWeightFile(piece->file()->str());
      if (!why.empty()) {
        error = pn + ": file '" + piece->file()->str() + "' " + why;
        return false;
      }
      if (!piece->sha256() || piece->sha256()->size() != 32) {
        error = pn + " has no 32-byte SHA-256";
        return false;
      }
      if (piece->offset() > UINT64_MAX - piece->length() ||
          __builtin_add_overflow(total, piece->length(), &total)) {
        error = pn + ": offset + length overflows";
        return false;
      }
    }
    if (total != weight->length()) {
      error = wn + ": its pieces hold " + std::to_string(total) + " bytes, its shape needs " +
              std::to_string(weight->length());
      return false;
    }
  }
  return true;
}

/// Checks what the FlatBuffer verifier cannot: that every index points inside
/// its table and every extent and executable is well formed.
bool checkReferences(const Artifact& a, std::string& error) {
  if (!checkWeights(a, error)) return false;
  const int numWeights = a.weights() ? static_cast<int>(a.weights()->size()) : 0;
  const int numKernels = a.kernels() ? static_cast<int>(a.kernels()->size()) : 0;
  for (int k = 0; k < numKernels; ++k) {
    const Kernel* kernel = a.kernels()->Get(k);
    if (!kernel->name() || kernel->name()->size() == 0) {
      error = "kernel " + std::to_string(k) + " has no name";
      return false;
    }
    if (kernel->num_bindings() < 0) {
      error = "kernel '" + kernel->name()->str() + "' has a negative binding count";
      return false;
    }
    const int declared = kernel->bindings() ? static_cast<int>(kernel->bindings()->size()) : 0;
    if (declared != kernel->num_bindings()) {
      error = "kernel '" + kernel->name()->str() + "' declares " + std::to_string(declared) + " of its " +
              std::to_string(kernel->num_bindings()) + " bindings";
      return false;
    }
    for (int i = 0; i < declared; ++i) {
      const KernelBinding* b = kernel->bindings()->Get(i);
      if (b->element_type() < ElementType_MIN || b->element_type() > ElementType_MAX || !b->shape() ||
          reinterpret_cast<uintptr_t>(b->shape()->data()) % alignof(Extent) != 0) {
        error = "kernel '" + kernel->name()->str() + "' has a malformed binding";
        return false;
      }
    }
  }
  if (!a.functions() || a.functions()->size() == 0) {
    error = "artifact has no functions";
    return false;
  }
  for (const Function* f : *a.functions()) {
    if (!f->name()) {
      error = "a function has no name";
      return false;
    }
    const std::string fn = "function '" + f->name()->str() + "': ";
    const int numDims = f->dim_names() ? static_cast<int>(f->dim_names()->size()) : 0;
    const int numBuffers = f->buffers() ? static_cast<int>(f->buffers()->size()) : 0;
    for (int b = 0; b < numBuffers; ++b) {
      const Buffer* buf = f->buffers()->Get(b);
      const std::string bn = fn + "buffer " + std::to_string(b) + ": ";
      if (buf->element_type() < ElementType_MIN || buf->element_type() > ElementType_MAX) {
        error = bn + "unknown element type";
        return false;
      }
      if (buf->kind() < BufferKind_MIN || buf->kind() > BufferKind_MAX) {
        error = bn + "unknown buffer kind";
        return false;
      }
      if (!buf->shape()) {
        if (buf->kind() != BufferKind_weight) continue;
        error = bn + "a weight without a shape";
        return false;
      }
      // The verifier checks a vector's length field, not that its 8-byte
      // structs are aligned for reading in place.
      if (reinterpret_cast<uintptr_t>(buf->shape()->data()) % alignof(Extent) != 0) {
        error = bn + "misaligned shape";
        return false;
      }
      for (const Extent* e : *buf->shape()) {
        if (e->dim() >= numDims || (e->dim() < 0 && e->static_size() < 0) ||
            (e->dim() >= 0 && e->factor() <= 0)) {
          error = bn + "malformed extent";
          return false;
        }
      }
      if (buf->kind() != BufferKind_weight) continue;
      // A weight buffer is exactly the weight it names.
      if (buf->index() < 0 || buf->index() >= numWeights) {
        error = bn + "names weight " + std::to_string(buf->index()) + " of " + std::to_string(numWeights);
        return false;
      }
      const Weight* weight = a.weights()->Get(buf->index());
      bool same = buf->element_type() == weight->element_type() && buf->shape()->size() == weight->shape()->size();
      for (size_t i = 0; same && i < buf->shape()->size(); ++i)
        same = buf->shape()->Get(i)->dim() < 0 && buf->shape()->Get(i)->static_size() == weight->shape()->Get(i);
      if (!same) {
        error = bn + "is " + describe(buf->element_type(), buf->shape(), f) + ", but weight '" +
                weight->name()->str() + "' is another type or shape";
        return false;
      }
    }
    if (!f->dispatches()) continue;
    for (const Dispatch* d : *f->dispatches()) {
      if (d->kernel() < 0 || d->kernel() >= numKernels) {
        error = fn + "dispatch names kernel " + std::to_string(d->kernel()) +
                " of " + std::to_string(numKernels);
        return false;
      }
      const Kernel* kernel = a.kernels()->Get(d->kernel());
      const int numBindings = d->bindings() ? static_cast<int>(d->bindings()->size()) : 0;
      if (numBindings != kernel->num_bindings()) {
        error = fn + "dispatch of '" + kernel->name()->str() + "' binds " +
                std::to_string(numBindings) + " buffers, kernel takes " +
                std::to_string(kernel->num_bindings());
        return false;
      }
      for (int i = 0; i < numBindings; ++i) {
        int b = d->bindings()->Get(i);
        if (b < 0 || b >= numBuffers) {
          error = fn + "dispatch of '" + kernel->name()->str() + "' binds buffer " +
                  std::to_string(b) + " of " + std::to_string(numBuffers);
          return false;
        }
        // The buffer must be what the kernel's code indexes.
        const Buffer* buf = f->buffers()->Get(b);
        const KernelBinding* want = kernel->bindings()->Get(i);
        if (buf->element_type() != want->element_type() || !sameShape(buf->shape(), want->shape())) {
          error = fn + "dispatch of '" + kernel->name()->str() + "' binds buffer " + std::to_string(b) + " (" +
                  (buf->name() ? buf->name()->str() : "") + ", " + describe(buf->element_type(), buf->shape(), f) +
                  ") as binding " + std::to_string(i) + ", which the kernel declares " +
                  describe(want->element_type(), want->shape(), f);
          return false;
        }
      }
      const Extent* w = d->workload();
      if (!w || w->dim() >= numDims || (w->dim() < 0 && w->static_size() < 0) || (w->dim() >= 0 && w->factor() <= 0)) {
        error = fn + "dispatch of '" + kernel->name()->str() + "' has " + (w ? "a malformed" : "no") + " workload";
        return false;
      }
    }
  }
  if (a.executables()) {
    for (size_t i = 0; i < a.executables()->size(); ++i) {
      const Executable* exe = a.executables()->Get(i);
      const std::string en = "executable " + std::to_string(i) + ": ";
      if (!exe->format() || exe->format()->size() == 0) {
        error = en + "has no format";
        return false;
      }
      if (!exe->data() || exe->data()->size() == 0) {
        error = en + "(" + exe->format()->str() + ") has no data";
        return false;
      }
      const size_t numLaunches = exe->launches() ? exe->launches()->size() : 0;
      if (numLaunches != static_cast<size_t>(numKernels)) {
        error = en + "(" + exe->format()->str() + ") has " + std::to_string(numLaunches) + " kernel launches for " +
                std::to_string(numKernels) + " kernels";
        return false;
      }
      for (size_t k = 0; k < numLaunches; ++k) {
        const KernelLaunch* l = exe->launches()->Get(k);
        if (l->workgroups() < 0 || l->tile() < 0) {
          error = en + "(" + exe->format()->str() + ") kernel '" + a.kernels()->Get(k)->name()->str() +
                  "' has a negative workgroup count or tile";
          return false;
        }
      }
      if (exe->requirements())
        for (const flatbuffers::String* r : *exe->requirements())
          if (r->size() == 0) {
            error = en + "(" + exe->format()->str() + ") lists an empty requirement";
            return false;
          }
    }
  }
  return true;
}

}  // namespace

uint64_t fnv1a64(const uint8_t* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < size; ++i) {
    h ^= data[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::vector<uint8_t> wrapArtifact(const uint8_t* payload, size_t size) {
  std::vector<uint8_t> out(kHeaderSize + size);
  std::memcpy(out.data(), kMagic, sizeof(kMagic));
  putLE(out.data() + 8, kSchemaVersion, 4);
  putLE(out.data() + 12, kHeaderSize, 4);
  putLE(out.data() + 16, size, 8);
  putLE(out.data() + 24, fnv1a64(payload, size), 8);
  if (size) std::memcpy(out.data() + kHeaderSize, payload, size);
  return out;
}

uint64_t declaredArtifactSize(const uint8_t* data, size_t size) {
  if (size < kHeaderSize || std::memcmp(data, kMagic, sizeof(kMagic)) != 0) return 0;
  const uint64_t payload = getLE(data + 16, 8);
  return payload > UINT64_MAX - kHeaderSize ? 0 : payload + kHeaderSize;
}

StatusOr<const Artifact*> verifyArtifact(const uint8_t* data, size_t size, const std::string& what) {
  // A signature block after the declared bytes is not payload (checkSignature
  // reads it); any other trailing byte is padding, refused below.
  size = unsignedSize(data, size);
  if (size < sizeof(kMagic) || std::memcmp(data, kMagic, sizeof(kMagic)) != 0)
    return invalidArgument(what + ": not a hexmoe artifact (bad magic or shorter than the " +
                           std::to_string(kHeaderSize) + "-byte header)");
  if (size < kHeaderSize)
    return dataLoss(what + ": shorter than the " + std::to_string(kHeaderSize) + "-byte header (truncated)");
  const uint64_t version = getLE(data + 8, 4);
  if (version != kSchemaVersion)
    return failedPrecondition(what + ": artifact schema version " + std::to_string(version) +
                              ", this runtime reads version " + std::to_string(kSchemaVersion) +
                              "; recompile it with a matching hexmoe-compile");
  const uint64_t headerSize = getLE(data + 12, 4);
  const uint64_t payloadSize = getLE(data + 16, 8);
  if (headerSize != kHeaderSize)
    return dataLoss(what + ": header size " + std::to_string(headerSize) + ", expected " +
                    std::to_string(kHeaderSize));
  if (payloadSize != size - kHeaderSize)
    return dataLoss(what + ": header says " + std::to_string(payloadSize) + " payload bytes, file has " +
                    std::to_string(size - kHeaderSize) + " (truncated or padded)");
  const uint8_t* payload = data + kHeaderSize;
  if (fnv1a64(payload, payloadSize) != getLE(data + 24, 8))
    return dataLoss(what + ": checksum mismatch (the file is corrupted)");
  if (reinterpret_cast<uintptr_t>(payload) % 8 != 0)
    return dataLoss(what + ": payload is not 8-byte aligned in memory");
  if (!ArtifactBufferHasIdentifier(payload))
    return dataLoss(what + ": payload lacks the HXM1 file identifier");
  flatbuffers::Verifier verifier(payload, payloadSize);
  if (!VerifyArtifactBuffer(verifier)) return dataLoss(what + ": FlatBuffer verification failed");
  const Artifact* artifact = GetArtifact(payload);
  std::string detail;
  if (!checkReferences(*artifact, detail)) return dataLoss(what + ": " + detail);
  return artifact;
}

}  // namespace hexmoe::schema
