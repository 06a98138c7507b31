// Status: codes, messages and propagation traces.
#include "runtime/base/status.h"

#include <cerrno>
#include <cstring>

namespace hexmoe {

const char* statusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kUnknown: return "UNKNOWN";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDataLoss: return "DATA_LOSS";
  }
  return "UNKNOWN";
}

Status::Status(StatusCode code, std::string message) {
  // An OK code never carries a message: keep OK allocation-free.
  if (code != StatusCode::kOk) rep_.reset(new Rep{code, std::move(message), {}});
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

const std::vector<std::string>& Status::trace() const {
  static const std::vector<std::string> kEmpty;
  return rep_ ? rep_->trace : kEmpty;
}

std::string Status::toString() const {
  if (!rep_) return "OK";
  std::string s = std::string(statusCodeName(rep_->code)) + ": " + rep_->message;
  if (!rep_->trace.empty()) {
    s += " [at ";
    for (size_t i = 0; i < rep_->trace.size(); ++i) {
      if (i) s += ", ";
      s += rep_->trace[i];
    }
    s += "]";
  }
  return s;
}

Status&& Status::at(const char* file, int line) && {
  if (rep_) rep_->trace.push_back(std::string(file) + ":" + std::to_string(line));
  return std::move(*this);
}

Status&& Status::withPrefix(const std::string& prefix) && {
  if (rep_) rep_->message = prefix + rep_->message;
  return std::move(*this);
}

Status errnoStatus(int err, const std::string& what) {
  StatusCode code = StatusCode::kInternal;
  switch (err) {
    case ENOENT: code = StatusCode::kNotFound; break;
    case EACCES:
    case EPERM:
    case EISDIR:
    case EINVAL: code = StatusCode::kInvalidArgument; break;
    case ENOMEM: code = StatusCode::kResourceExhausted; break;
    default: break;
  }
  return Status(code, what + ": " + std::strerror(err));
}

}  // namespace hexmoe
