// Invoking functions through the C API: results, dims, argument errors,
// provided outputs, allocation reuse, concurrency and buffer handling.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "tests/unit/runtime/runtime_test_util.h"

namespace hexmoe::test {
namespace {

std::vector<float> iota(size_t n, float start, float step = 1.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = start + step * static_cast<float>(i);
  return v;
}

class InvokeTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    RuntimeConfig config;
    config.threads = GetParam();
    rt_ = makeRuntime(config);
    ASSERT_TRUE(loadModule(rt_.get(), buildTestArtifact(), module_).ok());
  }
  hexmoe_function_t* fn(const char* name) { return lookup(module_.get(), name); }
  TensorPtr f32(std::vector<int64_t> shape, const std::vector<float>& v) {
    return makeTensor(rt_.get(), HEXMOE_F32, std::move(shape), v);
  }

  RuntimePtr rt_;
  ModulePtr module_;
};

TEST_P(InvokeTest, AddScaleForManyTokenCounts) {
  // Growing and shrinking T also grows the reused transient.
  for (int64_t T : {2, 0, 1, 7, 64, 3, 300}) {
    SCOPED_TRACE(T);
    const size_t n = static_cast<size_t>(T) * 4;
    std::vector<float> a = iota(n, 0.0f), b = iota(n, 100.0f, 0.5f);
    TensorPtr ba = f32({T, 4}, a), bb = f32({T, 4}, b);
    std::vector<TensorPtr> results;
    Result r = invoke(fn("add_scale"), {ba.get(), bb.get()}, results);
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(shapeOf(results[0].get()), (std::vector<int64_t>{T, 4}));
    std::vector<float> out = contents<float>(results[0].get());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out[i], 2.0f * (a[i] + b[i])) << i;
  }
}

TEST_P(InvokeTest, ProfilingCountsEveryDispatch) {
  hexmoe_function_t* addScale = fn("add_scale");
  ASSERT_EQ(hexmoe_function_dispatch_count(addScale), 2u);
  HEXMOE_ASSERT_OK(hexmoe_function_set_profiling(addScale, 1));
  TensorPtr a = f32({7, 4}, iota(28, 0.0f));
  for (int i = 0; i < 3; ++i) {
    std::vector<TensorPtr> results;
    Result r = invoke(addScale, {a.get(), a.get()}, results);
    ASSERT_TRUE(r.ok()) << r.message;
  }
  // add: ceil(7/2) workgroups; scale2: 2 * ceil(7/4).
  const char* expectedKernel[] = {"hexmoe_test_add", "hexmoe_test_scale2"};
  const int64_t expectedWorkgroups[] = {4, 4};
  for (size_t i = 0; i < 2; ++i) {
    const char* kernel = nullptr;
    int64_t calls = -1, workgroups = -1;
    double seconds = -1;
    HEXMOE_ASSERT_OK(hexmoe_function_dispatch_profile(addScale, i, &kernel, &calls, &workgroups, &seconds));
    EXPECT_STREQ(kernel, expectedKernel[i]);
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(workgroups, 3 * expectedWorkgroups[i]);
    EXPECT_GE(seconds, 0.0);
  }
  Result r = take(hexmoe_function_dispatch_profile(addScale, 2, nullptr, nullptr, nullptr, nullptr));
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(r.message.find("dispatch 2 of 2"), std::string::npos) << r.message;
  // Turning profiling on again starts a fresh count; off stops counting.
  HEXMOE_ASSERT_OK(hexmoe_function_set_profiling(addScale, 0));
  HEXMOE_ASSERT_OK(hexmoe_function_set_profiling(addScale, 1));
  int64_t calls = -1;
  HEXMOE_ASSERT_OK(hexmoe_function_dispatch_profile(addScale, 0, nullptr, &calls, nullptr, nullptr));
  EXPECT_EQ(calls, 0);
}

