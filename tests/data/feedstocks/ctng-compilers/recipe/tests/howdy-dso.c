#include <libhowdy.h>

int main(void) {
    howdy();
    return 0;
}
