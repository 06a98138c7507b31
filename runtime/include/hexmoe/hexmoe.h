/* hexmoe runtime C API.
 *
 * Load a compiled artifact (.hxm), look up its functions, create tensors and
 * invoke. Every fallible call returns a hexmoe_status_t: NULL means success;
 * otherwise the caller owns the status and frees it with hexmoe_status_free.
 * Results come back through out-parameters. No call lets a C++ exception out.
 *
 *   hexmoe_runtime_t* rt;       hexmoe_runtime_create(NULL, &rt);
 *   hexmoe_module_t* m;         hexmoe_module_load_file(rt, "layer.hxm", &m);
 *   hexmoe_function_t* f;       hexmoe_module_lookup_function(m, "main", &f);
 *   hexmoe_tensor_t* in[2] = {...};  hexmoe_tensor_t* out[1] = {NULL};
 *   hexmoe_function_invoke(f, in, 2, out, 1);
 *   ... hexmoe_tensor_map(out[0], &data) ... hexmoe_tensor_release(out[0]);
 *   hexmoe_module_release(m);   hexmoe_runtime_destroy(rt);
 *
 * Lifetimes: runtimes, modules and tensors are reference counted; a module or
 * tensor keeps its runtime's internals alive, so they may be released in any
 * order. A function handle is borrowed from its module and valid while the
 * module is. Strings returned by the API are owned by the object they describe.
 *
 * Threads: every call is thread-safe. Invocations of one function take turns
 * (it reuses its scratch memory); the runtime's thread pool runs one kernel
 * dispatch at a time.
 *
 * Devices: a runtime opens one or more devices ("cpu", "cpu:1", ...; see
 * hexmoe_runtime_options_t.devices). A module loads on every device that runs
 * one of its executables; a tensor lives on one device; an invocation runs on
 * one device (hexmoe_function_invoke: the module's default device).
 *
 * Environment: HEXMOE_LOG_LEVEL, HEXMOE_THREADS, HEXMOE_CPU_FEATURES,
 * HEXMOE_CPU_VARIANT (see hexmoe_runtime_options_t and docs/runtime.md).
 */
#ifndef HEXMOE_HEXMOE_H_
#define HEXMOE_HEXMOE_H_

#include <stddef.h>
#include <stdint.h>

/* The scheduler, expert placement (pure: plans from JSON descriptions). */
/* Its C API is in hexmoe/plan.h, which includes this header. */

#if defined(HEXMOE_BUILDING_RUNTIME)
#define HEXMOE_API __attribute__((visibility("default")))
#else
#define HEXMOE_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define HEXMOE_VERSION_MAJOR 0
#define HEXMOE_VERSION_MINOR 1
#define HEXMOE_VERSION_PATCH 0

/* "0.1.0": the version of the library actually loaded. */
HEXMOE_API const char* hexmoe_version(void);

/*===------------------------------ Status ------------------------------===*/

/* Same numbering as absl::StatusCode. */
typedef enum hexmoe_status_code_e {
  HEXMOE_STATUS_OK = 0,
  HEXMOE_STATUS_UNKNOWN = 2,
  HEXMOE_STATUS_INVALID_ARGUMENT = 3,    /* bad call: arity, dtype, shape, ... */
  HEXMOE_STATUS_NOT_FOUND = 5,           /* file, function, kernel symbol */
  HEXMOE_STATUS_PERMISSION_DENIED = 7,   /* artifact not signed by a trusted key */
  HEXMOE_STATUS_RESOURCE_EXHAUSTED = 8,  /* out of memory or threads */
  HEXMOE_STATUS_FAILED_PRECONDITION = 9, /* no CPU variant runs here, version */
  HEXMOE_STATUS_OUT_OF_RANGE = 11,
  HEXMOE_STATUS_UNIMPLEMENTED = 12,
  HEXMOE_STATUS_INTERNAL = 13,
  HEXMOE_STATUS_UNAVAILABLE = 14,
  HEXMOE_STATUS_DATA_LOSS = 15,          /* corrupted or truncated artifact */
} hexmoe_status_code_t;

/* NULL is success. */
typedef struct hexmoe_status_s* hexmoe_status_t;

