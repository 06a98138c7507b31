// SHA-256 through libsodium.
#include "runtime/schema/weight_digest.h"

#include <sodium.h>

#include <algorithm>

namespace hexmoe::schema {

Sha256 sha256(const uint8_t* data, size_t size) {
  Sha256 out;
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  // In 1 GiB pieces: the length argument is an unsigned long long, but the
  // pieces keep each call's working set small either way.
  constexpr size_t kPiece = size_t{1} << 30;
  for (size_t done = 0; done < size; done += kPiece)
    crypto_hash_sha256_update(&state, data + done, std::min(kPiece, size - done));
  crypto_hash_sha256_final(&state, out.data());
  return out;
}

std::string hexDigest(const uint8_t* digest, size_t size) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < size; ++i) {
    s += kHex[digest[i] >> 4];
    s += kHex[digest[i] & 15];
  }
  return s;
}

}  // namespace hexmoe::schema
