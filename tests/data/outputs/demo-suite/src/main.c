#include <stdio.h>
#include "demo.h"
int main(void) {
    printf("demo %s says %d\n", demo_version(), demo_answer());
    return 0;
}
