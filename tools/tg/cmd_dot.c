/*
 * cmd_dot.c -- `tg dot`: the graph of an expression in Graphviz DOT. Each
 * tensor the result depends on is a box with its name or op, its value and
 * its gradient (from a replayed sweep, which keeps the gradients of inner
 * nodes that tg_backward drops); edges run from inputs to the op using them.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tapegrad/inspect.h>

#include "tg.h"

typedef struct {
    FILE *out;
    labeler *names;
    tensor_map *grads, *drawn;
} dot_graph;

/* DOT strings escape quotes and backslashes; everything else is literal. */
static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
}

/* The op name without the library's prefix: "sigmoid" for "tg_sigmoid". */
static const char *short_op(const char *name)
{
    return strncmp(name, "tg_", 3) == 0 ? name + 3 : name;
}

static void put_node(dot_graph *g, const tg_tensor *t)
{
    char value[160], grad[160];
    tg_tensor *gt = tensor_map_get(g->grads, t);
    const char *op = tg_op_name(t);
    fprintf(g->out, "  t%d [label=\"", label_id(g->names, t));
    put_escaped(g->out, label_of(g->names, t));
    if (op) {
        fputs(" = ", g->out);
        put_escaped(g->out, short_op(op));
    }
    fputs("\\nvalue ", g->out);
    put_escaped(g->out, tensor_brief(t, value, sizeof value));
    if (tg_requires_grad(t)) {
        fputs("\\ngrad ", g->out);
        put_escaped(g->out, gt ? tensor_brief(gt, grad, sizeof grad) : "0");
    }
    fprintf(g->out, "\"%s];\n", op ? "" : tg_requires_grad(t) ? ", style=bold" : ", style=dashed");
}

bool is_argument(const tg_tensor *node, int k)
{
    const tg_op_info *row = tg_op_info_of(tg_op_kind_of(node));
    return row && (row->arity == TG_OP_VARIADIC || k < row->arity);
}

/* Draws t and everything it depends on, each once. The walk follows the
 * tape backwards instead of recursing, so deep graphs cannot overflow. */
static int draw(dot_graph *g, tg_tensor *result)
{
    int rc = tensor_map_put(g->drawn, result, result);
    if (rc == 0 && tg_tape_position(result) < 0)
        put_node(g, result);
    for (int64_t pos = tg_tape_position(result); rc == 0 && pos >= 0; pos--) {
        tg_tensor *node = tg_tape_node(pos);
        if (!tensor_map_get(g->drawn, node))
            continue;
        put_node(g, node);
        for (int k = 0; rc == 0 && k < tg_op_num_inputs(node); k++) {
            tg_tensor *x = tg_op_input(node, k);
            if (!is_argument(node, k))
                continue;
            if (!tensor_map_get(g->drawn, x) && tg_tape_position(x) < 0)
                put_node(g, x);
            rc = tensor_map_put(g->drawn, x, x);
            fprintf(g->out, "  t%d -> t%d;\n", label_id(g->names, x), label_id(g->names, node));
        }
    }
    return rc;
}

static int write_dot(FILE *out, const session *s)
{
    dot_graph g = {out, labeler_new(&s->syms, &s->prog), NULL, tensor_map_new()};
    int rc = g.names && g.drawn ? TG_OK : TG_ENOMEM;
    if (rc == 0 && tg_requires_grad(s->prog.result))
        rc = replay_sweep(s->prog.result, NULL, &g.grads);
    if (rc == 0) {
        fputs("digraph tapegrad {\n  rankdir=LR;\n"
              "  node [shape=box, fontname=\"monospace\", fontsize=10];\n", out);
        rc = draw(&g, s->prog.result);
        fputs("}\n", out);
    }
    labeler_free(g.names);
    tensor_map_free(g.grads);
    tensor_map_free(g.drawn);
    return rc;
}

extern char **environ;

/* Starts `dot -Tpng -o FILE` reading from a pipe; *in is its write end. An
 * argument vector, not a shell, so any file name is safe. */
static int spawn_dot(const char *file, pid_t *pid, FILE **in)
{
    int fds[2];
    if (pipe(fds) != 0)
        return errno;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[0], STDIN_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addclose(&actions, fds[1]);
    char *args[] = {"dot", "-Tpng", "-o", (char *)file, NULL};
    int rc = posix_spawnp(pid, "dot", &actions, NULL, args, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[0]);
    if (rc == 0 && !(*in = fdopen(fds[1], "w")))
        rc = errno;
    if (rc != 0)
        close(fds[1]);
    return rc;
}

static int render_png(const session *s, const char *file, diag *d)
{
    pid_t pid;
    FILE *in = NULL;
    int rc = spawn_dot(file, &pid, &in);
    if (rc == ENOENT) {
        diag_plain(d, "--png needs Graphviz's dot program, which is not installed "
                      "(apt-get install graphviz); without --png tg dot prints the DOT text");
        return TG_EXIT_FAILURE;
    }
    if (rc != 0) {
        diag_plain(d, "--png: cannot run dot: %s", strerror(rc));
        return TG_EXIT_FAILURE;
    }
    signal(SIGPIPE, SIG_IGN); /* a dot that exits early must not kill tg */
    rc = write_dot(in, s);
    fclose(in);
    int status;
    bool exited = waitpid(pid, &status, 0) == pid && WIFEXITED(status);
    if (rc != 0 || !exited || WEXITSTATUS(status) != 0) {
        diag_plain(d, "--png: dot could not write %s", file);
        return TG_EXIT_FAILURE;
    }
    return 0;
}

int cmd_dot(int argc, char **argv)
{
    static const char *const options[] = {"--png", "--wrt", NULL};
    cli_args a;
    session s = {0};
    diag d = {0};
    int status = TG_EXIT_USAGE;
    if (parse_cli_args(argc, argv, "dot", options, &a, &d) && session_open(&s, &a, &d)) {
        if (a.png) {
            status = render_png(&s, a.png, &d);
        } else if (write_dot(stdout, &s) == 0) {
            status = 0;
        } else {
            diag_plain(&d, "%s", *tg_last_error() ? tg_last_error() : "out of memory");
            status = TG_EXIT_FAILURE;
        }
    }
    if (status != 0)
        diag_print(&d);
    session_close(&s);
    cli_args_free(&a);
    return status;
}