TEST_P(InvokeTest, DimsAreInferredFromTheArguments) {
  TensorPtr x = f32({3, 3}, iota(9, 1.0f)), y = f32({6}, iota(6, 10.0f)), z = f32({5}, {});
  std::vector<TensorPtr> results;
  Result r = invoke(fn("pair_sum"), {x.get(), y.get(), z.get()}, results);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(contents<int64_t>(results[1].get()), (std::vector<int64_t>{3, 5}));
  // out[t] = x[t,0]+x[t,1]+x[t,2] + y[2t] + y[2t+1]
  EXPECT_EQ(contents<float>(results[0].get()), (std::vector<float>{6 + 21, 15 + 25, 24 + 29}));
}

TEST_P(InvokeTest, ArgumentErrorsNameTheArgument) {
  hexmoe_function_t* pairSum = fn("pair_sum");
  TensorPtr x = f32({3, 3}, {}), z = f32({5}, {});
  std::vector<TensorPtr> results;

  TensorPtr odd = f32({7}, {});
  Result r = invoke(pairSum, {x.get(), odd.get(), z.get()}, results);
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(r.message, "argument 1 (y): expected f32 [2*T], got f32 [7] (7 is not a multiple of 2)");

  TensorPtr disagrees = f32({8}, {});
  r = invoke(pairSum, {x.get(), disagrees.get(), z.get()}, results);
  EXPECT_EQ(r.message, "argument 1 (y): expected f32 [2*T] with T=3 (from argument 0 (x)), got f32 [8]");

  TensorPtr wrongStatic = f32({3, 2}, {}), y = f32({6}, {});
  r = invoke(pairSum, {wrongStatic.get(), y.get(), z.get()}, results);
  EXPECT_EQ(r.message, "argument 0 (x): expected f32 [T,3], got f32 [3,2]");

  TensorPtr wrongRank = f32({9}, {});
  r = invoke(pairSum, {wrongRank.get(), y.get(), z.get()}, results);
  EXPECT_EQ(r.message, "argument 0 (x): expected f32 [T,3], got f32 [9]");

  TensorPtr wrongType = makeTensor<int32_t>(rt_.get(), HEXMOE_I32, {3, 3}, {});
  r = invoke(pairSum, {wrongType.get(), y.get(), z.get()}, results);
  EXPECT_EQ(r.message, "argument 0 (x): expected f32 [T,3], got i32 [3,3]");

  r = invoke(pairSum, {x.get(), y.get()}, results);
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(r.message, "pair_sum: expected 3 inputs, got 2");

  r = invoke(pairSum, {x.get(), nullptr, z.get()}, results);
  EXPECT_EQ(r.message, "argument 1 (y): no tensor given");

  hexmoe_tensor_t* oneSlot[1] = {nullptr};
  hexmoe_tensor_t* inputs[3] = {x.get(), y.get(), z.get()};
  r = take(hexmoe_function_invoke(pairSum, inputs, 3, oneSlot, 1));
  EXPECT_EQ(r.message, "pair_sum: expected 2 output slots, got 1");
  EXPECT_EQ(oneSlot[0], nullptr);
}

TEST_P(InvokeTest, ProvidedOutputsAreWrittenInPlace) {
  hexmoe_function_t* addScale = fn("add_scale");
  TensorPtr a = f32({2, 4}, iota(8, 1.0f)), b = f32({2, 4}, iota(8, 1.0f));
  TensorPtr out = f32({2, 4}, {});
  hexmoe_tensor_t* inputs[2] = {a.get(), b.get()};
  hexmoe_tensor_t* outputs[1] = {out.get()};
  HEXMOE_ASSERT_OK(hexmoe_function_invoke(addScale, inputs, 2, outputs, 1));
  EXPECT_EQ(outputs[0], out.get());
  EXPECT_EQ(contents<float>(out.get()), iota(8, 4.0f, 4.0f));

  TensorPtr wrong = f32({3, 4}, {});
  outputs[0] = wrong.get();
  Result r = take(hexmoe_function_invoke(addScale, inputs, 2, outputs, 1));
  EXPECT_EQ(r.message, "result 0 (out): the output tensor is f32 [3,4], expected f32 [2,4]");

  outputs[0] = a.get();
  r = take(hexmoe_function_invoke(addScale, inputs, 2, outputs, 1));
  EXPECT_EQ(r.message, "result 0 (out): the output tensor is also argument 0 (a)");
}

