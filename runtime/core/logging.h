// Runtime logging through spdlog: one process-wide "hexmoe" logger on stderr.
//
// The level starts at HEXMOE_LOG_LEVEL (trace, debug, info, warn, error, off;
// default warn) and can be changed at any time with setLogLevel.
#ifndef HEXMOE_RUNTIME_CORE_LOGGING_H_
#define HEXMOE_RUNTIME_CORE_LOGGING_H_

#include <spdlog/spdlog.h>

#include <optional>
#include <string>

namespace hexmoe {

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

/// The runtime's logger; created on first use.
spdlog::logger& logger();

void setLogLevel(LogLevel level);
LogLevel logLevel();

/// "trace", "debug", "info", "warn"/"warning", "error", "off"; nullopt otherwise.
std::optional<LogLevel> parseLogLevel(const std::string& name);
const char* logLevelName(LogLevel level);

}  // namespace hexmoe

#define HEXMOE_LOG_TRACE(...) ::hexmoe::logger().trace(__VA_ARGS__)
#define HEXMOE_LOG_DEBUG(...) ::hexmoe::logger().debug(__VA_ARGS__)
#define HEXMOE_LOG_INFO(...) ::hexmoe::logger().info(__VA_ARGS__)
#define HEXMOE_LOG_WARN(...) ::hexmoe::logger().warn(__VA_ARGS__)
#define HEXMOE_LOG_ERROR(...) ::hexmoe::logger().error(__VA_ARGS__)

#endif  // HEXMOE_RUNTIME_CORE_LOGGING_H_
