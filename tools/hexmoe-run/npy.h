// NumPy .npy files (format versions 1, 2 and 3), little-endian, C order.
//
// Reads and writes the dtypes hexmoe-run needs: <f4, <f8, <i4, <i8 and <u2
// (raw bf16 bits). Anything else (big-endian, Fortran order, structured or
// object dtypes, a truncated file) is an error that says what was found.
#ifndef HEXMOE_TOOLS_HEXMOE_RUN_NPY_H_
#define HEXMOE_TOOLS_HEXMOE_RUN_NPY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hexmoe::tools {

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
/// Reads a .npy file; errors start with the path.
bool readNpy(const std::string& path, NpyArray& out, std::string& error);

/// A version 1.0 file (2.0 if the header needs it), header padded to 64 bytes.
std::vector<uint8_t> encodeNpy(const NpyArray& array);
bool writeNpy(const std::string& path, const NpyArray& array, std::string& error);

}  // namespace hexmoe::tools

#endif  // HEXMOE_TOOLS_HEXMOE_RUN_NPY_H_
