// gtest main for the runtime tests. Variables that steer the runtime from
// outside (set by a caller running other suites) are cleared first: these
// tests set what they need themselves.
#include <gtest/gtest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  for (const char* name : {"HEXMOE_CPU_FEATURES", "HEXMOE_CPU_VARIANT", "HEXMOE_THREADS", "HEXMOE_NO_MEMFD"})
    unsetenv(name);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