/* HEXMOE_STATUS_OK for NULL. */
HEXMOE_API hexmoe_status_code_t hexmoe_status_code(hexmoe_status_t status);
/* One line saying what went wrong; "" for NULL. Valid until freed. */
HEXMOE_API const char* hexmoe_status_message(hexmoe_status_t status);
/* "INVALID_ARGUMENT", ... */
HEXMOE_API const char* hexmoe_status_code_name(hexmoe_status_code_t code);
/* Accepts NULL. */
HEXMOE_API void hexmoe_status_free(hexmoe_status_t status);

/*===----------------------------- Logging ------------------------------===*/

typedef enum hexmoe_log_level_e {
  HEXMOE_LOG_DEFAULT = -1, /* in options: leave the level as it is */
  HEXMOE_LOG_TRACE = 0,
  HEXMOE_LOG_DEBUG = 1,
  HEXMOE_LOG_INFO = 2,
  HEXMOE_LOG_WARN = 3, /* the initial level unless HEXMOE_LOG_LEVEL says otherwise */
  HEXMOE_LOG_ERROR = 4,
  HEXMOE_LOG_OFF = 5,
} hexmoe_log_level_t;

/* The runtime logs to stderr through one process-wide logger. */
HEXMOE_API void hexmoe_set_log_level(hexmoe_log_level_t level);

/*===------------------------------ Runtime -----------------------------===*/

/* Optional host memory hooks for all tensor memory the runtime allocates.
 * allocate must return memory aligned to `alignment` (a power of two, 64 or
 * more), or NULL; deallocate receives the size that was allocated. They are
 * called from any thread, and `user` must outlive every tensor. */
typedef struct hexmoe_allocator_s {
  void* user;
  void* (*allocate)(void* user, size_t size, size_t alignment);
  void (*deallocate)(void* user, void* ptr, size_t size);
} hexmoe_allocator_t;

typedef struct hexmoe_runtime_options_s {
  /* sizeof(hexmoe_runtime_options_t); set by hexmoe_runtime_options_init. */
  size_t struct_size;
  /* Threads that run kernels, the invoking thread included. 0: HEXMOE_THREADS
   * if set, else every CPU this process may run on. */
  int32_t threads;
  /* Applied process-wide at creation; HEXMOE_LOG_DEFAULT keeps the current. */
  hexmoe_log_level_t log_level;
  /* NULL fields: the default aligned allocator. */
  hexmoe_allocator_t allocator;
  /* Overrides the detected CPU features (NULL: HEXMOE_CPU_FEATURES if set,
   * else detection). "avx,avx2,fma" replaces the set; "-avx512f,-avx512bw"
   * removes from (and "+x" adds to) the detected set. Names as in
   * /proc/cpuinfo; baseline x86-64 features are always present. For tests: a
   * claimed feature the CPU lacks may crash kernels that use it. */
  const char* cpu_features;
  /* Loads this CPU variant (its isa, e.g. "x86-64-v3") instead of the best
   * one (NULL: HEXMOE_CPU_VARIANT if set). Fails if the host cannot run it. */
  const char* cpu_variant;
  /* The devices to open, comma-separated, in order: "cpu", "cpu:0,cpu:1"
   * (each cpu:N is the host with a thread pool of its own). NULL: "cpu".
   * Device 0 is the default for tensors and invocations. */
  const char* devices;
  /* Driver settings, "driver.key=value" separated by ';', given to every
   * device of that driver: "cpu.threads=2;cpu.variant=x86-64-v3"; or
   * "device.key=value" for one device, on top of its driver's:
   * "cpu:1.threads=1". The cpu driver reads threads, features and variant
   * (the three fields above are shorthands for cpu.*; an entry here wins).
   * Unknown keys are refused. */
  const char* driver_options;
  /* The trust policy. An artifact holds native code, so loading one trusts
   * its author. NULL or "": any artifact loads. Otherwise a comma-separated
   * list of Ed25519 public keys, each its 64 hex digits or the path of a
   * public key file (hexmoe-compile --generate-key): a module loads only if
   * signed by one of them (hexmoe-compile --sign), and any other is refused
   * with PERMISSION_DENIED before a byte of it is parsed or mapped. A signed
   * artifact whose signature does not match its bytes is DATA_LOSS under
   * any policy. */
  const char* trusted_keys;
} hexmoe_runtime_options_t;

typedef struct hexmoe_runtime_s hexmoe_runtime_t;

