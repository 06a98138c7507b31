// The process-wide runtime logger.
#include "runtime/core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>

namespace hexmoe {
namespace {

spdlog::level::level_enum toSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::warn;
}

/// Not registered in spdlog's global registry: an embedding application may
/// use spdlog itself, and its registry must not see (or drop) ours.
std::shared_ptr<spdlog::logger> makeLogger() {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto log = std::make_shared<spdlog::logger>("hexmoe", std::move(sink));
  log->set_pattern("[hexmoe %L] %v");
  LogLevel level = LogLevel::kWarn;
  if (const char* env = std::getenv("HEXMOE_LOG_LEVEL")) {
    if (auto parsed = parseLogLevel(env)) level = *parsed;
  }
  log->set_level(toSpdlog(level));
  log->flush_on(spdlog::level::warn);
  return log;
}

}  // namespace

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = makeLogger();
  return *instance;
}

void setLogLevel(LogLevel level) { logger().set_level(toSpdlog(level)); }

LogLevel logLevel() {
  switch (logger().level()) {
    case spdlog::level::trace: return LogLevel::kTrace;
    case spdlog::level::debug: return LogLevel::kDebug;
    case spdlog::level::info: return LogLevel::kInfo;
    case spdlog::level::warn: return LogLevel::kWarn;
    case spdlog::level::err:
    case spdlog::level::critical: return LogLevel::kError;
    default: return LogLevel::kOff;
  }
}

std::optional<LogLevel> parseLogLevel(const std::string& name) {
  if (name == "trace") return LogLevel::kTrace;
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  if (name == "off") return LogLevel::kOff;
  return std::nullopt;
}

const char* logLevelName(LogLevel level) {
  static const char* const kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
  return kNames[static_cast<int>(level)];
}

}  // namespace hexmoe