TEST_P(InvokeTest, EveryWorkgroupRunsExactlyOnce) {
  // coverage(): zero, then +1 per workgroup id (N of them), then x2 after a
  // barrier: every count is 2 when each ran once and dispatches were ordered.
  hexmoe_function_t* coverage = fn("coverage");
  for (int64_t n : {0, 1, 2, 7, 1000, 100003}) {
    SCOPED_TRACE(n);
    TensorPtr x = makeTensor<int32_t>(rt_.get(), HEXMOE_I32, {n}, {});
    for (int repeat = 0; repeat < 3; ++repeat) {
      std::vector<TensorPtr> results;
      Result r = invoke(coverage, {x.get()}, results);
      ASSERT_TRUE(r.ok()) << r.message;
      std::vector<int32_t> counts = contents<int32_t>(results[0].get());
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(counts[i], 2) << "workgroup " << i;
    }
  }
}

TEST_P(InvokeTest, Bf16Arguments) {
  const std::vector<uint16_t> bits = {0x3F80, 0xC020, 0x7F80, 0x0000, 0x4049};
  TensorPtr x = makeTensor(rt_.get(), HEXMOE_BF16, {5}, bits);
  std::vector<TensorPtr> results;
  Result r = invoke(fn("bf16_widen"), {x.get()}, results);
  ASSERT_TRUE(r.ok()) << r.message;
  std::vector<uint32_t> out = contents<uint32_t>(results[0].get());
  for (size_t i = 0; i < bits.size(); ++i) EXPECT_EQ(out[i], static_cast<uint32_t>(bits[i]) << 16);
}

