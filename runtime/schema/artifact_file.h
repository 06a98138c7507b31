// The artifact container: a fixed header, then one FlatBuffer (artifact.fbs).
//
//   offset  size  field
//   0       8     magic "HEXMOE\0A"
//   8       4     schema version (little-endian u32), kSchemaVersion
//   12      4     header size in bytes (32)
//   16      8     payload size in bytes
//   24      8     FNV-1a 64 checksum of the payload
//
// Shared by the compiler (writer) and the runtime (reader); depends on the
// base library (Status) and the generated schema.
#ifndef HEXMOE_SCHEMA_ARTIFACT_FILE_H_
#define HEXMOE_SCHEMA_ARTIFACT_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace hexmoe::schema {

struct Artifact;

inline constexpr uint32_t kSchemaVersion = 5;
inline constexpr size_t kHeaderSize = 32;

/// FNV-1a, 64-bit, over `size` bytes.
uint64_t fnv1a64(const uint8_t* data, size_t size);

/// Prepends the container header to a finished FlatBuffer.
std::vector<uint8_t> wrapArtifact(const uint8_t* payload, size_t size);

/// The whole file size (header + payload) that the header at `data` declares,
/// or 0 when these bytes do not start an artifact header. A reader of a
/// stream reads no more than this (and one byte, to see padding).
uint64_t declaredArtifactSize(const uint8_t* data, size_t size);

/// Checks the header, sizes, checksum, file identifier and the FlatBuffer
/// verifier, then the cross-references the runtime relies on (kernel and
/// buffer indices, extents, executables), and returns the root. Errors name
/// `what` (a path) and what is wrong: InvalidArgument for a file that is not an
/// artifact, FailedPrecondition for a schema version this code does not read
/// (recompiling fixes it), DataLoss for a damaged or inconsistent one.
StatusOr<const Artifact*> verifyArtifact(const uint8_t* data, size_t size, const std::string& what);

}  // namespace hexmoe::schema

#endif  // HEXMOE_SCHEMA_ARTIFACT_FILE_H_