/* Fills in the defaults: threads 0, HEXMOE_LOG_DEFAULT, no hooks, no overrides. */
HEXMOE_API void hexmoe_runtime_options_init(hexmoe_runtime_options_t* options);

/* options may be NULL (defaults). Starts the CPU device and its threads. */
HEXMOE_API hexmoe_status_t hexmoe_runtime_create(const hexmoe_runtime_options_t* options,
                                                 hexmoe_runtime_t** out_runtime);
/* Drops the caller's reference; accepts NULL. */
HEXMOE_API void hexmoe_runtime_destroy(hexmoe_runtime_t* runtime);

/* Threads that run kernels. */
HEXMOE_API int32_t hexmoe_runtime_thread_count(const hexmoe_runtime_t* runtime);
/* The CPU features variant selection uses, comma-separated ("avx,avx2,..."). */
HEXMOE_API const char* hexmoe_runtime_cpu_features(const hexmoe_runtime_t* runtime);
/* "AMD EPYC 7B13, 2 threads". */
HEXMOE_API const char* hexmoe_runtime_device_description(const hexmoe_runtime_t* runtime);
/* The three calls above describe device 0; these describe each device. */

/* One device of a runtime; strings are valid while the runtime is. */
typedef struct hexmoe_device_info_s {
  const char* name;        /* "cpu:0" */
  const char* driver;      /* "cpu" */
  const char* description; /* "AMD EPYC 7B13, 2 threads" */
  const char* features;    /* capabilities, comma-separated (CPU: x86 flags) */
  int32_t threads;         /* host threads that run its kernels */
} hexmoe_device_info_t;

HEXMOE_API size_t hexmoe_runtime_device_count(const hexmoe_runtime_t* runtime);
/* OUT_OF_RANGE for a bad index. */
HEXMOE_API hexmoe_status_t hexmoe_runtime_device_info(const hexmoe_runtime_t* runtime, size_t index,
                                                      hexmoe_device_info_t* out_info);
/* The index of a device by name ("cpu:1", or "cpu" for the first cpu device);
 * NOT_FOUND lists the runtime's devices. */
HEXMOE_API hexmoe_status_t hexmoe_runtime_find_device(const hexmoe_runtime_t* runtime, const char* name,
                                                      size_t* out_index);

/* What the built-in drivers can open on this machine, without opening it:
 * the devices, and for each driver that has none here the reason ("no GPU",
 * "libcuda.so.1 not found"). */
typedef struct hexmoe_device_list_s hexmoe_device_list_t;
HEXMOE_API hexmoe_status_t hexmoe_device_list_create(hexmoe_device_list_t** out_list);
HEXMOE_API size_t hexmoe_device_list_count(const hexmoe_device_list_t* list);
/* NULL when index is out of range. */
HEXMOE_API const char* hexmoe_device_list_name(const hexmoe_device_list_t* list, size_t index);
HEXMOE_API const char* hexmoe_device_list_description(const hexmoe_device_list_t* list, size_t index);
/* Drivers with no device here: "driver: reason", one string each. */
HEXMOE_API size_t hexmoe_device_list_unavailable_count(const hexmoe_device_list_t* list);
HEXMOE_API const char* hexmoe_device_list_unavailable(const hexmoe_device_list_t* list, size_t index);
/* Accepts NULL. */
HEXMOE_API void hexmoe_device_list_free(hexmoe_device_list_t* list);

/*===--------------------------- Element types --------------------------===*/

/* Same values as the artifact schema's ElementType. */
typedef enum hexmoe_element_type_e {
  HEXMOE_F32 = 0,
  HEXMOE_BF16 = 1, /* stored as the upper 16 bits of an IEEE f32 */
  HEXMOE_I32 = 2,
  HEXMOE_I64 = 3,
  HEXMOE_F8E4M3 = 4, /* float8 e4m3fn: block-scaled FP8 weights */
  HEXMOE_I8 = 5,     /* group-scaled int8 weights */
  HEXMOE_F16 = 6,    /* IEEE half precision */
} hexmoe_element_type_t;

/* Bytes per element; 0 for an unknown type. */
HEXMOE_API size_t hexmoe_element_type_size(hexmoe_element_type_t type);
/* "f32", "bf16", "i32", "i64", "f8e4m3", "i8", "f16"; "?" for an unknown type. */
HEXMOE_API const char* hexmoe_element_type_name(hexmoe_element_type_t type);

