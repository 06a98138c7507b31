// Ed25519 artifact signatures and key files, through libsodium.
#include "runtime/schema/artifact_signature.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/schema/artifact_file.h"

namespace hexmoe::schema {
namespace {

constexpr char kSignatureMagic[8] = {'H', 'X', 'M', 'S', 'I', 'G', '\0', '\1'};
/// Signed with the digest, so a key that signs artifacts signs nothing else
/// by accident.
constexpr char kSignatureContext[] = "hexmoe artifact signature v1\n";
constexpr char kPublicKeyTag[] = "hexmoe-ed25519-public-key";
constexpr char kSecretKeyTag[] = "hexmoe-ed25519-secret-key";
/// Key files are one short line; a larger file is not a key.
constexpr size_t kMaxKeyFile = 4096;

static_assert(crypto_sign_PUBLICKEYBYTES == 32 && crypto_sign_SECRETKEYBYTES == 64 && crypto_sign_BYTES == 64,
              "the signature block's layout");

Status initSodium() {
  // Thread-safe and idempotent; fails only when no random source exists.
  if (sodium_init() < 0) return internalError("libsodium failed to initialise (no system random source?)");
  return okStatus();
}

std::string toHex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Exactly 2*n hex digits into `out`.
bool fromHex(const std::string& s, uint8_t* out, size_t n) {
  if (s.size() != 2 * n) return false;
  for (size_t i = 0; i < n; ++i) {
    const int hi = hexDigit(s[2 * i]), lo = hexDigit(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

/// "<tag> <hex>" (or the hex alone when `bareAllowed`) → its bytes.
bool parseKeyLine(const std::string& text, const char* tag, bool bareAllowed, uint8_t* out, size_t n) {
  std::string line = trim(text);
  const std::string prefix = std::string(tag) + " ";
  if (line.compare(0, prefix.size(), prefix) == 0)
    line = trim(line.substr(prefix.size()));
  else if (!bareAllowed)
    return false;
  return fromHex(line, out, n);
}

/// A small file's text: at most kMaxKeyFile bytes, a regular file.
StatusOr<std::string> readKeyFile(const std::string& path, struct stat* st) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errnoStatus(errno, path);
  if (::fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
    ::close(fd);
    return invalidArgument(path + ": not a key file (not a regular file)");
  }
  std::string text(kMaxKeyFile + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = errnoStatus(errno, path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (got > kMaxKeyFile)
    return invalidArgument(path + ": not a key file (larger than " + std::to_string(kMaxKeyFile) + " bytes)");
  text.resize(got);
  return text;
}

/// What is signed: the context string and the SHA-512 of the artifact's bytes.
std::vector<uint8_t> signedMessage(const uint8_t* data, size_t size) {
  std::vector<uint8_t> msg(sizeof(kSignatureContext) - 1 + crypto_hash_sha512_BYTES);
  std::memcpy(msg.data(), kSignatureContext, sizeof(kSignatureContext) - 1);
  crypto_hash_sha512(msg.data() + sizeof(kSignatureContext) - 1, data, size);
  return msg;
}

}  // namespace

std::string PublicKey::hex() const { return toHex(bytes.data(), bytes.size()); }
std::string PublicKey::id() const { return "ed25519:" + hex().substr(0, 8); }

PublicKey SecretKey::publicKey() const {
  PublicKey pk;
  std::memcpy(pk.bytes.data(), bytes.data() + 32, 32);
  return pk;
}

StatusOr<SecretKey> generateKey() {
  HEXMOE_RETURN_IF_ERROR(initSodium());
  SecretKey sk;
  PublicKey pk;
  crypto_sign_keypair(pk.bytes.data(), sk.bytes.data());
  return sk;
}

std::string formatPublicKey(const PublicKey& key) { return std::string(kPublicKeyTag) + " " + key.hex() + "\n"; }

std::string formatSecretKey(const SecretKey& key) {
  return std::string(kSecretKeyTag) + " " + toHex(key.bytes.data(), key.bytes.size()) + "\n";
}

StatusOr<PublicKey> parsePublicKey(const std::string& text, const std::string& what) {
  PublicKey key;
  if (!parseKeyLine(text, kPublicKeyTag, /*bareAllowed=*/true, key.bytes.data(), key.bytes.size()))
    return invalidArgument(what + ": not a public key (want '" + kPublicKeyTag +
                           " <64 hex digits>' or the 64 hex digits, as hexmoe-compile --generate-key writes)");
  return key;
}

StatusOr<SecretKey> parseSecretKey(const std::string& text, const std::string& what) {
  SecretKey key;
  if (!parseKeyLine(text, kSecretKeyTag, /*bareAllowed=*/false, key.bytes.data(), key.bytes.size()))
    return invalidArgument(what + ": not a secret key (want '" + kSecretKeyTag +
                           " <128 hex digits>', as hexmoe-compile --generate-key writes)");
  // The public half must be the seed's: a file edited by hand is refused
  // here rather than producing signatures nobody can check.
  HEXMOE_RETURN_IF_ERROR(initSodium());
  PublicKey derived;
  SecretKey rebuilt;
  crypto_sign_seed_keypair(derived.bytes.data(), rebuilt.bytes.data(), key.bytes.data());
  sodium_memzero(rebuilt.bytes.data(), rebuilt.bytes.size());
  if (!(derived == key.publicKey()))
    return invalidArgument(what + ": damaged secret key (its public half does not match its seed)");
  return key;
}

StatusOr<PublicKey> loadPublicKey(const std::string& spec) {
  // A key given inline is 64 hex digits, alone or after the tag; anything
  // else is a path.
  if (StatusOr<PublicKey> inline_ = parsePublicKey(spec, spec); inline_.ok()) return inline_;
  struct stat st;
  StatusOr<std::string> text = readKeyFile(spec, &st);
  if (text.status().code() == StatusCode::kNotFound)
    return notFound(spec + ": neither a public key (64 hex digits) nor a key file that exists");
  if (!text.ok()) return std::move(text).status();
  return parsePublicKey(*text, spec);
}

StatusOr<SecretKey> loadSecretKey(const std::string& path) {
  struct stat st;
  HEXMOE_ASSIGN_OR_RETURN(std::string text, readKeyFile(path, &st));
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    return permissionDenied(path + ": the secret key may be read by others (mode " +
                            std::to_string((st.st_mode >> 6) & 7) + std::to_string((st.st_mode >> 3) & 7) +
                            std::to_string(st.st_mode & 7) + "); chmod 600 it");
  return parseSecretKey(text, path);
}

StatusOr<PublicKey> writeKeyPair(const std::string& path) {
  HEXMOE_ASSIGN_OR_RETURN(SecretKey key, generateKey());
  auto write = [](const std::string& file, const std::string& text, mode_t mode) -> Status {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
      if (errno == EEXIST) return failedPrecondition(file + ": exists; not overwriting a key");
      return errnoStatus(errno, file);
    }
    size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        Status s = errnoStatus(errno, file);
        ::close(fd);
        return s;
      }
      done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) return errnoStatus(errno, file);
    return okStatus();
  };
  const std::string pub = path + ".pub";
  struct stat st;
  if (::stat(pub.c_str(), &st) == 0) return failedPrecondition(pub + ": exists; not overwriting a key");
  HEXMOE_RETURN_IF_ERROR(write(path, formatSecretKey(key), 0600));
  HEXMOE_RETURN_IF_ERROR(write(pub, formatPublicKey(key.publicKey()), 0644));
  const PublicKey pk = key.publicKey();
  sodium_memzero(key.bytes.data(), key.bytes.size());
  return pk;
}

size_t unsignedSize(const uint8_t* data, size_t size) {
  const uint64_t declared = declaredArtifactSize(data, size);
  if (declared == 0 || size < kSignatureBlockSize || declared != size - kSignatureBlockSize) return size;
  if (std::memcmp(data + declared, kSignatureMagic, sizeof(kSignatureMagic)) != 0) return size;
  return static_cast<size_t>(declared);
}

StatusOr<std::vector<uint8_t>> signArtifact(const uint8_t* data, size_t size, const SecretKey& key,
                                            const std::string& what) {
  HEXMOE_RETURN_IF_ERROR(initSodium());
  const size_t body = unsignedSize(data, size);
  if (declaredArtifactSize(data, body) != body)
    return invalidArgument(what + ": not a hexmoe artifact of the size its header declares; nothing to sign");
  std::vector<uint8_t> out(body + kSignatureBlockSize);
  std::memcpy(out.data(), data, body);
  uint8_t* block = out.data() + body;
  std::memcpy(block, kSignatureMagic, sizeof(kSignatureMagic));
  std::memcpy(block + 8, key.bytes.data() + 32, 32);
  const std::vector<uint8_t> msg = signedMessage(data, body);
  crypto_sign_detached(block + 40, nullptr, msg.data(), msg.size(), key.bytes.data());
  return out;
}

StatusOr<std::optional<PublicKey>> checkSignature(const uint8_t* data, size_t size, const std::string& what) {
  const size_t body = unsignedSize(data, size);
  if (body == size) return std::optional<PublicKey>();
  HEXMOE_RETURN_IF_ERROR(initSodium());
  PublicKey signer;
  std::memcpy(signer.bytes.data(), data + body + 8, 32);
  const std::vector<uint8_t> msg = signedMessage(data, body);
  if (crypto_sign_verify_detached(data + body + 40, msg.data(), msg.size(), signer.bytes.data()) != 0)
    return dataLoss(what + ": its signature by " + signer.id() +
                    " does not match its contents (changed after it was signed)");
  return std::optional<PublicKey>(signer);
}

Status checkTrusted(const std::optional<PublicKey>& signer, const std::vector<PublicKey>& trusted,
                    const std::string& what) {
  if (trusted.empty()) return okStatus();
  for (const PublicKey& k : trusted)
    if (signer && *signer == k) return okStatus();
  std::string keys;
  for (const PublicKey& k : trusted) keys += (keys.empty() ? "" : ", ") + k.id();
  if (!signer)
    return permissionDenied(what + ": not signed, and this runtime loads only artifacts signed by " + keys +
                            " (hexmoe-compile --sign=KEY)");
  return permissionDenied(what + ": signed by " + signer->id() + ", which this runtime does not trust (it trusts " +
                          keys + ")");
}

}  // namespace hexmoe::schema
