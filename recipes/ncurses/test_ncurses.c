/* Check ncurses' version and look xterm up in the terminfo database given by $TERMINFO (no screen needed). */
#include <stdio.h>
#include <string.h>
#include <curses.h>
#include <term.h>

int main(void) {
    int err = 0;
    const char *clear;
    int colors;
    if (strncmp(curses_version(), "ncurses 6.4", 11) != 0) {
        fprintf(stderr, "unexpected version %s\n", curses_version());
        return 1;
    }
    if (setupterm("xterm", 1, &err) != OK) {
        fprintf(stderr, "setupterm(xterm) failed: %d\n", err);
        return 1;
    }
    clear = tigetstr("clear");
    if (clear == NULL || clear == (char *)-1 || strcmp(clear, "\033[H\033[2J") != 0) {
        fprintf(stderr, "unexpected clear capability\n");
        return 1;
    }
    colors = tigetnum("colors");
    if (colors != 8) {
        fprintf(stderr, "xterm colors = %d, expected 8\n", colors);
        return 1;
    }
    if (setupterm("no-such-terminal-archi", 1, &err) == OK || err != 0) {
        fprintf(stderr, "unknown terminal was accepted (err %d)\n", err);
        return 1;
    }
    printf("%s: xterm clear and colors OK\n", curses_version());
    return 0;
}
