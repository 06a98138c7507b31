// Function signatures and invocation.
#include "runtime/core/function.h"

#include <chrono>
#include <limits>
#include <map>

#include "artifact_generated.h"
#include "runtime/core/logging.h"
#include "runtime/core/module.h"

namespace hexmoe {
namespace {

// The artifact's element types are read as the runtime's by value.
static_assert(static_cast<int>(ElementType::kF32) == schema::ElementType_f32, "f32");
static_assert(static_cast<int>(ElementType::kBF16) == schema::ElementType_bf16, "bf16");
static_assert(static_cast<int>(ElementType::kI32) == schema::ElementType_i32, "i32");
static_assert(static_cast<int>(ElementType::kI64) == schema::ElementType_i64, "i64");
static_assert(static_cast<int>(ElementType::kF8E4M3) == schema::ElementType_f8e4m3, "f8e4m3");
static_assert(static_cast<int>(ElementType::kI8) == schema::ElementType_i8, "i8");
static_assert(static_cast<int>(ElementType::kF16) == schema::ElementType_f16, "f16");
static_assert(kNumElementTypes == schema::ElementType_MAX + 1, "the schema and the runtime list the same types");

/// Clears a vector of references on scope exit, so a failed invocation does
/// not hold on to the results it allocated.
struct ClearOnExit {
  std::vector<Ref<Tensor>>& refs;
  ~ClearOnExit() {
    for (Ref<Tensor>& r : refs) r = Ref<Tensor>();
  }
};

/// Places declarations by their position (argument i, result i), checking
/// that positions run 0..n-1 without gaps or repeats.
Status orderByIndex(std::map<int, TensorDecl>& byIndex, const char* kind, const std::string& where,
                    std::vector<TensorDecl>& out) {
  int expected = 0;
  for (auto& [index, decl] : byIndex) {
    if (index != expected)
      return dataLoss(where + kind + " " + std::to_string(expected) + " is not declared");
    if (decl.name.empty()) decl.name = std::string(kind) + std::to_string(index);
    out.push_back(std::move(decl));
    ++expected;
  }
  return okStatus();
}

}  // namespace

StatusOr<std::unique_ptr<Function>> Function::build(const schema::Function& fn, Module& module,
                                                    const std::vector<std::string>& kernelNames,
                                                    const std::string& what) {
  std::unique_ptr<Function> f(new Function(module));
  f->name_ = fn.name()->str();
  const std::string where = what + ": function '" + f->name_ + "': ";
  if (fn.dim_names()) {
    for (const flatbuffers::String* s : *fn.dim_names()) {
      std::string name = s->str();
      if (name.empty()) name = "d" + std::to_string(f->dimNames_.size());
      f->dimNames_.push_back(std::move(name));
    }
  }

  std::map<int, TensorDecl> arguments, results;
  const size_t numBuffers = fn.buffers() ? fn.buffers()->size() : 0;
  for (size_t b = 0; b < numBuffers; ++b) {
    const schema::Buffer* buf = fn.buffers()->Get(b);
    TensorDecl decl;
    decl.name = buf->name() ? buf->name()->str() : "";
    decl.type = static_cast<ElementType>(buf->element_type());
    decl.buffer = static_cast<int>(b);
    if (buf->shape()) {
      for (const schema::Extent* e : *buf->shape())
        decl.extents.push_back(hexmoe_extent_t{e->static_size(), e->dim(), e->factor()});
    }
    if (buf->kind() == schema::BufferKind_weight) {  // the verifier checked the index
      f->weights_.push_back({static_cast<int>(b), buf->index()});
      continue;
    }
    if (buf->kind() == schema::BufferKind_transient) {
      if (decl.name.empty()) decl.name = "transient" + std::to_string(b);
      f->transients_.push_back(std::move(decl));
      continue;
    }
    const bool isArgument = buf->kind() == schema::BufferKind_argument;
    std::map<int, TensorDecl>& slot = isArgument ? arguments : results;
    const char* kind = isArgument ? "argument" : "result";
    if (buf->index() < 0 || static_cast<size_t>(buf->index()) >= numBuffers)
      return dataLoss(where + "buffer " + std::to_string(b) + " claims to be " + kind + " " +
                      std::to_string(buf->index()));
    if (!slot.emplace(buf->index(), std::move(decl)).second)
      return dataLoss(where + kind + " " + std::to_string(buf->index()) + " is declared twice");
  }
  HEXMOE_RETURN_IF_ERROR(orderByIndex(arguments, "argument", where, f->arguments_));
  HEXMOE_RETURN_IF_ERROR(orderByIndex(results, "result", where, f->results_));

  // Sizes are read from the arguments alone; one no argument carries could
  // never be known.
  for (size_t d = 0; d < f->dimNames_.size(); ++d) {
    bool found = false;
    for (const TensorDecl& arg : f->arguments_)
      for (const hexmoe_extent_t& e : arg.extents) found |= e.dim == static_cast<int>(d);
    if (!found)
      return dataLoss(where + "dynamic size '" + f->dimNames_[d] + "' is in no argument's shape");
  }

  if (fn.dispatches()) {
    for (const schema::Dispatch* d : *fn.dispatches()) {
      const schema::Extent* w = d->workload();  // present: the verifier checked
      DispatchDecl decl{d->kernel(), f->bindingBuffers_.size(), 0,
                        hexmoe_extent_t{w->static_size(), w->dim(), w->factor()}};
      if (d->bindings())
        for (int b : *d->bindings()) f->bindingBuffers_.push_back(b);
      decl.bindingCount = f->bindingBuffers_.size() - decl.firstBinding;
      f->dispatches_.push_back(decl);
      DispatchProfile entry;
      entry.kernel = kernelNames.at(static_cast<size_t>(d->kernel()));
      f->profile_.push_back(std::move(entry));
    }
  }

  f->dims_.assign(f->dimNames_.size(), -1);
  f->dimSource_.assign(f->dimNames_.size(), -1);
  f->bufferAddresses_.assign(numBuffers, nullptr);
  f->bindingTable_.assign(f->bindingBuffers_.size(), nullptr);
  f->transientBuffers_.resize(module.runtime().deviceCount());
  f->newResults_.resize(f->results_.size());

  std::string sig = f->name_ + "(";
  for (size_t i = 0; i < f->arguments_.size(); ++i)
    sig += (i ? ", " : "") + f->arguments_[i].name + ": " + f->declString(f->arguments_[i]);
  sig += ") -> (";
  for (size_t i = 0; i < f->results_.size(); ++i)
    sig += (i ? ", " : "") + f->results_[i].name + ": " + f->declString(f->results_[i]);
  f->signature_ = sig + ")";
  return f;
}

std::string Function::declString(const TensorDecl& decl) const {
  std::string s = std::string(elementTypeName(decl.type)) + "[";
  for (size_t i = 0; i < decl.extents.size(); ++i) {
    const hexmoe_extent_t& e = decl.extents[i];
    if (i) s += ",";
    if (e.dim < 0) {
      s += std::to_string(e.static_size);
    } else {
      if (e.factor != 1) s += std::to_string(e.factor) + "*";
      s += dimNames_[e.dim];
    }
  }
  return s + "]";
}

std::string Function::argumentLabel(size_t index) const {
  return "argument " + std::to_string(index) + " (" + arguments_[index].name + ")";
}

Status Function::inferDims(Tensor* const* inputs) {
  std::fill(dims_.begin(), dims_.end(), -1);
  for (size_t i = 0; i < arguments_.size(); ++i) {
    const TensorDecl& decl = arguments_[i];
    const Tensor* t = inputs[i];
    if (!t) return invalidArgument(argumentLabel(i) + ": no tensor given");
    // "f32 [T,4]": the declaration, spaced as formatTensorType spaces shapes.
    std::string expected = declString(decl);
    expected.insert(expected.find('['), " ");
    auto mismatch = [&](const std::string& detail) {
      return invalidArgument(argumentLabel(i) + ": expected " + expected + ", got " + t->typeString() + detail);
    };
    if (t->type() != decl.type || t->shape().size() != decl.extents.size()) return mismatch("");
    for (size_t j = 0; j < decl.extents.size(); ++j) {
      const hexmoe_extent_t& e = decl.extents[j];
      const int64_t size = t->shape()[j];
      if (e.dim < 0) {
        if (size != e.static_size) return mismatch("");
        continue;
      }
      if (size % e.factor != 0)
        return mismatch(" (" + std::to_string(size) + " is not a multiple of " + std::to_string(e.factor) + ")");
      const int64_t value = size / e.factor;
      int64_t& dim = dims_[e.dim];
      if (dim < 0) {
        dim = value;
        dimSource_[e.dim] = static_cast<int>(i);
      } else if (dim != value) {
        const std::string source = dimSource_[e.dim] == static_cast<int>(i)
                                       ? "earlier in this argument"
                                       : "from " + argumentLabel(dimSource_[e.dim]);
        return invalidArgument(argumentLabel(i) + ": expected " + expected + " with " + dimNames_[e.dim] +
                               "=" + std::to_string(dim) + " (" + source + "), got " + t->typeString());
      }
    }
  }
  return okStatus();
}

StatusOr<Shape> Function::concreteShape(const TensorDecl& decl) const {
  Shape shape;
  shape.reserve(decl.extents.size());
  for (const hexmoe_extent_t& e : decl.extents) {
    if (e.dim < 0) {
      shape.push_back(e.static_size);
      continue;
    }
    const int64_t d = dims_[e.dim];
    if (d > 0 && e.factor > std::numeric_limits<int64_t>::max() / d)
      return invalidArgument(decl.name + ": " + std::to_string(e.factor) + "*" + dimNames_[e.dim] +
                             " overflows for " + dimNames_[e.dim] + "=" + std::to_string(d));
    shape.push_back(d * e.factor);
  }
  return shape;
}

Status Function::invoke(Tensor* const* inputs, size_t inputCount, Ref<Tensor>* outputs, size_t outputCount) {
  return invokeOn(module_.defaultDevice(), inputs, inputCount, outputs, outputCount);
}

Status Function::invokeOn(size_t deviceIndex, Tensor* const* inputs, size_t inputCount, Ref<Tensor>* outputs,
                          size_t outputCount) {
  HEXMOE_RETURN_IF_ERROR(module_.checkDevice(deviceIndex).status());
  if (inputCount != arguments_.size())
    return invalidArgument(name_ + ": expected " + std::to_string(arguments_.size()) + " inputs, got " +
                           std::to_string(inputCount));
  if (outputCount != results_.size())
    return invalidArgument(name_ + ": expected " + std::to_string(results_.size()) + " output slots, got " +
                           std::to_string(outputCount));
  if ((inputCount && !inputs) || (outputCount && !outputs))
    return invalidArgument(name_ + ": null input or output array");

  std::lock_guard<std::mutex> lock(mutex_);
  ClearOnExit clearNewResults{newResults_};
  HEXMOE_RETURN_IF_ERROR(inferDims(inputs));
  hal::Device& device = module_.runtime().device(deviceIndex);
  // A tensor of another device (or another runtime) is bound in place where
  // this device can address it, as CPU devices do host memory.
  auto unbindable = [&](const Tensor& t, const std::string& label) {
    return invalidArgument(label + " lives on " + t.deviceName() + ", which " + device.info().name +
                           " cannot use in place; copy it there first (hexmoe_tensor_copy)");
  };
  for (size_t i = 0; i < arguments_.size(); ++i) {
    if (!device.canBind(inputs[i]->buffer())) return unbindable(*inputs[i], argumentLabel(i));
    bufferAddresses_[arguments_[i].buffer] = inputs[i]->buffer().deviceAddress();
  }

  for (const WeightDecl& w : weights_) {
    StatusOr<const hal::Buffer*> buffer = module_.weights().buffer(static_cast<size_t>(w.weight), device, deviceIndex);
    if (!buffer.ok()) return std::move(buffer).status().withPrefix(name_ + ": ").at(__FILE__, __LINE__);
    bufferAddresses_[w.buffer] = (*buffer)->deviceAddress();
  }

  for (size_t r = 0; r < results_.size(); ++r) {
    const TensorDecl& decl = results_[r];
    const std::string label = "result " + std::to_string(r) + " (" + decl.name + ")";
    HEXMOE_ASSIGN_OR_RETURN(Shape shape, concreteShape(decl));
    Tensor* target = outputs[r].get();
    if (target) {
      if (target->type() != decl.type || target->shape() != shape)
        return invalidArgument(label + ": the output tensor is " + target->typeString() + ", expected " +
                               formatTensorType(decl.type, shape));
      for (size_t i = 0; i < inputCount; ++i)
        if (inputs[i] == target) return invalidArgument(label + ": the output tensor is also " + argumentLabel(i));
      if (!device.canBind(target->buffer())) return unbindable(*target, label + ": the output tensor");
    } else {
      StatusOr<Ref<Tensor>> made = Tensor::allocate(module_.runtimeRef(), deviceIndex, decl.type, std::move(shape));
      if (!made.ok()) return std::move(made).status().withPrefix(label + ": ").at(__FILE__, __LINE__);
      newResults_[r] = std::move(*made);
      target = newResults_[r].get();
    }
    bufferAddresses_[decl.buffer] = target->buffer().deviceAddress();
  }

  std::vector<std::unique_ptr<hal::Buffer>>& transientBuffers = transientBuffers_[deviceIndex];
  transientBuffers.resize(transients_.size());
  for (size_t t = 0; t < transients_.size(); ++t) {
    const TensorDecl& decl = transients_[t];
    HEXMOE_ASSIGN_OR_RETURN(Shape shape, concreteShape(decl));
    std::optional<int64_t> count = elementCount(shape);
    std::optional<size_t> bytes = count ? byteSize(decl.type, *count) : std::nullopt;
    if (!bytes) return invalidArgument(decl.name + ": " + formatTensorType(decl.type, shape) + " is too large");
    std::unique_ptr<hal::Buffer>& buffer = transientBuffers[t];
    if (!buffer || buffer->size() < *bytes) {
      buffer.reset();  // free the old one first: it is too small anyway
      StatusOr<std::unique_ptr<hal::Buffer>> grown = device.allocateBuffer(*bytes);
      if (!grown.ok()) return std::move(grown).status().withPrefix(decl.name + ": ").at(__FILE__, __LINE__);
      buffer = std::move(*grown);
    }
    bufferAddresses_[decl.buffer] = buffer->deviceAddress();
  }

  for (size_t k = 0; k < bindingBuffers_.size(); ++k) bindingTable_[k] = bufferAddresses_[bindingBuffers_[k]];

  static const int64_t kNoDims = 0;
  const int64_t* dims = dims_.empty() ? &kNoDims : dims_.data();
  hal::Queue& queue = device.queue();
  const hal::Executable& executable = *module_.executable(deviceIndex);
  for (size_t i = 0; i < dispatches_.size(); ++i) {
    const DispatchDecl& d = dispatches_[i];
    const hal::KernelLaunch& launch = executable.launches()[d.kernel];
    int64_t count = launch.workgroups;
    if (launch.tile > 0) {
      const hexmoe_extent_t& w = d.workload;
      int64_t work = w.static_size;
      if (w.dim >= 0) {
        if (dims_[w.dim] > 0 && w.factor > std::numeric_limits<int64_t>::max() / dims_[w.dim])
          return invalidArgument(name_ + ": the workload of dispatch " + std::to_string(i) + " overflows");
        work = dims_[w.dim] * w.factor;
      }
      const int64_t tiles = work == 0 ? 0 : (work - 1) / launch.tile + 1;
      if (tiles > 0 && count > std::numeric_limits<int64_t>::max() / tiles)
        return invalidArgument(name_ + ": workgroup count overflows");
      count *= tiles;
    }
    const auto start = profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    HEXMOE_RETURN_IF_ERROR(
        queue.dispatch(executable, d.kernel, hal::DispatchArgs{bindingTable_.data() + d.firstBinding, dims, dims_.size(), count}));
    if (profiling_) {
      // The CPU queue runs a dispatch to completion before the next starts.
      HEXMOE_RETURN_IF_ERROR(queue.finish());
      DispatchProfile& p = profile_[i];
      p.calls += 1;
      p.workgroups += count;
      p.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  HEXMOE_RETURN_IF_ERROR(queue.finish());

  for (size_t r = 0; r < results_.size(); ++r)
    if (newResults_[r]) outputs[r] = std::move(newResults_[r]);
  return okStatus();
}

void Function::setProfiling(bool on) {
  profiling_ = on;
  for (DispatchProfile& p : profile_) p.calls = 0, p.workgroups = 0, p.seconds = 0;
}

}  // namespace hexmoe
