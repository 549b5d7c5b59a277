/* Read lines from a pipe with readline(), add them to the history and print them back. */
#include <stdio.h>
#include <stdlib.h>
#include <readline/readline.h>
#include <readline/history.h>

int main(void) {
    char *line;
    if (rl_readline_version != 0x0802 || rl_library_version == NULL) {
        fprintf(stderr, "unexpected readline version 0x%04x\n", rl_readline_version);
        return 1;
    }
    rl_outstream = stderr; /* keep the prompt echo out of stdout */
    using_history();
    while ((line = readline("> ")) != NULL) {
        printf("got: %s\n", line);
        add_history(line);
        free(line);
    }
    printf("history: %d\n", history_length);
    printf("library: %s\n", rl_library_version);
    return 0;
}
