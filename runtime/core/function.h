// A function of a loaded module: its signature and the invoker that checks
// arguments, infers dynamic sizes, allocates results and runs the dispatches.
#ifndef HEXMOE_RUNTIME_CORE_FUNCTION_H_
#define HEXMOE_RUNTIME_CORE_FUNCTION_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hexmoe/hexmoe.h"
#include "runtime/core/element_type.h"
#include "runtime/core/hal/buffer.h"
#include "runtime/core/ref_counted.h"
#include "runtime/base/status.h"
#include "runtime/core/tensor.h"

namespace hexmoe::schema {
struct Function;
}

namespace hexmoe {

class Module;

/// An argument, result or transient as the artifact declares it.
struct TensorDecl {
  std::string name;
  ElementType type = ElementType::kF32;
  std::vector<hexmoe_extent_t> extents;  // the C API hands these out as they are
  int buffer = -1;                       // index among the function's buffers
};

class Function {
 public:
  /// Reads one verified schema function; fails if it declares arguments or
  /// results out of order, or a dynamic size no argument carries.
  static StatusOr<std::unique_ptr<Function>> build(const schema::Function& fn, Module& module,
                                                   const std::vector<std::string>& kernelNames,
                                                   const std::string& what);

  const std::string& name() const { return name_; }
  /// "add(a: f32[T,4], b: f32[T,4]) -> (out: f32[T,4])".
  const std::string& signature() const { return signature_; }
  const std::vector<std::string>& dimNames() const { return dimNames_; }
  const std::vector<TensorDecl>& arguments() const { return arguments_; }
  const std::vector<TensorDecl>& results() const { return results_; }
  Module& module() const { return module_; }

  /// Runs the function on the module's default device. `outputs[i]` null: a
  /// new result tensor is stored there; non-null: the result is written into
  /// it (type and shape must match). On failure `outputs` is unchanged.
  Status invoke(Tensor* const* inputs, size_t inputCount, Ref<Tensor>* outputs, size_t outputCount);
  /// The same on the runtime's device `device`; new results live there.
  /// Inputs and outputs must be tensors that device can bind in place.
  Status invokeOn(size_t device, Tensor* const* inputs, size_t inputCount, Ref<Tensor>* outputs,
                  size_t outputCount);

  /// Time spent in one dispatch over the invocations profiled so far.
  struct DispatchProfile {
    std::string kernel;
    int64_t calls = 0;
    int64_t workgroups = 0;  // summed over calls
    double seconds = 0;      // kernel and its barrier, summed over calls
  };
  /// Off by default. When on, invoke() times every dispatch; turning it on
  /// clears what was recorded.
  void setProfiling(bool on);
  bool profiling() const { return profiling_; }
  const std::vector<DispatchProfile>& profile() const { return profile_; }

  /// "f32[T,4]" for a declaration.
  std::string declString(const TensorDecl& decl) const;

 private:
  struct DispatchDecl {
    int kernel;
    size_t firstBinding;  // into bindingBuffers_ / bindingTable_
    size_t bindingCount;
    hexmoe_extent_t workload;
  };

  explicit Function(Module& module) : module_(module) {}
  Status inferDims(Tensor* const* inputs);
  StatusOr<Shape> concreteShape(const TensorDecl& decl) const;
  std::string argumentLabel(size_t index) const;

  Module& module_;
  std::string name_;
  std::string signature_;
  std::vector<std::string> dimNames_;
  std::vector<TensorDecl> arguments_;
  std::vector<TensorDecl> results_;
  std::vector<TensorDecl> transients_;
  struct WeightDecl {
    int buffer;  // index among the function's buffers
    int weight;  // index among the module's weights
  };
  std::vector<WeightDecl> weights_;
  std::vector<DispatchDecl> dispatches_;
  bool profiling_ = false;
  std::vector<DispatchProfile> profile_;  // one per dispatch
  std::vector<int> bindingBuffers_;

  // Scratch reused by every invocation, so steady-state invocations allocate
  // only their new results; guarded by mutex_.
  std::mutex mutex_;
  std::vector<int64_t> dims_;
  std::vector<int> dimSource_;  // the argument each dim was read from
  std::vector<void*> bufferAddresses_;
  std::vector<void*> bindingTable_;
  std::vector<std::vector<std::unique_ptr<hal::Buffer>>> transientBuffers_;  // by device
  std::vector<Ref<Tensor>> newResults_;
};

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_CORE_FUNCTION_H_
