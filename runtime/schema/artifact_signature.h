// Artifact signatures: who compiled this code, checked before it is loaded.
//
// An artifact carries native code, so loading one means trusting its author,
// as loading a shared library does. A signed artifact ends with one block
// after the bytes its header declares:
//
//   offset  size  field
//   0       8     magic "HXMSIG\0\1"
//   8       32    the signer's Ed25519 public key
//   40      64    Ed25519 signature of kSignatureContext + SHA-512(header + payload)
//
// The signature covers the header (sizes, version, checksum) and the whole
// payload, so no byte the loader reads can change without breaking it. Keys
// are Ed25519 (libsodium). Key files are one line of text:
//
//   hexmoe-ed25519-public-key <64 hex digits>
//   hexmoe-ed25519-secret-key <128 hex digits: seed, then public key>
//
// Shared by the compiler (signing) and the runtime (checking).
#ifndef HEXMOE_SCHEMA_ARTIFACT_SIGNATURE_H_
#define HEXMOE_SCHEMA_ARTIFACT_SIGNATURE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/status.h"

namespace hexmoe::schema {

inline constexpr size_t kSignatureBlockSize = 8 + 32 + 64;

struct PublicKey {
  std::array<uint8_t, 32> bytes{};
  /// The 64 hex digits.
  std::string hex() const;
  /// "ed25519:1a2b3c4d", the first 8 hex digits, for messages.
  std::string id() const;
  bool operator==(const PublicKey& other) const { return bytes == other.bytes; }
};

struct SecretKey {
  /// libsodium's layout: the 32-byte seed, then the public key.
  std::array<uint8_t, 64> bytes{};
  PublicKey publicKey() const;
};

/// A new key pair from the system's random source.
StatusOr<SecretKey> generateKey();

/// The key files' one line, with its newline.
std::string formatPublicKey(const PublicKey& key);
std::string formatSecretKey(const SecretKey& key);

/// A public key from its key file's line or its 64 hex digits alone. `what`
/// names the source in errors.
StatusOr<PublicKey> parsePublicKey(const std::string& text, const std::string& what);
StatusOr<SecretKey> parseSecretKey(const std::string& text, const std::string& what);

/// `spec` is a public key (its line or 64 hex digits) or the path of a public
/// key file.
StatusOr<PublicKey> loadPublicKey(const std::string& spec);
/// Reads a secret key file; refuses one that its group or others may read.
StatusOr<SecretKey> loadSecretKey(const std::string& path);
/// Writes a key pair: `path` (the secret key, mode 0600, refused if it
/// exists) and `path`.pub. Returns the public key.
StatusOr<PublicKey> writeKeyPair(const std::string& path);

/// The artifact's own length: `size` less the signature block when one
/// follows the bytes the header declares.
size_t unsignedSize(const uint8_t* data, size_t size);

/// The artifact with a signature block by `key` (replacing one it had).
/// InvalidArgument if the bytes are not an artifact of the size they declare.
StatusOr<std::vector<uint8_t>> signArtifact(const uint8_t* data, size_t size, const SecretKey& key,
                                            const std::string& what);

/// The signer of an artifact, or nullopt when it is not signed. A signature
/// that does not match the bytes (edited after signing) is DataLoss, whatever
/// the trust policy. `what` names the artifact in errors.
StatusOr<std::optional<PublicKey>> checkSignature(const uint8_t* data, size_t size, const std::string& what);

/// A trust policy: with no keys, any artifact loads; with keys, only one
/// signed by one of them. PermissionDenied names the signer (or its absence)
/// and the trusted keys.
Status checkTrusted(const std::optional<PublicKey>& signer, const std::vector<PublicKey>& trusted,
                    const std::string& what);

}  // namespace hexmoe::schema

#endif  // HEXMOE_SCHEMA_ARTIFACT_SIGNATURE_H_
