/* fuzz_tg.c -- libFuzzer target: the tg commands in-process. The input is
 * the command line, its arguments separated by NUL bytes: the first names
 * grad, explain, dot or lint (by its value modulo 4, when not a name), the
 * rest are the expression, NAME=VALUE pairs and options. --png is dropped
 * (it would run Graphviz). Run with -close_fd_mask=3: the commands print. */
#include "fuzz_common.h"
#include "tg.h"

#define MAX_ARGS 32

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* tg's own budget, smaller: a fuzzer must not spend its time (or the
     * machine's memory) on expressions that broadcast to gigabytes */
    tg_set_memory_limit((size_t)64 << 20);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int (*const commands[])(int, char **) = {cmd_grad, cmd_explain, cmd_dot, cmd_lint};
    static const char *const names[] = {"grad", "explain", "dot", "lint"};
    if (size == 0 || size > 4096)
        return 0;
    char *text = malloc(size + 1), *args[MAX_ARGS];
    memcpy(text, data, size);
    text[size] = '\0';
    int n = 0;
    for (char *p = text; p < text + size && n < MAX_ARGS; p += strlen(p) + 1)
        if (strncmp(p, "--png", 5) != 0)
            args[n++] = p;
    int which = n ? (unsigned char)args[0][0] % 4 : 0;
    for (int i = 0; n && i < 4; i++)
        if (strcmp(args[0], names[i]) == 0)
            which = i;
    if (n)
        commands[which](n - 1, args + 1);
    free(text);
    tg_tape_destroy(); /* as tg's main does after each command */
    return 0;
}
