// Helpers for tests that go through the C API: owned handles, status checks.
#ifndef HEXMOE_TESTS_UNIT_RUNTIME_RUNTIME_TEST_UTIL_H_
#define HEXMOE_TESTS_UNIT_RUNTIME_RUNTIME_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hexmoe/hexmoe.hpp"
#include "tests/unit/runtime/test_artifact.h"

namespace hexmoe::test {

/// A status taken out of the C API (and freed).
struct Result {
  hexmoe_status_code_t code = HEXMOE_STATUS_OK;
  std::string message;
  bool ok() const { return code == HEXMOE_STATUS_OK; }
};

inline Result take(hexmoe_status_t s) {
  Result r{hexmoe_status_code(s), hexmoe_status_message(s)};
  hexmoe_status_free(s);
  return r;
}

#define HEXMOE_EXPECT_OK(expr)                               \
  do {                                                       \
    ::hexmoe::test::Result r_ = ::hexmoe::test::take(expr);  \
    EXPECT_TRUE(r_.ok()) << #expr << ": " << r_.message;     \
  } while (0)
#define HEXMOE_ASSERT_OK(expr)                               \
  do {                                                       \
    ::hexmoe::test::Result r_ = ::hexmoe::test::take(expr);  \
    ASSERT_TRUE(r_.ok()) << #expr << ": " << r_.message;     \
  } while (0)

using hexmoe::api::TensorPtr;
using hexmoe::api::ModulePtr;
using hexmoe::api::RuntimePtr;

struct RuntimeConfig {
  int threads = 2;
  const char* cpuFeatures = nullptr;
  const char* cpuVariant = nullptr;
  hexmoe_allocator_t allocator{};
  const char* trustedKeys = nullptr;
};

inline RuntimePtr makeRuntime(const RuntimeConfig& config = {}) {
  hexmoe_runtime_options_t options;
  hexmoe_runtime_options_init(&options);
  options.threads = config.threads;
  options.cpu_features = config.cpuFeatures;
  options.cpu_variant = config.cpuVariant;
  options.allocator = config.allocator;
  options.trusted_keys = config.trustedKeys;
  hexmoe_runtime_t* runtime = nullptr;
  Result r = take(hexmoe_runtime_create(&options, &runtime));
  EXPECT_TRUE(r.ok()) << r.message;
  return RuntimePtr(runtime);
}

/// Loads `bytes` into `runtime`; the Result says why not.
inline Result loadModule(hexmoe_runtime_t* runtime, const std::vector<uint8_t>& bytes, ModulePtr& out,
                         const char* name = "test.hxm") {
  hexmoe_module_t* module = nullptr;
  Result r = take(hexmoe_module_load_memory(runtime, bytes.data(), bytes.size(), name, &module));
  out.reset(module);
  return r;
}

inline hexmoe_function_t* lookup(hexmoe_module_t* module, const char* name) {
  hexmoe_function_t* fn = nullptr;
  Result r = take(hexmoe_module_lookup_function(module, name, &fn));
  EXPECT_TRUE(r.ok()) << r.message;
  return fn;
}

template <typename T>
TensorPtr makeTensor(hexmoe_runtime_t* runtime, hexmoe_element_type_t type, std::vector<int64_t> shape,
                     const std::vector<T>& values) {
  hexmoe_tensor_t* buffer = nullptr;
  Result r = take(hexmoe_tensor_create(runtime, type, shape.size(), shape.data(),
                                       values.empty() ? nullptr : values.data(), &buffer));
  EXPECT_TRUE(r.ok()) << r.message;
  return TensorPtr(buffer);
}

template <typename T>
std::vector<T> contents(hexmoe_tensor_t* buffer) {
  std::vector<T> out(static_cast<size_t>(hexmoe_tensor_element_count(buffer)));
  Result r = take(hexmoe_tensor_read(buffer, out.data(), out.size() * sizeof(T)));
  EXPECT_TRUE(r.ok()) << r.message;
  return out;
}

inline std::vector<int64_t> shapeOf(const hexmoe_tensor_t* b) {
  return std::vector<int64_t>(hexmoe_tensor_shape(b), hexmoe_tensor_shape(b) + hexmoe_tensor_rank(b));
}

/// Runs a function with results allocated by the runtime.
inline Result invoke(hexmoe_function_t* fn, const std::vector<hexmoe_tensor_t*>& inputs,
                     std::vector<TensorPtr>& results) {
  std::vector<hexmoe_tensor_t*> outputs(hexmoe_function_result_count(fn), nullptr);
  Result r = take(hexmoe_function_invoke(fn, inputs.data(), inputs.size(), outputs.data(), outputs.size()));
  results.clear();
  for (hexmoe_tensor_t* b : outputs) results.emplace_back(b);
  return r;
}

/// The tag of the kernel build that runs `variant()` in this module.
inline int variantTag(hexmoe_module_t* module) {
  std::vector<TensorPtr> results;
  Result r = invoke(lookup(module, "variant"), {}, results);
  EXPECT_TRUE(r.ok()) << r.message;
  if (!r.ok()) return -1;
  return contents<int32_t>(results[0].get())[0];
}

/// Loads from a pipe that `bytes` are written into (what cannot be mapped).
inline Result loadFromPipe(hexmoe_runtime_t* runtime, const std::vector<uint8_t>& bytes, ModulePtr& out) {
  std::signal(SIGPIPE, SIG_IGN);  // the loader may close the pipe before the writer is done
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = write(fds[1], bytes.data() + done, bytes.size() - done);
      if (n <= 0) break;  // the reader stopped early
      done += static_cast<size_t>(n);
    }
    close(fds[1]);
  });
  hexmoe_module_t* module = nullptr;
  const std::string path = "/proc/self/fd/" + std::to_string(fds[0]);
  Result r = take(hexmoe_module_load_file(runtime, path.c_str(), &module));
  close(fds[0]);
  writer.join();
  out.reset(module);
  return r;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace hexmoe::test

#endif  // HEXMOE_TESTS_UNIT_RUNTIME_RUNTIME_TEST_UTIL_H_
