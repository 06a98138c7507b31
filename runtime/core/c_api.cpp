// The C API (hexmoe.h) over the C++ core. Handles are the core objects
// themselves; no exception crosses this file's functions.
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "hexmoe/hexmoe.h"
#include "runtime/core/function.h"
#include "runtime/core/logging.h"
#include "runtime/core/module.h"
#include "runtime/core/runtime.h"
#include "runtime/core/tensor.h"

struct hexmoe_status_s {
  hexmoe_status_code_t code;
  std::string message;
};

struct hexmoe_device_list_s {
  hexmoe::DeviceInventory inventory;
  std::vector<std::string> unavailable;  // "driver: reason"
};

namespace {

using hexmoe::Function;
using hexmoe::Module;
using hexmoe::Ref;
using hexmoe::Runtime;
using hexmoe::Status;
using hexmoe::Tensor;

/// Returned when even a status cannot be allocated; never freed.
hexmoe_status_s kOutOfMemoryStatus{HEXMOE_STATUS_RESOURCE_EXHAUSTED, "out of memory"};

hexmoe_status_t toC(Status status) {
  if (status.ok()) return nullptr;
  if (!status.trace().empty()) HEXMOE_LOG_DEBUG("{}", status.toString());
  try {
    return new hexmoe_status_s{static_cast<hexmoe_status_code_t>(status.code()), status.message()};
  } catch (...) {
    return &kOutOfMemoryStatus;
  }
}

/// Runs `body` (returning a Status), turning any exception into a status.
template <typename Body>
hexmoe_status_t guarded(Body&& body) {
  try {
    return toC(body());
  } catch (const std::bad_alloc&) {
    return &kOutOfMemoryStatus;
  } catch (const std::exception& e) {
    return toC(hexmoe::internalError(std::string("unexpected exception: ") + e.what()));
  } catch (...) {
    return toC(hexmoe::internalError("unexpected exception"));
  }
}

Runtime* unwrap(const hexmoe_runtime_t* p) { return reinterpret_cast<Runtime*>(const_cast<hexmoe_runtime_t*>(p)); }
Module* unwrap(const hexmoe_module_t* p) { return reinterpret_cast<Module*>(const_cast<hexmoe_module_t*>(p)); }
Tensor* unwrap(const hexmoe_tensor_t* p) { return reinterpret_cast<Tensor*>(const_cast<hexmoe_tensor_t*>(p)); }
Function* unwrap(const hexmoe_function_t* p) {
  return reinterpret_cast<Function*>(const_cast<hexmoe_function_t*>(p));
}
hexmoe_runtime_t* wrap(Runtime* p) { return reinterpret_cast<hexmoe_runtime_t*>(p); }
hexmoe_module_t* wrap(Module* p) { return reinterpret_cast<hexmoe_module_t*>(p); }
hexmoe_tensor_t* wrap(Tensor* p) { return reinterpret_cast<hexmoe_tensor_t*>(p); }
hexmoe_function_t* wrap(Function* p) { return reinterpret_cast<hexmoe_function_t*>(p); }

Status nullArgument(const char* what) { return hexmoe::invalidArgument(std::string(what) + " is null"); }

/// A fixed array for the usual few inputs and outputs, the heap beyond.
template <typename T, size_t N>
class SmallArray {
 public:
  explicit SmallArray(size_t n) : data_(inline_) {
    if (n > N) {
      heap_.resize(n);
      data_ = heap_.data();
    }
  }
  T& operator[](size_t i) { return data_[i]; }
  T* data() { return data_; }

