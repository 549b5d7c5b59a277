#include "demo.h"
int demo_answer(void) { return 42; }
const char *demo_version(void) { return DEMO_VERSION; }
