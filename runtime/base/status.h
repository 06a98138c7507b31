// Status and StatusOr: errors as values, for every runtime library.
//
// The base library sits below the schema, the runtime core, the drivers and
// the scheduler, and depends on the C++ standard library alone. A Status is
// OK (no allocation) or a code, a message and the source locations it passed
// through on its way up (HEXMOE_RETURN_IF_ERROR appends one per hop). The C
// APIs turn it into a hexmoe_status_code_t (hexmoe.h) at the boundary.
#ifndef HEXMOE_RUNTIME_BASE_STATUS_H_
#define HEXMOE_RUNTIME_BASE_STATUS_H_

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hexmoe {

/// The same numbering as absl::StatusCode and hexmoe_status_code_t.
enum class StatusCode : int {
  kOk = 0,
  kUnknown = 2,
  kInvalidArgument = 3,
  kNotFound = 5,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
};

const char* statusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  /// The message alone, as a user should read it.
  const std::string& message() const;
  /// "file:line" of each hop, innermost first.
  const std::vector<std::string>& trace() const;
  /// "<code>: <message> [at a.cpp:1, b.cpp:2]" for logs.
  std::string toString() const;

  /// Records a source location; used by the macros below.
  Status&& at(const char* file, int line) &&;
  /// Prepends context: "loading x.hxm: " + message.
  Status&& withPrefix(const std::string& prefix) &&;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
    std::vector<std::string> trace;
  };
  std::unique_ptr<Rep> rep_;
};

inline Status okStatus() { return Status(); }
inline Status invalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status notFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status failedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status permissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status resourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status outOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status internalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status dataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }

/// Converts an errno value from a failed system call: "what: strerror".
Status errnoStatus(int err, const std::string& what);

/// A value or the Status saying why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr built from an OK status without a value");
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const& { return status_; }
  Status&& status() && { return std::move(status_); }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace hexmoe

#define HEXMOE_STATUS_CONCAT_INNER(a, b) a##b
#define HEXMOE_STATUS_CONCAT(a, b) HEXMOE_STATUS_CONCAT_INNER(a, b)

/// Returns the status of `expr` from the enclosing function unless it is OK,
/// recording this file and line in its trace.
#define HEXMOE_RETURN_IF_ERROR(expr)                                \
  do {                                                              \
    ::hexmoe::Status hexmoe_status_ = (expr);                       \
    if (!hexmoe_status_.ok())                                       \
      return std::move(hexmoe_status_).at(__FILE__, __LINE__);      \
  } while (0)

/// `HEXMOE_ASSIGN_OR_RETURN(auto x, makeX());` declares x from a StatusOr or
/// returns its error (with this file and line recorded).
#define HEXMOE_ASSIGN_OR_RETURN(lhs, expr) \
  HEXMOE_ASSIGN_OR_RETURN_IMPL(HEXMOE_STATUS_CONCAT(hexmoe_statusor_, __LINE__), lhs, expr)
#define HEXMOE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)        \
  auto tmp = (expr);                                        \
  if (!tmp.ok()) return std::move(tmp).status().at(__FILE__, __LINE__); \
  lhs = std::move(tmp).value()

#endif  // HEXMOE_RUNTIME_BASE_STATUS_H_