/*===------------------------------ Tensors -----------------------------===*/

/* A dense row-major tensor: an element type, a shape, and memory on one of
 * the runtime's devices. (What the C++ runtime calls a buffer is the memory
 * alone.) */
typedef struct hexmoe_tensor_s hexmoe_tensor_t;

/* Copies `data` (element_count * element size bytes; NULL: zeros) into a new
 * 64-byte-aligned tensor of this type and shape. rank may be 0 (a scalar). */
HEXMOE_API hexmoe_status_t hexmoe_tensor_create(hexmoe_runtime_t* runtime, hexmoe_element_type_t type,
                                                size_t rank, const int64_t* shape, const void* data,
                                                hexmoe_tensor_t** out_tensor);
/* Uses caller memory in place, without a copy (e.g. weights mapped from a
 * file). `data` must be 64-byte aligned and hold element_count * element
 * size bytes; `release` (may be NULL) is called with (user, data) when the
 * tensor is destroyed. */
HEXMOE_API hexmoe_status_t hexmoe_tensor_wrap(hexmoe_runtime_t* runtime, hexmoe_element_type_t type,
                                              size_t rank, const int64_t* shape, void* data,
                                              void (*release)(void* user, void* data), void* user,
                                              hexmoe_tensor_t** out_tensor);
/* hexmoe_tensor_create on the runtime's device `device` (an index, as in
 * hexmoe_runtime_device_info). */
HEXMOE_API hexmoe_status_t hexmoe_tensor_create_on_device(hexmoe_runtime_t* runtime, size_t device,
                                                          hexmoe_element_type_t type, size_t rank,
                                                          const int64_t* shape, const void* data,
                                                          hexmoe_tensor_t** out_tensor);
/* A copy of `tensor` on device `device` of its runtime, made through the
 * devices' HAL (host memory in between where neither side is host-visible). */
HEXMOE_API hexmoe_status_t hexmoe_tensor_copy(const hexmoe_tensor_t* tensor, size_t device,
                                              hexmoe_tensor_t** out_tensor);
/* The device the tensor lives on (an index among its runtime's devices). */
HEXMOE_API size_t hexmoe_tensor_device(const hexmoe_tensor_t* tensor);
HEXMOE_API void hexmoe_tensor_retain(hexmoe_tensor_t* tensor);
/* Accepts NULL. */
HEXMOE_API void hexmoe_tensor_release(hexmoe_tensor_t* tensor);

HEXMOE_API hexmoe_element_type_t hexmoe_tensor_element_type(const hexmoe_tensor_t* tensor);
HEXMOE_API size_t hexmoe_tensor_rank(const hexmoe_tensor_t* tensor);
/* `rank` extents; valid while the tensor is. */
HEXMOE_API const int64_t* hexmoe_tensor_shape(const hexmoe_tensor_t* tensor);
HEXMOE_API int64_t hexmoe_tensor_element_count(const hexmoe_tensor_t* tensor);
HEXMOE_API size_t hexmoe_tensor_byte_size(const hexmoe_tensor_t* tensor);

/* A host pointer to the contents, valid while the tensor is. CPU tensors are
 * host memory; a device tensor that is not host-visible gives UNAVAILABLE
 * (use hexmoe_tensor_read/write). */
HEXMOE_API hexmoe_status_t hexmoe_tensor_map(hexmoe_tensor_t* tensor, void** out_data);
/* Copies `size` bytes out of / into the tensor, starting at byte 0. */
HEXMOE_API hexmoe_status_t hexmoe_tensor_read(const hexmoe_tensor_t* tensor, void* dst, size_t size);
HEXMOE_API hexmoe_status_t hexmoe_tensor_write(hexmoe_tensor_t* tensor, const void* src, size_t size);

/*===------------------------------ Modules -----------------------------===*/

typedef struct hexmoe_module_s hexmoe_module_t;
typedef struct hexmoe_function_s hexmoe_function_t;

