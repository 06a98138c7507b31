// Status, StatusOr, the propagation macros, logging levels and C statuses.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "runtime/core/logging.h"
#include "runtime/core/module.h"
#include "runtime/base/status.h"
#include "tests/unit/runtime/runtime_test_util.h"

namespace hexmoe {
namespace {

Status failing() { return invalidArgument("bad thing"); }

Status propagates() {
  HEXMOE_RETURN_IF_ERROR(failing());
  return okStatus();
}

StatusOr<int> value(bool ok) {
  if (!ok) return notFound("no value");
  return 42;
}

Status assigns(bool ok, int& out) {
  HEXMOE_ASSIGN_OR_RETURN(out, value(ok));
  return okStatus();
}

TEST(Status, OkCarriesNothing) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_TRUE(s.trace().empty());
  EXPECT_EQ(s.toString(), "OK");
  EXPECT_TRUE(Status(StatusCode::kOk, "ignored").ok());
}

TEST(Status, ReturnIfErrorRecordsWhereItPassed) {
  Status s = propagates();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "bad thing");
  ASSERT_EQ(s.trace().size(), 1u);
  EXPECT_NE(s.trace()[0].find("status_test.cpp:"), std::string::npos) << s.trace()[0];
  EXPECT_NE(s.toString().find("INVALID_ARGUMENT: bad thing [at "), std::string::npos) << s.toString();
}

TEST(Status, AssignOrReturn) {
  int out = 0;
  EXPECT_TRUE(assigns(true, out).ok());
  EXPECT_EQ(out, 42);
  Status s = assigns(false, out);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.trace().size(), 1u);
}

TEST(Status, CopiesAreIndependent) {
  Status a = internalError("a");
  Status b = a;
  b = std::move(b).withPrefix("ctx: ");
  EXPECT_EQ(a.message(), "a");
  EXPECT_EQ(b.message(), "ctx: a");
}

TEST(Status, ErrnoCodes) {
  EXPECT_EQ(errnoStatus(ENOENT, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(errnoStatus(ENOMEM, "x").code(), StatusCode::kResourceExhausted);
  EXPECT_NE(errnoStatus(ENOENT, "f.hxm").message().find("f.hxm: "), std::string::npos);
}

TEST(Status, RuntimeTracesAreRelativeToTheSourceTree) {
  // A module load failure passes through runtime code; its trace names the
  // files as runtime/..., not by absolute build paths.
  test::RuntimePtr rt = test::makeRuntime();
  StatusOr<Ref<Module>> m = Module::loadFile(Ref<Runtime>::share(reinterpret_cast<Runtime*>(rt.get())),
                                             "/nonexistent/x.hxm");
  ASSERT_FALSE(m.ok());
  ASSERT_FALSE(m.status().trace().empty());
  for (const std::string& where : m.status().trace()) EXPECT_EQ(where.rfind("runtime/", 0), 0u) << where;
}

TEST(CStatus, NullIsOk) {
  EXPECT_EQ(hexmoe_status_code(nullptr), HEXMOE_STATUS_OK);
  EXPECT_STREQ(hexmoe_status_message(nullptr), "");
  hexmoe_status_free(nullptr);
  EXPECT_STREQ(hexmoe_status_code_name(HEXMOE_STATUS_DATA_LOSS), "DATA_LOSS");
}

// A code outside the enum, as a C caller may pass: c_status_test.c (in C++
// loading such a value is itself undefined).

TEST(CStatus, NullArgumentsAreErrorsNotCrashes) {
  test::Result r = test::take(hexmoe_runtime_create(nullptr, nullptr));
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(r.message, "out_runtime is null");
  r = test::take(hexmoe_module_load_file(nullptr, "x", nullptr));
  EXPECT_EQ(r.code, HEXMOE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(hexmoe_module_function_count(nullptr), 0u);
  EXPECT_STREQ(hexmoe_version(), "0.1.0");
}

TEST(Logging, LevelsParseAndApply) {
  EXPECT_EQ(parseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(parseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_FALSE(parseLogLevel("loud").has_value());
  const LogLevel before = logLevel();
  hexmoe_set_log_level(HEXMOE_LOG_ERROR);
  EXPECT_EQ(logLevel(), LogLevel::kError);
  hexmoe_set_log_level(static_cast<hexmoe_log_level_t>(17));  // ignored
  EXPECT_EQ(logLevel(), LogLevel::kError);
  setLogLevel(before);
  EXPECT_STREQ(logLevelName(LogLevel::kInfo), "info");
}

}  // namespace
}  // namespace hexmoe