 private:
  T inline_[N];
  std::vector<T> heap_;
  T* data_;
};

/// Whether `options` (of its declared struct_size) includes `field`.
#define HEXMOE_HAS_OPTION(options, field)                                  \
  ((options)->struct_size >= offsetof(hexmoe_runtime_options_t, field) + \
                                 sizeof(((hexmoe_runtime_options_t*)nullptr)->field))

/// An enum argument's value as the caller passed it. A C caller may pass any
/// int, and loading an out-of-range value as the C++ enum type is undefined;
/// copying its bytes is not.
template <typename Enum>
int rawValue(const Enum& value) {
  static_assert(sizeof(Enum) == sizeof(int), "C enums are int-sized here");
  int raw;
  std::memcpy(&raw, &value, sizeof(raw));
  return raw;
}

Status shapeFrom(size_t rank, const int64_t* shape, hexmoe::Shape& out) {
  if (rank && !shape) return nullArgument("shape");
  out.assign(shape, shape + rank);
  return hexmoe::okStatus();
}

Status checkType(const hexmoe_element_type_t& type) {
  if (!hexmoe::isValidElementType(rawValue(type)))
    return hexmoe::invalidArgument("unknown element type " + std::to_string(rawValue(type)));
  return hexmoe::okStatus();
}

bool isValidLogLevel(const hexmoe_log_level_t& level) {
  return rawValue(level) >= HEXMOE_LOG_TRACE && rawValue(level) <= HEXMOE_LOG_OFF;
}

// The C enum and the C++ one are the same numbering.
#define HEXMOE_SAME_CODE(c, k) static_assert(static_cast<int>(c) == static_cast<int>(hexmoe::StatusCode::k), #c)
HEXMOE_SAME_CODE(HEXMOE_STATUS_OK, kOk);
HEXMOE_SAME_CODE(HEXMOE_STATUS_UNKNOWN, kUnknown);
HEXMOE_SAME_CODE(HEXMOE_STATUS_INVALID_ARGUMENT, kInvalidArgument);
HEXMOE_SAME_CODE(HEXMOE_STATUS_NOT_FOUND, kNotFound);
HEXMOE_SAME_CODE(HEXMOE_STATUS_PERMISSION_DENIED, kPermissionDenied);
HEXMOE_SAME_CODE(HEXMOE_STATUS_RESOURCE_EXHAUSTED, kResourceExhausted);
HEXMOE_SAME_CODE(HEXMOE_STATUS_FAILED_PRECONDITION, kFailedPrecondition);
HEXMOE_SAME_CODE(HEXMOE_STATUS_OUT_OF_RANGE, kOutOfRange);
HEXMOE_SAME_CODE(HEXMOE_STATUS_UNIMPLEMENTED, kUnimplemented);
HEXMOE_SAME_CODE(HEXMOE_STATUS_INTERNAL, kInternal);
HEXMOE_SAME_CODE(HEXMOE_STATUS_UNAVAILABLE, kUnavailable);
HEXMOE_SAME_CODE(HEXMOE_STATUS_DATA_LOSS, kDataLoss);
#undef HEXMOE_SAME_CODE

// One element-type vocabulary: the C values are the runtime's (and the
// artifact's, checked where function.cpp reads them).
static_assert(HEXMOE_F32 == static_cast<int>(hexmoe::ElementType::kF32), "f32");
static_assert(HEXMOE_BF16 == static_cast<int>(hexmoe::ElementType::kBF16), "bf16");
static_assert(HEXMOE_I32 == static_cast<int>(hexmoe::ElementType::kI32), "i32");
static_assert(HEXMOE_I64 == static_cast<int>(hexmoe::ElementType::kI64), "i64");
static_assert(HEXMOE_F8E4M3 == static_cast<int>(hexmoe::ElementType::kF8E4M3), "f8e4m3");
static_assert(HEXMOE_I8 == static_cast<int>(hexmoe::ElementType::kI8), "i8");
static_assert(HEXMOE_F16 == static_cast<int>(hexmoe::ElementType::kF16), "f16");
static_assert(hexmoe::kNumElementTypes == 7, "a new element type needs a HEXMOE_ value");

}  // namespace

