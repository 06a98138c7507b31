// Intrusive reference counting for the objects that cross the C API
// (runtime, module, buffer). Everything else is owned by std::unique_ptr.
#ifndef HEXMOE_RUNTIME_CORE_REF_COUNTED_H_
#define HEXMOE_RUNTIME_CORE_REF_COUNTED_H_

#include <atomic>
#include <utility>

namespace hexmoe {

class RefCounted {
 public:
  RefCounted() = default;
  RefCounted(const RefCounted&) = delete;
  RefCounted& operator=(const RefCounted&) = delete;

  void retain() const { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() const {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

 protected:
  virtual ~RefCounted() = default;

 private:
  mutable std::atomic<int> refs_{1};
};

/// An owning reference. `Ref<T>::adopt(new T)` takes the initial count.
template <typename T>
class Ref {
 public:
  Ref() = default;
  static Ref adopt(T* p) { Ref r; r.p_ = p; return r; }
  /// Adds a reference to an object someone else owns.
  static Ref share(T* p) {
    if (p) p->retain();
    return adopt(p);
  }
  Ref(const Ref& o) : p_(o.p_) { if (p_) p_->retain(); }
  Ref(Ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  Ref& operator=(Ref o) noexcept { std::swap(p_, o.p_); return *this; }
  ~Ref() { if (p_) p_->release(); }

  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  /// Gives up ownership without releasing (the C API hands it to the caller).
  T* detach() { return std::exchange(p_, nullptr); }

 private:
  T* p_ = nullptr;
};

}  // namespace hexmoe

#endif  // HEXMOE_RUNTIME_CORE_REF_COUNTED_H_
