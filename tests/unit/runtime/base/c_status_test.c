/* The C API's status calls as a C caller uses them: any int is a code. */
#include <hexmoe/hexmoe.h>
#include <stdio.h>
#include <string.h>

static int expect(const char* got, const char* want, int raw) {
  if (strcmp(got, want) == 0) return 0;
  fprintf(stderr, "hexmoe_status_code_name(%d) = \"%s\", expected \"%s\"\n", raw, got, want);
  return 1;
}

int main(void) {
  int failures = 0;
  /* C lets any int convert to an enum; the name is "UNKNOWN", never undefined. */
  failures += expect(hexmoe_status_code_name((hexmoe_status_code_t)999), "UNKNOWN", 999);
  failures += expect(hexmoe_status_code_name((hexmoe_status_code_t)-7), "UNKNOWN", -7);
  failures += expect(hexmoe_status_code_name((hexmoe_status_code_t)7), "PERMISSION_DENIED", 7);
  failures += expect(hexmoe_status_code_name(HEXMOE_STATUS_DATA_LOSS), "DATA_LOSS", 15);
  failures += hexmoe_status_code(NULL) != HEXMOE_STATUS_OK;
  failures += strcmp(hexmoe_status_message(NULL), "") != 0;
  hexmoe_status_free(NULL);
  if (failures == 0) printf("c_status_test: ok\n");
  return failures ? 1 : 0;
}