/* Reads and verifies an artifact (header, checksum, schema version, FlatBuffer
 * structure, cross-references) before using any of it, then loads on each
 * runtime device the best of the artifact's executables that device runs (a
 * CPU device: the best CPU variant for this host). Errors name the file and
 * what is wrong: PERMISSION_DENIED for one the runtime's trust policy does
 * not admit (hexmoe_runtime_options_t.trusted_keys), checked first;
 * DATA_LOSS for a corrupted or truncated file, or one changed after signing;
 * FAILED_PRECONDITION for a schema version this runtime does not read or a
 * host that runs no variant ("layer.hxm: no CPU variant runs on this host:
 * x86-64-v4 needs avx512f, avx512bw (host lacks them)"), NOT_FOUND for an
 * artifact with no executable for any of the devices or a kernel missing from
 * the code. With several devices, the error lists each device's reason. */
HEXMOE_API hexmoe_status_t hexmoe_module_load_file(hexmoe_runtime_t* runtime, const char* path,
                                                   hexmoe_module_t** out_module);
/* The same from memory (copied). `name` labels errors and logs; may be NULL. */
HEXMOE_API hexmoe_status_t hexmoe_module_load_memory(hexmoe_runtime_t* runtime, const void* data,
                                                     size_t size, const char* name,
                                                     hexmoe_module_t** out_module);
/* How a module finds and checks the checkpoint weights its artifact refers
 * to (hexmoe-compile --weights=DIR without --embed-weights). */
typedef struct hexmoe_module_options_t {
  /* The checkpoint directory; NULL or "": the one recorded at compile time.
   * A moved checkpoint is found here. */
  const char* weights_dir;
  /* Nonzero (the default): each referenced tensor's SHA-256 is checked at
   * load, reading every weight byte once, and a changed checkpoint is
   * DATA_LOSS. Zero: only that each byte range exists. */
  int32_t verify_weights;
} hexmoe_module_options_t;

/* Fills in the defaults: the recorded directory, checksums verified. */
HEXMOE_API void hexmoe_module_options_init(hexmoe_module_options_t* options);
/* hexmoe_module_load_file with options (NULL: the defaults). A referenced
 * checkpoint file that is missing is NOT_FOUND; one too short or changed is
 * DATA_LOSS; both name the weight and the file. */
HEXMOE_API hexmoe_status_t hexmoe_module_load_file_with_options(hexmoe_runtime_t* runtime, const char* path,
                                                                const hexmoe_module_options_t* options,
                                                                hexmoe_module_t** out_module);
HEXMOE_API void hexmoe_module_retain(hexmoe_module_t* module);
/* Accepts NULL. */
HEXMOE_API void hexmoe_module_release(hexmoe_module_t* module);

/* The path or name it was loaded from. */
HEXMOE_API const char* hexmoe_module_name(const hexmoe_module_t* module);
/* The artifact's producer ("hexmoe-compile 0.1") and source file; may be "". */
HEXMOE_API const char* hexmoe_module_producer(const hexmoe_module_t* module);
HEXMOE_API const char* hexmoe_module_source(const hexmoe_module_t* module);
/* The signer's Ed25519 public key (64 hex digits), or "" if it is unsigned. */
HEXMOE_API const char* hexmoe_module_signer(const hexmoe_module_t* module);
/* The checkpoint directory of its weights: the loader's weights_dir, else the
 * one recorded at compile time (embedded weights keep it too); "" when the
 * artifact names none. Tools find tokenizer.json and config.json there. */
HEXMOE_API const char* hexmoe_module_weights_dir(const hexmoe_module_t* module);
/* The executable loaded on the default device ("x86-64-v4"). */
HEXMOE_API const char* hexmoe_module_cpu_variant(const hexmoe_module_t* module);
/* The device invocations use unless told otherwise: the first runtime device
 * that loaded one of the artifact's executables. */
HEXMOE_API size_t hexmoe_module_default_device(const hexmoe_module_t* module);
/* The executable loaded on runtime device `device`: its name ("x86-64-v4")
 * and format ("cpu-x86_64-v4"), or NULL where none runs there. */
HEXMOE_API const char* hexmoe_module_executable_name(const hexmoe_module_t* module, size_t device);
HEXMOE_API const char* hexmoe_module_executable_format(const hexmoe_module_t* module, size_t device);

HEXMOE_API size_t hexmoe_module_function_count(const hexmoe_module_t* module);
/* NULL when index is out of range. */
HEXMOE_API hexmoe_function_t* hexmoe_module_function(const hexmoe_module_t* module, size_t index);
/* NOT_FOUND (listing the functions there are) when there is none of this name. */
HEXMOE_API hexmoe_status_t hexmoe_module_lookup_function(const hexmoe_module_t* module,
                                                         const char* name,
                                                         hexmoe_function_t** out_function);