TEST_P(InvokeTest, ConcurrentInvocationsOfOneFunction) {
  hexmoe_function_t* addScale = fn("add_scale");
  std::atomic<int> failures{0};
  auto worker = [&](int64_t T) {
    std::vector<float> a = iota(static_cast<size_t>(T) * 4, static_cast<float>(T));
    TensorPtr ba = f32({T, 4}, a);
    for (int i = 0; i < 100; ++i) {
      std::vector<TensorPtr> results;
      if (!invoke(addScale, {ba.get(), ba.get()}, results).ok()) ++failures;
      else if (contents<float>(results[0].get()) != iota(a.size(), 4.0f * static_cast<float>(T), 4.0f)) ++failures;
    }
  };
  std::thread t1(worker, 5), t2(worker, 33), t3(worker, 1);
  t1.join();
  t2.join();
  t3.join();
  EXPECT_EQ(failures.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Threads, InvokeTest, ::testing::Values(1, 2, 3, 8),
                         [](const ::testing::TestParamInfo<int>& info) { return std::to_string(info.param); });

/// Counts what the runtime allocates through the caller's hooks.
struct CountingAllocator {
  std::atomic<int> allocations{0};
  std::atomic<int> live{0};
  static void* allocate(void* user, size_t size, size_t alignment) {
    auto* self = static_cast<CountingAllocator*>(user);
    ++self->allocations;
    ++self->live;
    return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  }
  static void deallocate(void* user, void* ptr, size_t) {
    --static_cast<CountingAllocator*>(user)->live;
    std::free(ptr);
  }
};

TEST(Invoke, SteadyStateInvocationsAllocateNothing) {
  CountingAllocator counter;
  {
    RuntimeConfig config;
    config.allocator = {&counter, &CountingAllocator::allocate, &CountingAllocator::deallocate};
    RuntimePtr rt = makeRuntime(config);
    ModulePtr module;
    ASSERT_TRUE(loadModule(rt.get(), buildTestArtifact(), module).ok());
    hexmoe_function_t* addScale = lookup(module.get(), "add_scale");
    TensorPtr a = makeTensor(rt.get(), HEXMOE_F32, {64, 4}, iota(256, 0.0f));
    TensorPtr out = makeTensor<float>(rt.get(), HEXMOE_F32, {64, 4}, {});
    TensorPtr small = makeTensor<float>(rt.get(), HEXMOE_F32, {16, 4}, {});
    TensorPtr smallOut = makeTensor<float>(rt.get(), HEXMOE_F32, {16, 4}, {});
    hexmoe_tensor_t* inputs[2] = {a.get(), a.get()};
    hexmoe_tensor_t* outputs[1] = {out.get()};
    HEXMOE_ASSERT_OK(hexmoe_function_invoke(addScale, inputs, 2, outputs, 1));  // allocates the transient
    const int before = counter.allocations.load();
    for (int i = 0; i < 10; ++i) HEXMOE_ASSERT_OK(hexmoe_function_invoke(addScale, inputs, 2, outputs, 1));
    inputs[0] = inputs[1] = small.get();
    outputs[0] = smallOut.get();
    HEXMOE_ASSERT_OK(hexmoe_function_invoke(addScale, inputs, 2, outputs, 1));  // a smaller T reuses it
    EXPECT_EQ(counter.allocations.load(), before);
  }
  EXPECT_GT(counter.allocations.load(), 0);
  EXPECT_EQ(counter.live.load(), 0) << "everything allocated was freed";
}

TEST(Invoke, HandlesMayBeReleasedInAnyOrder) {
  RuntimePtr rt = makeRuntime();
  ModulePtr module;
  ASSERT_TRUE(loadModule(rt.get(), buildTestArtifact(), module).ok());
  TensorPtr a = makeTensor(rt.get(), HEXMOE_F32, {1, 4}, iota(4, 1.0f));
  rt.reset();  // the module and the buffer keep what they need alive
  std::vector<TensorPtr> results;
  Result r = invoke(lookup(module.get(), "add_scale"), {a.get(), a.get()}, results);
  ASSERT_TRUE(r.ok()) << r.message;
  module.reset();
  EXPECT_EQ(contents<float>(results[0].get()), (std::vector<float>{4, 8, 12, 16}));
}

TEST(Buffers, CreateReadWriteMap) {
  RuntimePtr rt = makeRuntime();
  TensorPtr zeros = makeTensor<float>(rt.get(), HEXMOE_F32, {2, 3}, {});
  EXPECT_EQ(hexmoe_tensor_element_type(zeros.get()), HEXMOE_F32);
  EXPECT_EQ(hexmoe_tensor_rank(zeros.get()), 2u);
  EXPECT_EQ(hexmoe_tensor_element_count(zeros.get()), 6);
  EXPECT_EQ(hexmoe_tensor_byte_size(zeros.get()), 24u);
  EXPECT_EQ(contents<float>(zeros.get()), std::vector<float>(6, 0.0f));

  void* data = nullptr;
  HEXMOE_ASSERT_OK(hexmoe_tensor_map(zeros.get(), &data));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(data) % 64, 0u);
  static_cast<float*>(data)[5] = 7.0f;
  EXPECT_EQ(contents<float>(zeros.get())[5], 7.0f);

  const std::vector<float> values = iota(6, 1.0f);
  HEXMOE_ASSERT_OK(hexmoe_tensor_write(zeros.get(), values.data(), 24));
  EXPECT_EQ(contents<float>(zeros.get()), values);
  float big[7];
  EXPECT_EQ(take(hexmoe_tensor_read(zeros.get(), big, sizeof(big))).code, HEXMOE_STATUS_OUT_OF_RANGE);

  TensorPtr scalar = makeTensor<int64_t>(rt.get(), HEXMOE_I64, {}, {42});
  EXPECT_EQ(hexmoe_tensor_rank(scalar.get()), 0u);
  EXPECT_EQ(contents<int64_t>(scalar.get()), std::vector<int64_t>{42});

  hexmoe_tensor_t* bad = nullptr;
  int64_t negative[] = {2, -1};
  Result r = take(hexmoe_tensor_create(rt.get(), HEXMOE_F32, 2, negative, nullptr, &bad));
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(r.message, "invalid shape f32 [2,-1]")) << r.message;
  r = take(hexmoe_tensor_create(rt.get(), static_cast<hexmoe_element_type_t>(9), 0, nullptr, nullptr, &bad));
  EXPECT_EQ(r.message, "unknown element type 9");
  EXPECT_EQ(bad, nullptr);
}

