// Errors as values for the scheduler library.
//
// The scheduler is pure and self-contained (no device calls, no logging) and
// hexmoe-plan links it without the runtime core, so it carries this small
// header-only Status beside runtime/base/status.h (whose methods live in the
// runtime's objects). Same shape (code + message); folding the two into one
// header-only Status, and plan.h's status enum into hexmoe_status_t, is open.
#ifndef HEXMOE_RUNTIME_SCHEDULER_STATUS_H_
#define HEXMOE_RUNTIME_SCHEDULER_STATUS_H_

#include <optional>
#include <string>
#include <utility>

namespace hexmoe::sched {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // a malformed pool, model, trace, plan or option
  kNotFound,         // a file, preset or device name that does not exist
  kInfeasible,       // the pool cannot hold the model (memory), or lost too much
  kUnimplemented,    // input the planner recognises but does not read yet
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool isOk() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalidArgument(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status notFound(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status infeasible(std::string message) {
  return Status(StatusCode::kInfeasible, std::move(message));
}

/// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design
  StatusOr(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design

  bool isOk() const { return status_.isOk(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace hexmoe::sched

#define HEXMOE_SCHED_CONCAT_INNER(a, b) a##b
#define HEXMOE_SCHED_CONCAT(a, b) HEXMOE_SCHED_CONCAT_INNER(a, b)

/// Returns the Status from the enclosing function when `expr` failed.
#define HEXMOE_SCHED_RETURN_IF_ERROR(expr)                       \
  do {                                                           \
    ::hexmoe::sched::Status hexmoe_sched_status_ = (expr);       \
    if (!hexmoe_sched_status_.isOk()) return hexmoe_sched_status_; \
  } while (false)

/// `HEXMOE_SCHED_ASSIGN_OR_RETURN(auto x, f());` unwraps a StatusOr.
#define HEXMOE_SCHED_ASSIGN_OR_RETURN(lhs, expr)                                \
  auto HEXMOE_SCHED_CONCAT(hexmoe_sched_or_, __LINE__) = (expr);                \
  if (!HEXMOE_SCHED_CONCAT(hexmoe_sched_or_, __LINE__).isOk())                  \
    return HEXMOE_SCHED_CONCAT(hexmoe_sched_or_, __LINE__).status();            \
  lhs = std::move(HEXMOE_SCHED_CONCAT(hexmoe_sched_or_, __LINE__)).value()

#endif  // HEXMOE_RUNTIME_SCHEDULER_STATUS_H_