/*===----------------------------- Functions ----------------------------===*/

/* One extent of a declared shape: static_size when dim < 0, otherwise
 * factor * (the function's dynamic size number `dim`). */
typedef struct hexmoe_extent_s {
  int64_t static_size;
  int32_t dim;
  int64_t factor;
} hexmoe_extent_t;

/* An argument or result as the function declares it; pointers are valid
 * while the module is. */
typedef struct hexmoe_tensor_info_s {
  const char* name;
  hexmoe_element_type_t element_type;
  size_t rank;
  const hexmoe_extent_t* extents;
} hexmoe_tensor_info_t;

HEXMOE_API const char* hexmoe_function_name(const hexmoe_function_t* function);
/* "layer(hidden: f32[T,256], router: f32[8,256]) -> (out: f32[T,256])". */
HEXMOE_API const char* hexmoe_function_signature(const hexmoe_function_t* function);
/* The dynamic sizes ("T"), inferred from the arguments at each invocation. */
HEXMOE_API size_t hexmoe_function_dim_count(const hexmoe_function_t* function);
/* NULL when index is out of range. */
HEXMOE_API const char* hexmoe_function_dim_name(const hexmoe_function_t* function, size_t index);
HEXMOE_API size_t hexmoe_function_argument_count(const hexmoe_function_t* function);
HEXMOE_API size_t hexmoe_function_result_count(const hexmoe_function_t* function);
/* OUT_OF_RANGE for a bad index. */
HEXMOE_API hexmoe_status_t hexmoe_function_argument(const hexmoe_function_t* function, size_t index,
                                                    hexmoe_tensor_info_t* out_info);
HEXMOE_API hexmoe_status_t hexmoe_function_result(const hexmoe_function_t* function, size_t index,
                                                  hexmoe_tensor_info_t* out_info);

/* Runs the function.
 *
 * inputs: one tensor per argument, in order. Their element types and shapes
 * must match the declaration; each dynamic size is read from the arguments
 * (all that mention it must agree). Errors name the argument: "argument 2
 * (gate_proj): expected f32 [8,512,256], got f32 [8,512,128]".
 *
 * outputs: one slot per result. A NULL slot receives a new tensor the caller
 * then owns; a non-NULL slot must hold a tensor of exactly the result's type
 * and shape (not also an input), which is written in place. On failure the
 * slots are left as they were. Results are written by the kernels only: a
 * kernel that leaves elements unwritten leaves them undefined. */
HEXMOE_API hexmoe_status_t hexmoe_function_invoke(hexmoe_function_t* function,
                                                  hexmoe_tensor_t* const* inputs, size_t input_count,
                                                  hexmoe_tensor_t** outputs, size_t output_count);

/* hexmoe_function_invoke on the runtime's device `device`; new results live
 * there. FAILED_PRECONDITION when the module is not loaded on that device;
 * INVALID_ARGUMENT naming the argument when one lives where the device cannot
 * use it in place (copy it with hexmoe_tensor_copy). */
HEXMOE_API hexmoe_status_t hexmoe_function_invoke_on_device(hexmoe_function_t* function, size_t device,
                                                            hexmoe_tensor_t* const* inputs, size_t input_count,
                                                            hexmoe_tensor_t** outputs, size_t output_count);

/* Per-dispatch profiling, off by default. While on, every invoke records the
 * wall time of each kernel launch (the kernel on all threads and its barrier).
 * Turning it on clears what was recorded. */
HEXMOE_API hexmoe_status_t hexmoe_function_set_profiling(hexmoe_function_t* function, int enabled);
/* The launches of one invocation, in order. */
HEXMOE_API size_t hexmoe_function_dispatch_count(const hexmoe_function_t* function);
/* What was recorded for launch `index`: its kernel's name (valid while the
 * module lives), how many invocations were timed, the workgroups they ran and
 * the seconds they took, summed. Any out-parameter may be NULL. */
HEXMOE_API hexmoe_status_t hexmoe_function_dispatch_profile(const hexmoe_function_t* function,
                                                            size_t index, const char** out_kernel,
                                                            int64_t* out_calls,
                                                            int64_t* out_workgroups,
                                                            double* out_seconds);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif /* HEXMOE_HEXMOE_H_ */