extern "C" {

#define HEXMOE_STR2(x) #x
#define HEXMOE_STR(x) HEXMOE_STR2(x)

const char* hexmoe_version(void) {
  return HEXMOE_STR(HEXMOE_VERSION_MAJOR) "." HEXMOE_STR(HEXMOE_VERSION_MINOR) "." HEXMOE_STR(HEXMOE_VERSION_PATCH);
}

hexmoe_status_code_t hexmoe_status_code(hexmoe_status_t status) {
  return status ? status->code : HEXMOE_STATUS_OK;
}

const char* hexmoe_status_message(hexmoe_status_t status) { return status ? status->message.c_str() : ""; }

const char* hexmoe_status_code_name(hexmoe_status_code_t code) {
  // Any int a C caller passes names a code or "UNKNOWN"; the C enum's own
  // range would make loading 999 undefined.
  return hexmoe::statusCodeName(static_cast<hexmoe::StatusCode>(rawValue(code)));
}

void hexmoe_status_free(hexmoe_status_t status) {
  if (status != &kOutOfMemoryStatus) delete status;
}

void hexmoe_set_log_level(hexmoe_log_level_t level) {
  if (isValidLogLevel(level)) hexmoe::setLogLevel(static_cast<hexmoe::LogLevel>(rawValue(level)));
}

void hexmoe_runtime_options_init(hexmoe_runtime_options_t* options) {
  if (!options) return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->log_level = HEXMOE_LOG_DEFAULT;
}

hexmoe_status_t hexmoe_runtime_create(const hexmoe_runtime_options_t* options, hexmoe_runtime_t** out_runtime) {
  return guarded([&]() -> Status {
    if (!out_runtime) return nullArgument("out_runtime");
    hexmoe::RuntimeOptions opts;
    if (options) {
      std::map<std::string, std::string>& cpu = opts.driverOptions["cpu"];
      if (HEXMOE_HAS_OPTION(options, threads)) {
        if (options->threads < 0)
          return hexmoe::invalidArgument("threads must be 0 (automatic) or more, got " +
                                         std::to_string(options->threads));
        if (options->threads > 0) cpu["threads"] = std::to_string(options->threads);
      }
      if (HEXMOE_HAS_OPTION(options, log_level) && rawValue(options->log_level) != HEXMOE_LOG_DEFAULT) {
        if (!isValidLogLevel(options->log_level))
          return hexmoe::invalidArgument("unknown log level " + std::to_string(rawValue(options->log_level)));
        opts.logLevel = static_cast<hexmoe::LogLevel>(rawValue(options->log_level));
      }
      if (HEXMOE_HAS_OPTION(options, allocator)) {
        const hexmoe_allocator_t& a = options->allocator;
        if (!a.allocate != !a.deallocate)
          return hexmoe::invalidArgument("allocator: set both allocate and deallocate, or neither");
        opts.allocator = {a.user, a.allocate, a.deallocate};
      }
      if (HEXMOE_HAS_OPTION(options, cpu_features) && options->cpu_features) cpu["features"] = options->cpu_features;
      if (HEXMOE_HAS_OPTION(options, cpu_variant) && options->cpu_variant) cpu["variant"] = options->cpu_variant;
      if (HEXMOE_HAS_OPTION(options, devices) && options->devices) {
        HEXMOE_ASSIGN_OR_RETURN(opts.devices, hexmoe::splitDeviceList(options->devices));
      }
      if (HEXMOE_HAS_OPTION(options, driver_options) && options->driver_options)
        HEXMOE_RETURN_IF_ERROR(hexmoe::parseDriverOptions(options->driver_options, opts.driverOptions));
      if (HEXMOE_HAS_OPTION(options, trusted_keys) && options->trusted_keys && *options->trusted_keys) {
        HEXMOE_ASSIGN_OR_RETURN(opts.trustedKeys, hexmoe::parseTrustedKeys(options->trusted_keys));
      }
      // The shorthands above name the cpu driver; they do not ask for a cpu device.
      if (cpu.empty()) opts.driverOptions.erase("cpu");
    }
    HEXMOE_ASSIGN_OR_RETURN(Ref<Runtime> runtime, Runtime::create(opts));
    *out_runtime = wrap(runtime.detach());
    return hexmoe::okStatus();
  });
}

void hexmoe_runtime_destroy(hexmoe_runtime_t* runtime) {
  if (runtime) unwrap(runtime)->release();
}

int32_t hexmoe_runtime_thread_count(const hexmoe_runtime_t* runtime) {
  return runtime ? unwrap(runtime)->device(0).info().threads : 0;
}

const char* hexmoe_runtime_cpu_features(const hexmoe_runtime_t* runtime) {
  return runtime ? unwrap(runtime)->device(0).info().features.c_str() : "";
}

const char* hexmoe_runtime_device_description(const hexmoe_runtime_t* runtime) {
  return runtime ? unwrap(runtime)->device(0).info().description.c_str() : "";
}

size_t hexmoe_runtime_device_count(const hexmoe_runtime_t* runtime) {
  return runtime ? unwrap(runtime)->deviceCount() : 0;
}

hexmoe_status_t hexmoe_runtime_device_info(const hexmoe_runtime_t* runtime, size_t index,
                                           hexmoe_device_info_t* out_info) {
  return guarded([&]() -> Status {
    if (!runtime) return nullArgument("runtime");
    if (!out_info) return nullArgument("out_info");
    const Runtime& rt = *unwrap(runtime);
    if (index >= rt.deviceCount())
      return hexmoe::outOfRange("device " + std::to_string(index) + " of " + std::to_string(rt.deviceCount()));
    const hexmoe::hal::DeviceInfo& info = rt.device(index).info();
    *out_info = hexmoe_device_info_t{info.name.c_str(), info.driver.c_str(), info.description.c_str(),
                                     info.features.c_str(), info.threads};
    return hexmoe::okStatus();
  });
}

hexmoe_status_t hexmoe_runtime_find_device(const hexmoe_runtime_t* runtime, const char* name, size_t* out_index) {
  return guarded([&]() -> Status {
    if (!runtime) return nullArgument("runtime");
    if (!name) return nullArgument("name");
    if (!out_index) return nullArgument("out_index");
    HEXMOE_ASSIGN_OR_RETURN(*out_index, unwrap(runtime)->findDevice(name));
    return hexmoe::okStatus();
  });
}

hexmoe_status_t hexmoe_device_list_create(hexmoe_device_list_t** out_list) {
  return guarded([&]() -> Status {
    if (!out_list) return nullArgument("out_list");
    auto list = std::make_unique<hexmoe_device_list_s>();
    list->inventory = hexmoe::listAvailableDevices();
    for (const auto& [driver, reason] : list->inventory.unavailable) list->unavailable.push_back(driver + ": " + reason);
    *out_list = list.release();
    return hexmoe::okStatus();
  });
}

size_t hexmoe_device_list_count(const hexmoe_device_list_t* list) {
  return list ? list->inventory.devices.size() : 0;
}

const char* hexmoe_device_list_name(const hexmoe_device_list_t* list, size_t index) {
  if (!list || index >= list->inventory.devices.size()) return nullptr;
  return list->inventory.devices[index].name.c_str();
}

const char* hexmoe_device_list_description(const hexmoe_device_list_t* list, size_t index) {
  if (!list || index >= list->inventory.devices.size()) return nullptr;
  return list->inventory.devices[index].description.c_str();
}

size_t hexmoe_device_list_unavailable_count(const hexmoe_device_list_t* list) {
  return list ? list->unavailable.size() : 0;
}

const char* hexmoe_device_list_unavailable(const hexmoe_device_list_t* list, size_t index) {
  if (!list || index >= list->unavailable.size()) return nullptr;
  return list->unavailable[index].c_str();
}

void hexmoe_device_list_free(hexmoe_device_list_t* list) { delete list; }

size_t hexmoe_element_type_size(hexmoe_element_type_t type) {
  const int raw = rawValue(type);
  return hexmoe::isValidElementType(raw) ? hexmoe::elementSize(static_cast<hexmoe::ElementType>(raw)) : 0;
}

const char* hexmoe_element_type_name(hexmoe_element_type_t type) {
  const int raw = rawValue(type);
  return hexmoe::isValidElementType(raw) ? hexmoe::elementTypeName(static_cast<hexmoe::ElementType>(raw)) : "?";
}

namespace {
/// `type` by reference: a C caller's out-of-range value is only ever read as
/// bytes (rawValue), never loaded as the enum.
hexmoe_status_t createTensor(hexmoe_runtime_t* runtime, size_t device, const hexmoe_element_type_t& type,
                             size_t rank, const int64_t* shape, const void* data, hexmoe_tensor_t** out_tensor) {
  return guarded([&]() -> Status {
    if (!runtime) return nullArgument("runtime");
    if (!out_tensor) return nullArgument("out_tensor");
    HEXMOE_RETURN_IF_ERROR(checkType(type));
    hexmoe::Shape dims;
    HEXMOE_RETURN_IF_ERROR(shapeFrom(rank, shape, dims));
    HEXMOE_ASSIGN_OR_RETURN(Ref<Tensor> tensor,
                            Tensor::allocate(Ref<Runtime>::share(unwrap(runtime)), device,
                                             static_cast<hexmoe::ElementType>(rawValue(type)), std::move(dims)));
    hexmoe::hal::Buffer& buffer = tensor->buffer();
    if (data) {
      HEXMOE_RETURN_IF_ERROR(buffer.write(0, data, tensor->byteSize()));
    } else if (void* host = buffer.hostPointer()) {
      std::memset(host, 0, tensor->byteSize());
    } else {
      std::vector<uint8_t> zeros(tensor->byteSize());
      HEXMOE_RETURN_IF_ERROR(buffer.write(0, zeros.data(), zeros.size()));
    }
    *out_tensor = wrap(tensor.detach());
    return hexmoe::okStatus();
  });
}
}  // namespace

hexmoe_status_t hexmoe_tensor_create(hexmoe_runtime_t* runtime, hexmoe_element_type_t type, size_t rank,
                                     const int64_t* shape, const void* data, hexmoe_tensor_t** out_tensor) {
  return createTensor(runtime, 0, type, rank, shape, data, out_tensor);
}

hexmoe_status_t hexmoe_tensor_create_on_device(hexmoe_runtime_t* runtime, size_t device, hexmoe_element_type_t type,
                                               size_t rank, const int64_t* shape, const void* data,
                                               hexmoe_tensor_t** out_tensor) {
  return createTensor(runtime, device, type, rank, shape, data, out_tensor);
}

hexmoe_status_t hexmoe_tensor_wrap(hexmoe_runtime_t* runtime, hexmoe_element_type_t type, size_t rank,
                                   const int64_t* shape, void* data, void (*release)(void* user, void* data),
                                   void* user, hexmoe_tensor_t** out_tensor) {
  return guarded([&]() -> Status {
    if (!runtime) return nullArgument("runtime");
    if (!out_tensor) return nullArgument("out_tensor");
    HEXMOE_RETURN_IF_ERROR(checkType(type));
    hexmoe::Shape dims;
    HEXMOE_RETURN_IF_ERROR(shapeFrom(rank, shape, dims));
    std::function<void()> onRelease;
    if (release) onRelease = [release, user, data] { release(user, data); };
    HEXMOE_ASSIGN_OR_RETURN(Ref<Tensor> tensor,
                            Tensor::wrap(Ref<Runtime>::share(unwrap(runtime)), 0, static_cast<hexmoe::ElementType>(type),
                                         std::move(dims), data, std::move(onRelease)));
    *out_tensor = wrap(tensor.detach());
    return hexmoe::okStatus();
  });
}

hexmoe_status_t hexmoe_tensor_copy(const hexmoe_tensor_t* tensor, size_t device, hexmoe_tensor_t** out_tensor) {
  return guarded([&]() -> Status {
    if (!tensor) return nullArgument("tensor");
    if (!out_tensor) return nullArgument("out_tensor");
    HEXMOE_ASSIGN_OR_RETURN(Ref<Tensor> copy, unwrap(tensor)->copyTo(device));
    *out_tensor = wrap(copy.detach());
    return hexmoe::okStatus();
  });
}

size_t hexmoe_tensor_device(const hexmoe_tensor_t* tensor) { return tensor ? unwrap(tensor)->device() : 0; }

void hexmoe_tensor_retain(hexmoe_tensor_t* tensor) {
  if (tensor) unwrap(tensor)->retain();
}

void hexmoe_tensor_release(hexmoe_tensor_t* tensor) {
  if (tensor) unwrap(tensor)->release();
}

hexmoe_element_type_t hexmoe_tensor_element_type(const hexmoe_tensor_t* tensor) {
  return tensor ? static_cast<hexmoe_element_type_t>(unwrap(tensor)->type()) : HEXMOE_F32;
}

size_t hexmoe_tensor_rank(const hexmoe_tensor_t* tensor) { return tensor ? unwrap(tensor)->shape().size() : 0; }

const int64_t* hexmoe_tensor_shape(const hexmoe_tensor_t* tensor) {
  return tensor ? unwrap(tensor)->shape().data() : nullptr;
}

int64_t hexmoe_tensor_element_count(const hexmoe_tensor_t* tensor) {
  return tensor ? unwrap(tensor)->elementCount() : 0;
}

size_t hexmoe_tensor_byte_size(const hexmoe_tensor_t* tensor) { return tensor ? unwrap(tensor)->byteSize() : 0; }

hexmoe_status_t hexmoe_tensor_map(hexmoe_tensor_t* tensor, void** out_data) {
  return guarded([&]() -> Status {
    if (!tensor) return nullArgument("tensor");
    if (!out_data) return nullArgument("out_data");
    void* host = unwrap(tensor)->buffer().hostPointer();
    if (!host) return hexmoe::unavailable("the tensor is not host-visible; use hexmoe_tensor_read/write");
    *out_data = host;
    return hexmoe::okStatus();
  });
}

hexmoe_status_t hexmoe_tensor_read(const hexmoe_tensor_t* tensor, void* dst, size_t size) {
  return guarded([&]() -> Status {
    if (!tensor) return nullArgument("tensor");
    if (size && !dst) return nullArgument("dst");
    return unwrap(tensor)->buffer().read(0, dst, size);
  });
}

hexmoe_status_t hexmoe_tensor_write(hexmoe_tensor_t* tensor, const void* src, size_t size) {
  return guarded([&]() -> Status {
    if (!tensor) return nullArgument("tensor");
    if (size && !src) return nullArgument("src");
    return unwrap(tensor)->buffer().write(0, src, size);
  });
}

hexmoe_status_t hexmoe_module_load_file(hexmoe_runtime_t* runtime, const char* path, hexmoe_module_t** out_module) {
  return guarded([&]() -> Status {
    if (!runtime) return nullArgument("runtime");
    if (!path) return nullArgument("path");
    if (!out_module) return nullArgument("out_module");
    HEXMOE_ASSIGN_OR_RETURN(Ref<Module> module, Module::loadFile(Ref<Runtime>::share(unwrap(runtime)), path));
    *out_module = wrap(module.detach());
    return hexmoe::okStatus();
  });
}

void hexmoe_module_options_init(hexmoe_module_options_t* options) {
  if (!options) return;
  options->weights_dir = nullptr;
  options->verify_weights = 1;
}

hexmoe_status_t hexmoe_module_load_file_with_options(hexmoe_runtime_t* runtime, const char* path,
                                                     const hexmoe_module_options_t* options,
                                                     hexmoe_module_t** out_module) {
  return guarded([&]() -> Status {
    if (!runtime) return nullArgument("runtime");
    if (!path) return nullArgument("path");
    if (!out_module) return nullArgument("out_module");
    hexmoe::ModuleOptions opts;
    if (options) {
      opts.weightsDir = options->weights_dir ? options->weights_dir : "";
      opts.verifyWeights = options->verify_weights != 0;
    }
    HEXMOE_ASSIGN_OR_RETURN(Ref<Module> module,
                            Module::loadFile(Ref<Runtime>::share(unwrap(runtime)), path, opts));
    *out_module = wrap(module.detach());
    return hexmoe::okStatus();
  });
}

hexmoe_status_t hexmoe_module_load_memory(hexmoe_runtime_t* runtime, const void* data, size_t size,
                                          const char* name, hexmoe_module_t** out_module) {
  return guarded([&]() -> Status {
    if (!runtime) return nullArgument("runtime");
    if (!out_module) return nullArgument("out_module");
    HEXMOE_ASSIGN_OR_RETURN(Ref<Module> module, Module::loadMemory(Ref<Runtime>::share(unwrap(runtime)), data, size,
                                                                   name ? name : "<memory>"));
    *out_module = wrap(module.detach());
    return hexmoe::okStatus();
  });
}

void hexmoe_module_retain(hexmoe_module_t* module) {
  if (module) unwrap(module)->retain();
}

void hexmoe_module_release(hexmoe_module_t* module) {
  if (module) unwrap(module)->release();
}

const char* hexmoe_module_name(const hexmoe_module_t* module) { return module ? unwrap(module)->name().c_str() : ""; }

const char* hexmoe_module_producer(const hexmoe_module_t* module) {
  return module ? unwrap(module)->producer().c_str() : "";
}

const char* hexmoe_module_source(const hexmoe_module_t* module) {
  return module ? unwrap(module)->source().c_str() : "";
}

const char* hexmoe_module_signer(const hexmoe_module_t* module) {
  return module ? unwrap(module)->signer().c_str() : "";
}

const char* hexmoe_module_weights_dir(const hexmoe_module_t* module) {
  return module ? unwrap(module)->weightsDir().c_str() : "";
}

const char* hexmoe_module_cpu_variant(const hexmoe_module_t* module) {
  return module ? unwrap(module)->executable(unwrap(module)->defaultDevice())->name().c_str() : "";
}

size_t hexmoe_module_default_device(const hexmoe_module_t* module) {
  return module ? unwrap(module)->defaultDevice() : 0;
}

const char* hexmoe_module_executable_name(const hexmoe_module_t* module, size_t device) {
  const hexmoe::hal::Executable* exe = module ? unwrap(module)->executable(device) : nullptr;
  return exe ? exe->name().c_str() : nullptr;
}

const char* hexmoe_module_executable_format(const hexmoe_module_t* module, size_t device) {
  const hexmoe::hal::Executable* exe = module ? unwrap(module)->executable(device) : nullptr;
  return exe ? exe->format().c_str() : nullptr;
}

size_t hexmoe_module_function_count(const hexmoe_module_t* module) {
  return module ? unwrap(module)->functions().size() : 0;
}

hexmoe_function_t* hexmoe_module_function(const hexmoe_module_t* module, size_t index) {
  if (!module || index >= unwrap(module)->functions().size()) return nullptr;
  return wrap(unwrap(module)->functions()[index].get());
}

hexmoe_status_t hexmoe_module_lookup_function(const hexmoe_module_t* module, const char* name,
                                              hexmoe_function_t** out_function) {
  return guarded([&]() -> Status {
    if (!module) return nullArgument("module");
    if (!name) return nullArgument("name");
    if (!out_function) return nullArgument("out_function");
    HEXMOE_ASSIGN_OR_RETURN(Function * f, unwrap(module)->findFunction(name));
    *out_function = wrap(f);
    return hexmoe::okStatus();
  });
}

const char* hexmoe_function_name(const hexmoe_function_t* function) {
  return function ? unwrap(function)->name().c_str() : "";
}

const char* hexmoe_function_signature(const hexmoe_function_t* function) {
  return function ? unwrap(function)->signature().c_str() : "";
}

size_t hexmoe_function_dim_count(const hexmoe_function_t* function) {
  return function ? unwrap(function)->dimNames().size() : 0;
}

const char* hexmoe_function_dim_name(const hexmoe_function_t* function, size_t index) {
  if (!function || index >= unwrap(function)->dimNames().size()) return nullptr;
  return unwrap(function)->dimNames()[index].c_str();
}

size_t hexmoe_function_argument_count(const hexmoe_function_t* function) {
  return function ? unwrap(function)->arguments().size() : 0;
}

size_t hexmoe_function_result_count(const hexmoe_function_t* function) {
  return function ? unwrap(function)->results().size() : 0;
}

static hexmoe_status_t tensorInfo(const hexmoe_function_t* function, size_t index, bool argument,
                                  hexmoe_tensor_info_t* out_info) {
  return guarded([&]() -> Status {
    if (!function) return nullArgument("function");
    if (!out_info) return nullArgument("out_info");
    const auto& decls = argument ? unwrap(function)->arguments() : unwrap(function)->results();
    if (index >= decls.size())
      return hexmoe::outOfRange(std::string(argument ? "argument " : "result ") + std::to_string(index) + " of " +
                                std::to_string(decls.size()));
    const hexmoe::TensorDecl& d = decls[index];
    *out_info = hexmoe_tensor_info_t{d.name.c_str(), static_cast<hexmoe_element_type_t>(d.type), d.extents.size(),
                                     d.extents.data()};
    return hexmoe::okStatus();
  });
}

hexmoe_status_t hexmoe_function_argument(const hexmoe_function_t* function, size_t index,
                                         hexmoe_tensor_info_t* out_info) {
  return tensorInfo(function, index, true, out_info);
}

hexmoe_status_t hexmoe_function_result(const hexmoe_function_t* function, size_t index,
                                       hexmoe_tensor_info_t* out_info) {
  return tensorInfo(function, index, false, out_info);
}

hexmoe_status_t hexmoe_function_invoke(hexmoe_function_t* function, hexmoe_tensor_t* const* inputs,
                                       size_t input_count, hexmoe_tensor_t** outputs, size_t output_count) {
  if (!function) return toC(nullArgument("function"));
  return hexmoe_function_invoke_on_device(function, unwrap(function)->module().defaultDevice(), inputs, input_count,
                                          outputs, output_count);
}

hexmoe_status_t hexmoe_function_invoke_on_device(hexmoe_function_t* function, size_t device,
                                                 hexmoe_tensor_t* const* inputs, size_t input_count,
                                                 hexmoe_tensor_t** outputs, size_t output_count) {
  return guarded([&]() -> Status {
    if (!function) return nullArgument("function");
    if (input_count && !inputs) return nullArgument("inputs");
    if (output_count && !outputs) return nullArgument("outputs");
    SmallArray<Tensor*, 16> in(input_count);
    for (size_t i = 0; i < input_count; ++i) in[i] = unwrap(inputs[i]);
    SmallArray<Ref<Tensor>, 8> out(output_count);
    for (size_t r = 0; r < output_count; ++r) out[r] = Ref<Tensor>::share(unwrap(outputs[r]));
    HEXMOE_RETURN_IF_ERROR(unwrap(function)->invokeOn(device, in.data(), input_count, out.data(), output_count));
    for (size_t r = 0; r < output_count; ++r)
      if (!outputs[r]) outputs[r] = wrap(out[r].detach());
    return hexmoe::okStatus();
  });
}

hexmoe_status_t hexmoe_function_set_profiling(hexmoe_function_t* function, int enabled) {
  return guarded([&]() -> Status {
    if (!function) return nullArgument("function");
    unwrap(function)->setProfiling(enabled != 0);
    return hexmoe::okStatus();
  });
}

size_t hexmoe_function_dispatch_count(const hexmoe_function_t* function) {
  return function ? unwrap(function)->profile().size() : 0;
}

hexmoe_status_t hexmoe_function_dispatch_profile(const hexmoe_function_t* function, size_t index,
                                                 const char** out_kernel, int64_t* out_calls,
                                                 int64_t* out_workgroups, double* out_seconds) {
  return guarded([&]() -> Status {
    if (!function) return nullArgument("function");
    const auto& profile = unwrap(function)->profile();
    if (index >= profile.size())
      return hexmoe::invalidArgument("dispatch " + std::to_string(index) + " of " +
                                     std::to_string(profile.size()));
    const Function::DispatchProfile& p = profile[index];
    if (out_kernel) *out_kernel = p.kernel.c_str();
    if (out_calls) *out_calls = p.calls;
    if (out_workgroups) *out_workgroups = p.workgroups;
    if (out_seconds) *out_seconds = p.seconds;
    return hexmoe::okStatus();
  });
}

}  // extern "C"
