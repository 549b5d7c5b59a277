/* The gcc recipe's test: printf through the target's glibc, a division libgcc may be asked for, and a thread-local. */
#include <stdio.h>
#include <stdlib.h>

#if defined(__aarch64__)
#define MACHINE "aarch64"
#elif defined(__x86_64__)
#define MACHINE "x86_64"
#else
#error "hello.c: an unknown machine"
#endif

static __thread int counter = 40;

int main(int argc, char **argv) {
    (void)argv;
    unsigned __int128 big = ((unsigned __int128)1 << 100) / (unsigned)(argc + 2);
    counter += argc + 1;
    printf("hello from " MACHINE ": %d %llu\n", counter, (unsigned long long)(big >> 64));
    return counter == 42 ? EXIT_SUCCESS : EXIT_FAILURE;
}
