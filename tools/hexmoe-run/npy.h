// NumPy .npy files (format versions 1, 2 and 3), little-endian, C order.
//
// Reads and writes the dtypes hexmoe-run needs: <f4, <f8, <i4, <i8 and <u2
// (raw bf16 bits). Anything else (big-endian, Fortran order, structured or
// object dtypes, a truncated file) is an error that says what was found.
//
// Files are untrusted input: the header is read no further than its length
// field allows (at most kNpyMaxHeaderBytes), and the data no further than
// the shape declares, once checkTensorBytes accepts that shape.
#ifndef HEXMOE_TOOLS_HEXMOE_RUN_NPY_H_
#define HEXMOE_TOOLS_HEXMOE_RUN_NPY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hexmoe::tools {

/// More dimensions than numpy (NPY_MAXDIMS) or any hexmoe argument has.
inline constexpr size_t kMaxTensorRank = 64;
/// numpy's own default max_header_size for np.load.
inline constexpr size_t kNpyMaxHeaderBytes = 10000;

/// The largest tensor hexmoe-run reads or builds: this host's physical memory,
/// or a lower cap set for this process (the fuzz targets set 64 MiB so every
/// input stays fast; 0 restores the default).
size_t maxTensorBytes();
void setMaxTensorBytes(size_t bytes);

/// The one check on a shape read from untrusted input, made before anything
/// is allocated: sets `bytes` to the product of the extents times `itemSize`,
/// or returns false with `error` saying what is wrong (for the caller to put
/// after its own text of the shape): more than kMaxTensorRank dimensions, a
/// negative extent, a product that overflows, or more than maxTensorBytes().
bool checkTensorBytes(const std::vector<int64_t>& shape, size_t itemSize, size_t& bytes, std::string& error);

enum class NpyDType { kF4, kF8, kI4, kI8, kU2 };

/// "<f4", ...
const char* npyDescr(NpyDType dtype);
size_t npyItemSize(NpyDType dtype);

struct NpyArray {
  NpyDType dtype = NpyDType::kF4;
  std::vector<int64_t> shape;  // empty: a scalar
  std::vector<uint8_t> data;   // little-endian, C order

  int64_t elementCount() const;
};

/// Parses a whole .npy file held in memory; on failure returns false and
/// sets `error` (without the file name).
bool parseNpy(const uint8_t* bytes, size_t size, NpyArray& out, std::string& error);
/// Reads a .npy file (or a pipe, or a device: it stops at the size the header
/// declares and refuses more); errors start with the path.
bool readNpy(const std::string& path, NpyArray& out, std::string& error);

/// A version 1.0 file (2.0 if the header needs it), header padded to 64 bytes.
std::vector<uint8_t> encodeNpy(const NpyArray& array);
bool writeNpy(const std::string& path, const NpyArray& array, std::string& error);

}  // namespace hexmoe::tools

#endif  // HEXMOE_TOOLS_HEXMOE_RUN_NPY_H_