TEST(Buffers, WrapUsesCallerMemory) {
  RuntimePtr rt = makeRuntime();
  alignas(64) static float storage[16] = {1, 2, 3, 4};
  struct Released {
    int calls = 0;
    void* data = nullptr;
  } released;
  auto release = [](void* user, void* data) {
    auto* r = static_cast<Released*>(user);
    ++r->calls;
    r->data = data;
  };
  int64_t shape[] = {4, 4};
  hexmoe_tensor_t* buffer = nullptr;
  HEXMOE_ASSERT_OK(hexmoe_tensor_wrap(rt.get(), HEXMOE_F32, 2, shape, storage, release, &released, &buffer));
  void* data = nullptr;
  HEXMOE_ASSERT_OK(hexmoe_tensor_map(buffer, &data));
  EXPECT_EQ(data, storage);
  hexmoe_tensor_retain(buffer);
  hexmoe_tensor_release(buffer);
  EXPECT_EQ(released.calls, 0);
  hexmoe_tensor_release(buffer);
  EXPECT_EQ(released.calls, 1);
  EXPECT_EQ(released.data, storage);

  Result r = take(hexmoe_tensor_wrap(rt.get(), HEXMOE_F32, 1, shape, storage + 1, nullptr, nullptr, &buffer));
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_TRUE(contains(r.message, "64-byte aligned")) << r.message;
}

TEST(Runtime, Options) {
  RuntimeConfig config;
  config.threads = 3;
  RuntimePtr rt = makeRuntime(config);
  EXPECT_EQ(hexmoe_runtime_thread_count(rt.get()), 3);
  EXPECT_TRUE(contains(hexmoe_runtime_device_description(rt.get()), "3 threads"));
  EXPECT_TRUE(contains(hexmoe_runtime_cpu_features(rt.get()), "sse2"));

  hexmoe_runtime_options_t options;
  hexmoe_runtime_options_init(&options);
  options.threads = -1;
  hexmoe_runtime_t* bad = nullptr;
  EXPECT_EQ(take(hexmoe_runtime_create(&options, &bad)).code, HEXMOE_STATUS_INVALID_ARGUMENT);
  hexmoe_runtime_options_init(&options);
  options.allocator.allocate = &CountingAllocator::allocate;
  EXPECT_EQ(take(hexmoe_runtime_create(&options, &bad)).message,
            "allocator: set both allocate and deallocate, or neither");
  // An older, smaller options struct is read only as far as it goes.
  hexmoe_runtime_options_init(&options);
  options.struct_size = offsetof(hexmoe_runtime_options_t, log_level);
  options.threads = 1;
  options.cpu_variant = "no-such-variant";  // beyond struct_size: ignored
  hexmoe_runtime_t* old = nullptr;
  HEXMOE_ASSERT_OK(hexmoe_runtime_create(&options, &old));
  RuntimePtr owned(old);
  EXPECT_EQ(hexmoe_runtime_thread_count(old), 1);
  ModulePtr module;
  EXPECT_TRUE(loadModule(old, buildTestArtifact(), module).ok());
}

}  // namespace
}  // namespace hexmoe::test
