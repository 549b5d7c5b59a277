#ifndef DEMO_H
#define DEMO_H
int demo_answer(void);
const char *demo_version(void);
#endif
