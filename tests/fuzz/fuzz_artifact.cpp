// Fuzz target: everything the loader does with an artifact's bytes before
// any device code is mapped: the signature block, the container header and
// checksum, the FlatBuffer verifier and cross-references, the launch plans
// (functions, buffers, dims), and the CPU driver's checks of each embedded
// shared object before dlopen.
//
// Each input is tried as it is, and again with its header repaired (magic,
// version, sizes and checksum recomputed), so mutations reach the FlatBuffer
// instead of all failing the checksum.
#include <cstdint>
#include <cstring>
#include <vector>

#include "artifact_generated.h"
#include "runtime/core/module.h"
#include "runtime/core/runtime.h"
#include "runtime/drivers/cpu/shared_object.h"
#include "runtime/schema/artifact_file.h"
#include "runtime/schema/artifact_signature.h"

namespace {

hexmoe::Ref<hexmoe::Runtime> fuzzRuntime() {
  static hexmoe::Ref<hexmoe::Runtime> runtime = [] {
    hexmoe::RuntimeOptions options;
    options.driverOptions["cpu"]["threads"] = "1";
    options.logLevel = hexmoe::LogLevel::kOff;
    hexmoe::StatusOr<hexmoe::Ref<hexmoe::Runtime>> rt = hexmoe::Runtime::create(options);
    if (!rt.ok()) __builtin_trap();
    return *rt;
  }();
  return runtime;
}

void tryLoad(const std::vector<uint8_t>& bytes) {
  hexmoe::StatusOr<hexmoe::Ref<hexmoe::Module>> module =
      hexmoe::Module::readDescription(fuzzRuntime(), bytes.data(), bytes.size(), "fuzz.hxm");
  if (!module.ok()) {
    if (module.status().message().empty()) __builtin_trap();  // every error says what is wrong
    return;
  }
  // What a verified artifact promises: each function's signature is printable
  // and each executable's data can be given to the ELF checks.
  for (const auto& f : (*module)->functions())
    if (f->signature().empty()) __builtin_trap();
  const size_t body = hexmoe::schema::unsignedSize(bytes.data(), bytes.size());
  hexmoe::StatusOr<const hexmoe::schema::Artifact*> artifact =
      hexmoe::schema::verifyArtifact(bytes.data(), body, "fuzz.hxm");
  if (!artifact.ok()) __builtin_trap();  // readDescription accepted these bytes
  if ((*artifact)->executables())
    for (const hexmoe::schema::Executable* exe : *(*artifact)->executables())
      (void)hexmoe::hal::cpu::SharedObject::checkImage(exe->data()->data(), exe->data()->size(), "fuzz.hxm");
}

void putLE(uint8_t* p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  tryLoad(bytes);
  if (size < hexmoe::schema::kHeaderSize) return 0;
  static const char kMagic[8] = {'H', 'E', 'X', 'M', 'O', 'E', '\0', 'A'};
  std::memcpy(bytes.data(), kMagic, 8);
  putLE(bytes.data() + 8, hexmoe::schema::kSchemaVersion, 4);
  putLE(bytes.data() + 12, hexmoe::schema::kHeaderSize, 4);
  const size_t payload = size - hexmoe::schema::kHeaderSize;
  putLE(bytes.data() + 16, payload, 8);
  putLE(bytes.data() + 24, hexmoe::schema::fnv1a64(bytes.data() + hexmoe::schema::kHeaderSize, payload), 8);
  tryLoad(bytes);
  return 0;
}
