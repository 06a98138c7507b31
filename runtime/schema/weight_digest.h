// SHA-256 of weight bytes: the compiler records it for each checkpoint tensor
// an artifact refers to, the runtime checks it before binding the tensor, so
// a checkpoint changed or swapped since compile time is refused, not run.
#ifndef HEXMOE_SCHEMA_WEIGHT_DIGEST_H_
#define HEXMOE_SCHEMA_WEIGHT_DIGEST_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace hexmoe::schema {

using Sha256 = std::array<uint8_t, 32>;

Sha256 sha256(const uint8_t* data, size_t size);
/// The 64 hex digits.
std::string hexDigest(const uint8_t* digest, size_t size = 32);

}  // namespace hexmoe::schema

#endif  // HEXMOE_SCHEMA_WEIGHT_DIGEST_H_
