/*
 * cmd_dot.c -- `tg dot`: the graph of an expression in Graphviz DOT. Each
 * tensor the result depends on is a box with its name and what its op
 * computes, written as explain writes it (`v3 = 0.5 * v2`, `v2 = v1^2`, so
 * the constants a scalar op keeps are shown), its shape, its value and its
 * gradient (from a replayed sweep, which keeps the gradients of inner nodes
 * that tg_backward drops); edges run from inputs to the op using them, and
 * with --edges derivative carry the local derivative of the op's result
 * with respect to that input.
 *
 * The layout is ranked top to bottom: inputs above the ops that read them,
 * the result at the bottom. A network's graph is a long chain (the notes'
 * 3-layer network is 13 ops deep) with short side branches (each layer's W
 * and b), and boxes that hold a matrix are wide: left to right, such a
 * chain is several screens wide with its labels side by side; top to
 * bottom it reads like the network's equations, one op per line.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tapegrad/inspect.h>

#include "explain.h"

typedef struct {
    FILE *out;
    labeler *names;
    tensor_map *grads, *drawn;
    const tg_tensor *result;
    bool derivative_edges; /* --edges derivative */
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

static void put_node(dot_graph *g, const tg_tensor *t)
{
    char text[1024];
    tg_tensor *gt = tensor_map_get(g->grads, t);
    bool recorded = tg_op_name(t) != NULL;
    fprintf(g->out, "  t%d [label=\"", label_id(g->names, t));
    put_escaped(g->out, label_of(g->names, t));
    if (recorded) {
        formula_names n = formula_names_of(g->names, t);
        fputs(" = ", g->out);
        put_escaped(g->out, op_formula(t, &n, NOTATION_TEXT, text, sizeof text));
    }
    if (tg_ndim(t) > 0) {
        fputs("\\nshape ", g->out);
        put_escaped(g->out, shape_text(t, text, sizeof text));
    }
    fputs("\\nvalue ", g->out);
    put_escaped(g->out, tensor_brief(t, text, sizeof text));
    if (tg_requires_grad(t)) {
        fputs("\\ngrad ", g->out);
        put_escaped(g->out, gt ? tensor_brief(gt, text, sizeof text) : "0");
    }
    fprintf(g->out, "\"%s];\n", recorded ? "" : tg_requires_grad(t) ? ", style=bold" : ", style=dashed");
}

static bool same_shape(const tg_tensor *a, const tg_tensor *b)
{
    return tg_ndim(a) == tg_ndim(b) &&
           memcmp(tg_shape(a), tg_shape(b), sizeof(int64_t) * (size_t)tg_ndim(a)) == 0;
}

/* The local derivative of node with respect to its input k, as an edge
 * label: its value when both have one element (the 1x1 Jacobian, which
 * the node's VJP of a one gives exactly); else explain's formula, and for
 * an op whose rule needs the upstream gradient, that rule named as the
 * gradient it gives (dy/dW = dy/dv1 @ x^T), since it is no local
 * derivative. Empty for an input that wants no gradient. */
static char *edge_derivative(dot_graph *g, tg_tensor *node, int k, char *buf, size_t size)
{
    tg_tensor *input = tg_op_input(node, k), *local = NULL;
    buf[0] = '\0';
    if (!tg_requires_grad(input))
        return buf;
    if (tg_numel(node) == 1 && tg_numel(input) == 1 && (local = explain_local_derivative(node, k)))
        return number_brief(tg_item(local), buf, size);
    const char *y = label_of(g->names, g->result);
    char up[160], rule[800];
    formula_names n = formula_names_of(g->names, node);
    snprintf(up, sizeof up, "d%s/d%s", y, label_of(g->names, node));
    n.upstream = up;
    note_part(node, k, &n);
    op_derivative(node, k, &n, NOTATION_TEXT, rule, sizeof rule);
    if (derivative_uses_upstream(node, k))
        snprintf(buf, size, "d%s/d%s = %s", y, label_of(g->names, input), rule);
    else if (op_is_elementwise(node) && !same_shape(node, input))
        snprintf(buf, size, "%s, summed over the broadcast axes", rule);
    else
        snprintf(buf, size, "%s", rule);
    return buf;
}

static void put_edge(dot_graph *g, tg_tensor *node, int k)
{
    char label[1024];
    fprintf(g->out, "  t%d -> t%d", label_id(g->names, tg_op_input(node, k)),
            label_id(g->names, node));
    if (g->derivative_edges && edge_derivative(g, node, k, label, sizeof label)[0]) {
        fputs(" [label=\"", g->out);
        put_escaped(g->out, label);
        fputs("\"]", g->out);
    }
    fputs(";\n", g->out);
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
            put_edge(g, node, k);
        }
    }
    return rc;
}

static int write_dot(FILE *out, const session *s, bool derivative_edges)
{
    dot_graph g = {out, labeler_new(&s->syms, &s->prog), NULL, tensor_map_new(),
                   s->prog.result, derivative_edges};
    int rc = g.names && g.drawn ? TG_OK : TG_ENOMEM;
    if (rc == 0 && tg_requires_grad(s->prog.result))
        rc = replay_sweep(s->prog.result, NULL, &g.grads);
    if (rc == 0) {
        fputs("digraph tapegrad {\n  rankdir=TB;\n  ranksep=0.3;\n"
              "  node [shape=box, fontname=\"monospace\", fontsize=10];\n"
              "  edge [fontname=\"monospace\", fontsize=9];\n", out);
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

static int render_png(const session *s, const char *file, bool derivative_edges, diag *d)
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
    rc = write_dot(in, s, derivative_edges);
    fclose(in);
    int status;
    bool exited = waitpid(pid, &status, 0) == pid && WIFEXITED(status);
    if (rc != 0 || !exited || WEXITSTATUS(status) != 0) {
        diag_plain(d, "--png: dot could not write %s", file);
        return TG_EXIT_FAILURE;
    }
    return 0;
}

/* --edges: "derivative" labels the edges, "none" (the default) does not. */
static bool parse_edges(const char *value, bool *derivative_edges, diag *d)
{
    *derivative_edges = value && strcmp(value, "derivative") == 0;
    if (value && !*derivative_edges && strcmp(value, "none") != 0) {
        diag_plain(d, "tg dot: --edges wants derivative or none, not '%s'", value);
        return false;
    }
    return true;
}

int cmd_dot(int argc, char **argv)
{
    static const char *const options[] = {"--png", "--wrt", "--edges", NULL};
    cli_args a;
    session s = {0};
    diag d = {0};
    bool derivative_edges = false;
    int status = TG_EXIT_USAGE;
    if (parse_cli_args(argc, argv, "dot", options, &a, &d) &&
        parse_edges(a.edges, &derivative_edges, &d) && session_open(&s, &a, &d)) {
        if (a.png) {
            status = render_png(&s, a.png, derivative_edges, &d);
        } else if (write_dot(stdout, &s, derivative_edges) == 0) {
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
