#include <stdio.h>

void howdy(void) {
    printf("Howdy Y'all!\n");
}
