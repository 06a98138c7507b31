// Helpers shared by the tokenizer tests: reading fixture files.
#ifndef HEXMOE_TESTS_UNIT_MODELS_TOKENIZER_TEST_UTIL_H_
#define HEXMOE_TESTS_UNIT_MODELS_TOKENIZER_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>

namespace hexmoe::tokenizer::testing {

inline std::string fixturePath(const std::string& name) { return std::string(HEXMOE_TOKENIZER_FIXTURES) + "/" + name; }

/// The whole file, or "" when it cannot be read.
inline std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace hexmoe::tokenizer::testing

#endif  // HEXMOE_TESTS_UNIT_MODELS_TOKENIZER_TEST_UTIL_H_
