/* suite_cli.c -- the tg command-line tool, run as a program: its gradients
 * against the C API on the notes' formulas and on random expressions, its
 * error reports, a bounded fuzz run, and the checked-in explain outputs. */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

/* ---- running tg ----------------------------------------------------------- */

typedef struct {
    char *out, *err;
    size_t out_len, err_len;
    int status;  /* exit status, or -1 if tg did not exit normally */
    int signal;  /* the signal that ended it, 0 if none */
} run_result;

static void append(char **buf, size_t *len, const char *data, size_t n)
{
    char *grown = realloc(*buf, *len + n + 1);
    ck_assert_ptr_nonnull(grown);
    memcpy(grown + *len, data, n);
    *len += n;
    grown[*len] = '\0';
    *buf = grown;
}

/* Reads both pipes until both close, so neither can fill up and block tg. */
static void drain(int out_fd, int err_fd, run_result *r)
{
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0 && errno == EINTR)
            continue;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !fds[i].revents)
                continue;
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                append(i ? &r->err : &r->out, i ? &r->err_len : &r->out_len, buf, (size_t)n);
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
}

/* Runs tg with argv (argv[0] is ignored and replaced by the binary). */
static run_result run_tg(const char **argv, int argc)
{
    run_result r = {0};
    append(&r.out, &r.out_len, "", 0);
    append(&r.err, &r.err_len, "", 0);
    int out_pipe[2], err_pipe[2];
    ck_assert_int_eq(pipe(out_pipe), 0);
    ck_assert_int_eq(pipe(err_pipe), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], STDERR_FILENO);
    for (int i = 0; i < 2; i++) {
        posix_spawn_file_actions_addclose(&fa, out_pipe[i]);
        posix_spawn_file_actions_addclose(&fa, err_pipe[i]);
    }
    char **args = calloc((size_t)argc + 2, sizeof *args);
    args[0] = (char *)TG_BINARY;
    for (int i = 1; i < argc; i++)
        args[i] = (char *)argv[i];
    pid_t pid;
    int rc = posix_spawn(&pid, TG_BINARY, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(args);
    close(out_pipe[1]);
    close(err_pipe[1]);
    ck_assert_msg(rc == 0, "cannot run %s: %s", TG_BINARY, strerror(rc));
    drain(out_pipe[0], err_pipe[0], &r);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return r;
}

#define RUN(...) run_tg((const char *[]){"tg", __VA_ARGS__}, \
                        (int)(sizeof((const char *[]){"tg", __VA_ARGS__}) / sizeof(char *)))

static void free_result(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* ---- reading tg grad --json ----------------------------------------------- */

/* The numbers of the JSON value at *p, flattened (null reads as NaN). */
static int read_numbers(const char **p, double *out, int max)
{
    int n = 0, depth = 0;
    do {
        while (**p == ' ' || **p == ',')
            (*p)++;
        if (**p == '[') {
            depth++;
            (*p)++;
        } else if (**p == ']') {
            depth--;
            (*p)++;
        } else if (strncmp(*p, "null", 4) == 0) {
            ck_assert_int_lt(n, max);
            out[n++] = NAN;
            *p += 4;
        } else {
            char *end;
            ck_assert_int_lt(n, max);
            out[n++] = strtod(*p, &end);
            ck_assert_msg(end != *p, "not a number at \"%.20s\"", *p);
            *p = end;
        }
    } while (depth > 0);
    return n;
}

/* Value and the gradient of name, from the output of tg grad --json. */
static int json_grad(const char *json, const char *name, double *out, int max)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\": ", name);
    const char *grad = strstr(json, "\"grad\": {");
    ck_assert_ptr_nonnull(grad);
    const char *p = strstr(grad, key);
    ck_assert_msg(p != NULL, "no gradient for %s in %s", name, json);
    p += strlen(key);
    return read_numbers(&p, out, max);
}

static double json_value(const char *json)
{
    const char *p = strstr(json, "{\"value\": ");
    ck_assert_ptr_nonnull(p);
    p += strlen("{\"value\": ");
    double v;
    read_numbers(&p, &v, 1);
    return v;
}

/* ---- comparing with the C API ---------------------------------------------- */

#define MAX_VARS 8
#define MAX_ELEMS 64

typedef struct {
    const char *name;
    int ndim;
    int64_t shape[2];
    double values[MAX_ELEMS];
} var_spec;

typedef tg_tensor *(*builder)(tg_tensor **v);

static char *var_arg(const var_spec *v, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "%s=", v->name);
    int64_t rows = v->ndim == 2 ? v->shape[0] : 1, cols = v->ndim ? v->shape[v->ndim - 1] : 1;
    if (v->ndim == 2)
        len += (size_t)snprintf(buf + len, size - len, "[");
    for (int64_t r = 0; r < rows; r++) {
        len += (size_t)snprintf(buf + len, size - len, "%s%s", r ? "," : "", v->ndim ? "[" : "");
        for (int64_t c = 0; c < cols; c++)
            len += (size_t)snprintf(buf + len, size - len, "%s%.17g", c ? "," : "",
                                    v->values[r * cols + c]);
        len += (size_t)snprintf(buf + len, size - len, "%s", v->ndim ? "]" : "");
    }
    if (v->ndim == 2)
        snprintf(buf + len, size - len, "]");
    return buf;
}

static bool close_enough(double got, double want, double tol)
{
    if (isnan(want))
        return isnan(got);
    return fabs(got - want) <= tol * (1 + fabs(want));
}

/* Runs tg grad --json on expr and checks value and every gradient against
 * build() applied to the same variables through the C API. */
static void compare_with_api(const char *expr, const var_spec *vars, int n, builder build,
                             double tol)
{
    const char *argv[MAX_VARS + 4] = {"tg", "grad", expr, "--json"};
    char args[MAX_VARS][1024];
    tg_tensor *v[MAX_VARS];
    for (int i = 0; i < n; i++) {
        argv[4 + i] = var_arg(&vars[i], args[i], sizeof args[i]);
        v[i] = tg_tensor_new(TG_F64, vars[i].ndim, vars[i].shape, vars[i].values, true);
    }
    run_result r = run_tg(argv, 4 + n);
    ck_assert_msg(r.status == 0, "tg grad '%s' failed: %s", expr, r.err);
    tg_tensor *y = build(v);
    tu_assert_ok(y);
    ck_assert_int_eq(tg_backward(y), 0);
    ck_assert_msg(close_enough(json_value(r.out), tg_item(y), tol), "%s: value %s vs %.17g", expr,
                  r.out, tg_item(y));
    for (int i = 0; i < n; i++) {
        double g[MAX_ELEMS];
        int count = json_grad(r.out, vars[i].name, g, MAX_ELEMS);
        ck_assert_int_eq(count, tg_numel(v[i]));
        for (int k = 0; k < count; k++)
            ck_assert_msg(close_enough(g[k], tg_grad_get(v[i], k), tol),
                          "%s: d/d%s[%d] = %.17g from tg, %.17g from the API", expr,
                          vars[i].name, k, g[k], tg_grad_get(v[i], k));
    }
    free_result(&r);
    tg_tape_reset();
}

#define SCALAR(n, x) {n, 0, {0}, {x}}

static tg_tensor *neuron(tg_tensor **v)
{
    tg_tensor *sum = tg_add(tg_add(tg_add(tg_mul(v[0], v[1]), tg_mul(v[2], v[3])),
                                   tg_mul(v[4], v[5])), v[6]);
    return tg_sigmoid(sum);
}

START_TEST(notes_neuron)
{
    var_spec vars[] = {SCALAR("w1", 0.4), SCALAR("x1", 1),    SCALAR("w2", 0.3), SCALAR("x2", -2),
                       SCALAR("w3", -0.6), SCALAR("x3", 0.5), SCALAR("b", 0.1)};
    compare_with_api("sigmoid(w1*x1 + w2*x2 + w3*x3 + b)", vars, 7, neuron, 1e-15);
}
END_TEST

static tg_tensor *x_squared(tg_tensor **v) { return tg_sub(tg_mul(v[0], v[0]), tg_scalar(10)); }

START_TEST(notes_x_squared_minus_ten)
{
    for (double x = -2; x <= 2; x += 0.5) {
        var_spec vars[] = {SCALAR("x", x)};
        compare_with_api("x^2 - 10", vars, 1, x_squared, 1e-15);
    }
    run_result r = RUN("grad", "x^2 - 10", "x=0", "--json");
    ck_assert_str_eq(r.out, "{\"value\": -10, \"grad\": {\"x\": 0}}\n");
    free_result(&r);
}
END_TEST

static tg_tensor *tanh_of(tg_tensor **v) { return tg_tanh(v[0]); }

START_TEST(notes_tanh_is_two_sigmoid_minus_one)
{
    for (double x = -3; x <= 3; x += 0.75) {
        var_spec vars[] = {SCALAR("x", x)};
        compare_with_api("tanh(x)", vars, 1, tanh_of, 1e-15);
        compare_with_api("2*sigmoid(2*x) - 1", vars, 1, tanh_of, 1e-14);
    }
}
END_TEST

static tg_tensor *leaky(tg_tensor **v) { return tg_leaky_relu(v[0], 0.01); }

START_TEST(notes_leaky_relu_is_max_of_small_x_and_x)
{
    const double xs[] = {-2, -0.5, 0.25, 3};
    for (int i = 0; i < 4; i++) {
        var_spec vars[] = {SCALAR("x", xs[i])};
        compare_with_api("max(0.01*x, x)", vars, 1, leaky, 1e-15);
        compare_with_api("leaky_relu(x)", vars, 1, leaky, 1e-15);
        compare_with_api("leaky_relu(x, slope=0.01)", vars, 1, leaky, 1e-15);
    }
}
END_TEST

static tg_tensor *weighted_softmax(tg_tensor **v)
{
    return tg_sum(tg_mul(v[1], tg_softmax(v[0], -1)));
}

static tg_tensor *softmax_by_hand(tg_tensor **v)
{
    tg_tensor *e = tg_exp(v[0]);
    return tg_sum(tg_mul(v[1], tg_div(e, tg_sum(e))));
}

START_TEST(notes_softmax)
{
    var_spec vars[] = {{"z", 1, {4}, {1, -0.5, 2, 0.25}}, {"c", 1, {4}, {0.1, 0.7, -0.3, 1.5}}};
    compare_with_api("sum(c * softmax(z))", vars, 2, weighted_softmax, 1e-14);
    compare_with_api("sum(c * exp(z) / sum(exp(z)))", vars, 2, softmax_by_hand, 1e-14);
}
END_TEST

static tg_tensor *mse_api(tg_tensor **v)
{
    tg_tensor *d = tg_sub(v[0], v[1]);
    return tg_mean(tg_mul(d, d));
}

static tg_tensor *l2_api(tg_tensor **v)
{
    tg_tensor *d = tg_sub(v[1], v[0]);
    return tg_mul_scalar(tg_sum(tg_mul(d, d)), 0.5);
}

START_TEST(notes_mse_sse_l2)
{
    var_spec vars[] = {{"yhat", 1, {4}, {1.5, -2, 0.25, 3}}, {"y", 1, {4}, {1, -1, 0, 2.5}}};
    compare_with_api("mse(yhat, y)", vars, 2, mse_api, 1e-15);
    compare_with_api("1/4 * sum((y - yhat)^2)", vars, 2, mse_api, 1e-15);
    compare_with_api("l2(yhat, y)", vars, 2, l2_api, 1e-15);
    compare_with_api("sse(yhat, y) / 2", vars, 2, l2_api, 1e-15);
}
END_TEST

static tg_tensor *bce_api(tg_tensor **v)
{
    tg_tensor *p = tg_sigmoid(v[0]), *y = v[1];
    tg_tensor *pos = tg_mul(y, tg_log(p));
    tg_tensor *neg = tg_mul(tg_sub(tg_scalar(1), y), tg_log(tg_sub(tg_scalar(1), p)));
    return tg_mean(tg_neg(tg_add(pos, neg)));
}

START_TEST(bce_at_certain_probabilities_stays_finite)
{
    /* p = 0 and p = 1 hit the -100 clamp of the logs: finite values and
     * gradients, as tg_bce_loss gives; p outside [0, 1] is an error */
    const char *zero[] = {"tg", "grad", "--json", "bce(p, t)", "p=0", "t=0"};
    run_result r = run_tg(zero, 6);
    ck_assert_int_eq(r.status, 0);
    double g[1];
    ck_assert_int_eq(json_grad(r.out, "p", g, 1), 1);
    tu_assert_close(g[0], 1, 1e-12);
    free_result(&r);
    const char *bad[] = {"tg", "grad", "bce(p, t)", "p=2", "t=1"};
    r = run_tg(bad, 5);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "tg_bce_loss: probability 0 is 2, outside [0, 1]"));
    free_result(&r);
}
END_TEST

START_TEST(notes_binary_cross_entropy)
{
    var_spec vars[] = {{"z", 1, {3}, {0.5, -1.5, 2}}, {"y", 1, {3}, {1, 0, 1}}};
    compare_with_api("bce(sigmoid(z), y)", vars, 2, bce_api, 1e-14);
    compare_with_api("bce_logits(z, y)", vars, 2, bce_api, 1e-14);
    compare_with_api("mean(-(y*log(sigmoid(z)) + (1 - y)*log(1 - sigmoid(z))))", vars, 2,
                     bce_api, 1e-14);
}
END_TEST

static tg_tensor *ce_api(tg_tensor **v)
{
    return tg_neg(tg_sum(tg_mul(v[1], tg_log_softmax(v[0], -1))));
}

START_TEST(notes_cross_entropy)
{
    var_spec probs[] = {{"z", 1, {3}, {2, -1, 0.5}}, {"t", 1, {3}, {0, 1, 0}}};
    compare_with_api("ce(z, t)", probs, 2, ce_api, 1e-15);
    run_result a = RUN("grad", "ce(z, 1)", "z=[2,-1,0.5]", "--json");
    run_result b = RUN("grad", "ce(z, t)", "z=[2,-1,0.5]", "t=[0,1,0]", "--json", "--wrt", "z");
    ck_assert_int_eq(a.status, 0);
    ck_assert_str_eq(a.out, b.out);
    free_result(&a);
    free_result(&b);
}
END_TEST

static tg_tensor *network(tg_tensor **v)
{
    tg_tensor *h = v[0];
    for (int l = 0; l < 3; l++)
        h = tg_sigmoid(tg_add(tg_matmul(v[1 + 2 * l], h), v[2 + 2 * l]));
    tg_tensor *d = tg_sub(v[7], h);
    return tg_mul_scalar(tg_sum(tg_mul(d, d)), 0.5);
}

START_TEST(notes_nested_network)
{
    var_spec vars[] = {
        {"x", 1, {3}, {0.5, -1, 2}},
        {"W1", 2, {4, 3}, {0.1, -0.2, 0.3, 0.4, 0.5, -0.6, -0.7, 0.8, 0.9, 0.2, 0.1, -0.3}},
        {"b1", 1, {4}, {0.01, -0.02, 0.03, 0.04}},
        {"W2", 2, {2, 4}, {0.3, -0.1, 0.2, 0.5, -0.4, 0.6, 0.1, -0.2}},
        {"b2", 1, {2}, {0.1, -0.1}},
        {"W3", 2, {1, 2}, {0.7, -0.8}},
        {"b3", 1, {1}, {0.05}},
        {"y", 1, {1}, {0.9}},
    };
    compare_with_api("h1 = sigmoid(W1 @ x + b1); h2 = sigmoid(W2 @ h1 + b2); "
                     "yhat = sigmoid(W3 @ h2 + b3); l2(yhat, y)",
                     vars, 8, network, 1e-14);
    compare_with_api("let h1 = sigmoid(W1 @ x + b1); let h2 = sigmoid(W2 @ h1 + b2); "
                     "1/2 * sum((y - sigmoid(W3 @ h2 + b3))^2)",
                     vars, 8, network, 1e-14);
}
END_TEST

/* ---- random expressions ----------------------------------------------------- */

typedef struct {
    char text[4096];
    tg_tensor *t;
} generated;

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

static tg_tensor *gen_vars[4];
static const char *gen_names[4] = {"a", "b", "u", "v"};

static void say(generated *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->text, sizeof g->text, fmt, ap);
    va_end(ap);
}

/* A random expression over a, b (scalars) and u, v (vectors of 3) as text
 * and, built alongside, as C API calls. Arguments of log, sqrt and division
 * are kept positive, so every expression is defined. */
static void generate(generated *g, int depth)
{
    int pick = depth <= 0 ? (int)(next_rand() % 2) : (int)(next_rand() % 14);
    static generated pool[16][2]; /* the operands, one pair per level */
    generated *x = &pool[depth & 15][0], *y = &pool[depth & 15][1];
    if (pick >= 2)
        generate(x, depth - 1);
    if (pick >= 2 && pick <= 6)
        generate(y, depth - 1);
    int k = (int)(next_rand() % 4);
    double c = (int)(next_rand() % 9) / 4.0 + 0.5;
    switch (pick) {
    case 0: say(g, "%s", gen_names[k]); g->t = gen_vars[k]; break;
    case 1: say(g, "%g", c); g->t = tg_scalar(c); break;
    case 2: say(g, "(%s + %s)", x->text, y->text); g->t = tg_add(x->t, y->t); break;
    case 3: say(g, "(%s - %s)", x->text, y->text); g->t = tg_sub(x->t, y->t); break;
    case 4: say(g, "%s * %s", x->text, y->text); g->t = tg_mul(x->t, y->t); break;
    case 5:
        say(g, "%s / ((%s)^2 + 1)", x->text, y->text);
        g->t = tg_div(x->t, tg_add_scalar(tg_pow_scalar(y->t, 2), 1));
        break;
    case 6: say(g, "max(%s, %s)", x->text, y->text); g->t = tg_maximum(x->t, y->t); break;
    case 7: say(g, "sigmoid(%s)", x->text); g->t = tg_sigmoid(x->t); break;
    case 8: say(g, "tanh(%s)", x->text); g->t = tg_tanh(x->t); break;
    case 9:
        say(g, "log((%s)^2 + 1)", x->text);
        g->t = tg_log(tg_add_scalar(tg_pow_scalar(x->t, 2), 1));
        break;
    case 10:
        say(g, "sqrt(1 + (%s)^2)", x->text);
        g->t = tg_sqrt(tg_add_scalar(tg_pow_scalar(x->t, 2), 1));
        break;
    case 11: say(g, "-%s", x->text); g->t = tg_neg(x->t); break;
    case 12: say(g, "exp(tanh(%s))", x->text); g->t = tg_exp(tg_tanh(x->t)); break;
    default: say(g, "leaky_relu(%s, 0.1)", x->text); g->t = tg_leaky_relu(x->t, 0.1); break;
    }
}

START_TEST(random_expressions_match_the_api)
{
    const double a = 0.7, b = -1.3, u[3] = {0.4, -0.9, 1.6}, v[3] = {-0.2, 1.1, 0.3};
    for (int round = 0; round < 60; round++) {
        gen_vars[0] = tg_tensor_new(TG_F64, 0, NULL, &a, true);
        gen_vars[1] = tg_tensor_new(TG_F64, 0, NULL, &b, true);
        gen_vars[2] = tg_tensor_new(TG_F64, 1, (int64_t[]){3}, u, true);
        gen_vars[3] = tg_tensor_new(TG_F64, 1, (int64_t[]){3}, v, true);
        generated g;
        generate(&g, 1 + round % 4);
        char expr[4200];
        snprintf(expr, sizeof expr, "sum(%s)", g.text);
        tg_tensor *y = tg_sum(g.t);
        tu_assert_ok(y);
        run_result r = RUN("grad", expr, "a=0.7", "b=-1.3", "u=[0.4,-0.9,1.6]",
                           "v=[-0.2,1.1,0.3]", "--json");
        ck_assert_msg(r.status == 0, "%s: %s", expr, r.err);
        ck_assert_msg(close_enough(json_value(r.out), tg_item(y), 1e-12), "%s: %s vs %.17g",
                      expr, r.out, tg_item(y));
        if (tg_requires_grad(y))
            ck_assert_int_eq(tg_backward(y), 0);
        for (int k = 0; k < 4; k++) {
            double grad[3];
            int n = json_grad(r.out, gen_names[k], grad, 3);
            for (int i = 0; i < n; i++)
                ck_assert_msg(close_enough(grad[i], tg_grad_get(gen_vars[k], i), 1e-12),
                              "%s: d/d%s[%d] %.17g vs %.17g", expr, gen_names[k], i, grad[i],
                              tg_grad_get(gen_vars[k], i));
        }
        free_result(&r);
        tg_tape_reset();
    }
}
END_TEST

/* Optional arguments by position or keyword, in any combination. */
START_TEST(keyword_arguments)
{
    run_result a = RUN("grad", "sum(leaky_relu(x, 0.5))", "x=[-2,1]", "--json");
    run_result b = RUN("grad", "sum(leaky_relu(x, slope=0.5))", "x=[-2,1]", "--json");
    ck_assert_str_eq(a.out, "{\"value\": 0, \"grad\": {\"x\": [0.5, 1]}}\n");
    ck_assert_str_eq(a.out, b.out);
    free_result(&a);
    free_result(&b);
    a = RUN("grad", "sum(sum(x, axis=0) * c)", "x=[[1,2],[3,4]]", "c=[1,0]", "--json", "--wrt",
            "x");
    ck_assert_str_eq(a.out, "{\"value\": 4, \"grad\": {\"x\": [[1, 0], [1, 0]]}}\n");
    free_result(&a);
    a = RUN("grad", "where(c=1, x, x)", "x=1");
    ck_assert_int_eq(a.status, 2);
    ck_assert_ptr_nonnull(strstr(a.err, "where() has no parameter 'c'"));
    free_result(&a);
    a = RUN("grad", "sum(softmax(x, axis=0, axis=0))", "x=[1,2]");
    ck_assert_ptr_nonnull(strstr(a.err, "argument given twice"));
    free_result(&a);
}
END_TEST

/* A number target stands for every element; other shapes must match. */
START_TEST(loss_with_a_number_target)
{
    run_result r = RUN("grad", "mse(x, 0)", "x=[1,3]", "--json");
    ck_assert_str_eq(r.out, "{\"value\": 5, \"grad\": {\"x\": [1, 3]}}\n");
    free_result(&r);
    r = RUN("grad", "mse(x, t)", "x=[[1],[3]]", "t=[1,3]");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "[2,1]"));
    free_result(&r);
}
END_TEST

/* ---- output formats and errors --------------------------------------------- */

START_TEST(json_format_is_exact)
{
    run_result r = RUN("grad", "sum(x*y)", "x=2", "y=[1,2.5]", "--json");
    ck_assert_str_eq(r.out, "{\"value\": 7, \"grad\": {\"x\": 3.5, \"y\": [2, 2]}}\n");
    free_result(&r);
    r = RUN("grad", "sum(W @ x) / 3", "W=[[1,2],[3,4]]", "x=[1,1]", "--json", "--wrt", "W");
    ck_assert_str_eq(r.out, "{\"value\": 3.3333333333333335, \"grad\": {\"W\": "
                            "[[0.33333333333333331, 0.33333333333333331], "
                            "[0.33333333333333331, 0.33333333333333331]]}}\n");
    free_result(&r);
    r = RUN("grad", "log(x)", "x=-1", "--json"); /* NaN is written as null */
    ck_assert_str_eq(r.out, "{\"value\": null, \"grad\": {\"x\": -1}}\n");
    free_result(&r);
}
END_TEST

static void assert_error(run_result r, const char *line1, const char *echo, const char *caret)
{
    char want[1024];
    snprintf(want, sizeof want, "%s\n  %s\n  %s\n", line1, echo, caret);
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.err, want);
    ck_assert_str_eq(r.out, "");
    free_result(&r);
}

START_TEST(errors_name_the_column_with_a_caret)
{
    assert_error(RUN("grad", "sigmoid(x", "x=1"), "tg: error at column 10: expected ',' or ')' "
                 "in the argument list", "sigmoid(x", "         ^");
    assert_error(RUN("grad", "x + foo(x)", "x=1"), "tg: error at column 5: unknown function 'foo'",
                 "x + foo(x)", "    ^");
    assert_error(RUN("grad", "2 * z", "x=1"), "tg: error at column 5: unknown variable 'z'",
                 "2 * z", "    ^");
    assert_error(RUN("grad", "tanh(x, x)", "x=1"),
                 "tg: error at column 1: tanh() takes 1 argument, not 2", "tanh(x, x)", "^");
    assert_error(RUN("grad", "sum(u + v)", "u=[1,2]", "v=[1,2,3]"),
                 "tg: error at column 7: tg_add: shapes do not broadcast: [2] and [3]",
                 "sum(u + v)", "      ^");
    assert_error(RUN("grad", "x", "x=[[1,2],[3]]"),
                 "tg: error at column 10 of argument: ragged array: this list's length differs "
                 "from the one before it", "x=[[1,2],[3]]", "         ^");
}
END_TEST

/* ---- the language: comparisons, literals, constants, def, hints ------------ */

/* The JSON of tg grad EXPR VARS... --json, which must succeed. */
#define GRAD_JSON(expr, ...) grad_json(RUN("grad", expr, __VA_ARGS__, "--json"))

static char *grad_json(run_result r)
{
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    free(r.err);
    return r.out;
}

static void assert_json(char *got, const char *want)
{
    ck_assert_str_eq(got, want);
    free(got);
}

/* tg grad fails with status 2 and an error line containing message. */
static void assert_grad_error(run_result r, const char *message)
{
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, message) != NULL, "expected \"%s\" in: %s", message, r.err);
    free_result(&r);
}

/* Comparisons bind looser than + and - and give 0/1 masks; == is not a
 * binding and a keyword's '=' is not ==. */
START_TEST(comparison_operators_make_masks)
{
    assert_json(GRAD_JSON("sum(where(x > 0, x^2, -x))", "x=[-1,2]"),
                "{\"value\": 5, \"grad\": {\"x\": [-1, 4]}}\n");
    assert_json(GRAD_JSON("sum((x + 1 >= 2) * x)", "x=[0.5,1,3]"),
                "{\"value\": 4, \"grad\": {\"x\": [0, 1, 1]}}\n");
    assert_json(GRAD_JSON("m = x == 1; sum(m + (x != 1) * 2 + (x < 1) + (x <= 1))", "x=[1,2]"),
                "{\"value\": 4, \"grad\": {\"x\": [0, 0]}}\n");
    assert_json(GRAD_JSON("x * (1 < 2) + (2 < 1)", "x=3"),
                "{\"value\": 3, \"grad\": {\"x\": 1}}\n"); /* numbers fold */
    assert_json(GRAD_JSON("sum(masked_fill(x, x > 1, 0) + logical_not(x) + "
                          "logical_and(x, x > 1) + logical_or(x < 0, gt(x, 1)))", "x=[1,2]"),
                "{\"value\": 3, \"grad\": {\"x\": [1, 0]}}\n");
    assert_grad_error(RUN("grad", "a < b < c", "a=1", "b=2", "c=3"),
                      "tg: error at column 7: chained comparisons such as a < b < c are not "
                      "supported: write logical_and(a < b, b < c)");
    assert_grad_error(RUN("grad", "!x", "x=1"), "'not equal' is !=, 'not' is logical_not(x)");
}
END_TEST

/* docs/ops.md's where trap, through the language: NaN from the unused
 * branch, and the safe pattern's 0. */
START_TEST(where_trap_through_the_language)
{
    assert_json(GRAD_JSON("sum(where(x > 0, sqrt(x), 0))", "x=[-1,4]"),
                "{\"value\": 2, \"grad\": {\"x\": [null, 0.25]}}\n");
    assert_json(GRAD_JSON("sum(where(x > 0, sqrt(where(x > 0, x, 1)), 0))", "x=[-1,4]"),
                "{\"value\": 2, \"grad\": {\"x\": [0, 0.25]}}\n");
}
END_TEST

START_TEST(array_literals_stand_for_values)
{
    assert_json(GRAD_JSON("mse(yhat, [0.1, 0.9])", "yhat=[0.1,0.5]"),
                "{\"value\": 0.080000000000000016, \"grad\": {\"yhat\": "
                "[0, -0.40000000000000002]}}\n");
    assert_json(GRAD_JSON("sum(W @ [1, -1])", "W=[[1,2],[3,4]]"),
                "{\"value\": -2, \"grad\": {\"W\": [[1, -1], [1, -1]]}}\n");
    assert_json(GRAD_JSON("sum([[1, 2], [3, 4]] @ x)", "x=[1,1]"),
                "{\"value\": 10, \"grad\": {\"x\": [4, 6]}}\n");
    assert_error(RUN("grad", "x + [1, [2]]", "x=1"),
                 "tg: error at column 9: a list where a number was expected: every row must "
                 "nest equally deep", "x + [1, [2]]", "        ^");
    assert_error(RUN("grad", "x + [1, 2", "x=1"), "tg: error at column 10: expected ',' or ']'",
                 "x + [1, 2", "         ^");
}
END_TEST

START_TEST(constants_pi_and_e)
{
    assert_json(GRAD_JSON("sin(pi * x) + e^x", "x=0"),
                "{\"value\": 1, \"grad\": {\"x\": 4.1415926535897931}}\n");
    run_result r = RUN("grad", "e * x", "e=2", "x=3", "--json");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "{\"value\": 6, \"grad\": {\"e\": 3, \"x\": 2}}\n");
    ck_assert_str_eq(r.err, "tg: warning: the variable 'e' shadows the constant e\n");
    free_result(&r);
    r = RUN("grad", "pi = 3; pi * x", "x=1", "--json");
    ck_assert_str_eq(r.out, "{\"value\": 3, \"grad\": {\"x\": 3}}\n");
    ck_assert_str_eq(r.err, "tg: warning: the variable 'pi' shadows the constant pi\n");
    free_result(&r);
}
END_TEST

#define HUBER "def huber(a, d) = where(abs(a) <= d, 0.5*a^2, d*(abs(a) - 0.5*d)); "

START_TEST(user_defined_functions)
{
    assert_json(GRAD_JSON(HUBER "sum(huber(x - t, 1))", "x=[0.5,3]", "t=[0,0]"),
                "{\"value\": 2.625, \"grad\": {\"x\": [0.5, 1], \"t\": [-0.5, -1]}}\n");
    assert_json(GRAD_JSON(HUBER "sum(huber(d=2, a=x))", "x=[1,3]"),
                "{\"value\": 4.5, \"grad\": {\"x\": [1, 2]}}\n");
    assert_json(GRAD_JSON("def sq(a) = a * a; def quad(a) = sq(sq(a)); quad(x) + sq(2)", "x=2"),
                "{\"value\": 20, \"grad\": {\"x\": 32}}\n");
    run_result r = RUN("explain", HUBER "sum(huber(x, 1))", "x=[0.5,3]");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "huber.v1  abs(x)"));
    ck_assert_ptr_nonnull(strstr(r.out, "y         sum(huber.v8)"));
    free_result(&r);
    assert_grad_error(RUN("grad", "def f(a) = f(a); f(x)", "x=1"),
                      "f() calls itself: recursion is not supported");
    assert_grad_error(RUN("grad", "def f(a, b) = a; f(x)", "x=1"), "f() takes 2 arguments");
    assert_grad_error(RUN("grad", "def f(a) = a; def f(b) = b; f(x)", "x=1"),
                      "'f' is already a function or keyword");
    assert_grad_error(RUN("grad", "def exp(a) = a; x", "x=1"),
                      "'exp' is already a function or keyword");
    assert_grad_error(RUN("grad", "def f(a) = a + q; f(x)", "x=1"),
                      "tg: error at column 16: unknown variable 'q' (in f(), called at column 19)");
    assert_grad_error(RUN("grad", "def f(a) = a", "x=1"),
                      "nothing to compute: only functions are defined");
}
END_TEST

/* Issue 11's first example and the subscripts: one element, slices with
 * steps, an index array, a product's row; the errors at the item's column. */
START_TEST(subscripts_index_any_operand)
{
    run_result r = RUN("grad", "x[0] * x[1]", "x=[2,3]", "--json");
    ck_assert_str_eq(r.out, "{\"value\": 6, \"grad\": {\"x\": [3, 2]}}\n");
    free_result(&r);
    r = RUN("grad", "sum(x[::2]) + sum(x[[1, 1, -1]]) + (W @ x)[0]", "x=[1,2,3]",
            "W=[[1,0,0],[0,1,0]]", "--json", "--wrt", "x");
    ck_assert_str_eq(r.out, "{\"value\": 12, \"grad\": {\"x\": [2, 2, 2]}}\n");
    free_result(&r);
    assert_error(RUN("grad", "x[3:0:-1]", "x=[1,2,3]"),
                 "tg: error at column 3: tg_slice: step -1 along axis 0 must be positive (PyTorch "
                 "refuses negative steps; tg_flip reverses an axis)", "x[3:0:-1]", "  ^");
    assert_error(RUN("grad", "x[:, 5]", "x=[[1,2],[3,4]]"),
                 "tg: error at column 6: tg_select: index 5 is out of range for axis 1 of size 2",
                 "x[:, 5]", "     ^");
    /* each item speaks of the axis it was written at and x's size there,
     * whatever items before it removed */
    const char *W = "W=[[1,2,3],[4,5,6]]";
    assert_error(RUN("grad", "W[0,5]", W),
                 "tg: error at column 5: tg_select: index 5 is out of range for axis 1 of size 3",
                 "W[0,5]", "    ^");
    assert_error(RUN("grad", "W[1, -4]", W),
                 "tg: error at column 6: tg_select: index -4 is out of range for axis 1 of size 3",
                 "W[1, -4]", "     ^");
    assert_error(RUN("grad", "sum(W[-1, [2, 3]])", W),
                 "tg: error at column 11: tg_index_select: index 3 at position 1 is out of range "
                 "for axis 1 of size 3", "sum(W[-1, [2, 3]])", "          ^");
    assert_error(RUN("grad", "sum(W[[0, 2], 1:])", W),
                 "tg: error at column 7: tg_index_select: index 2 at position 1 is out of range "
                 "for axis 0 of size 2", "sum(W[[0, 2], 1:])", "      ^");
    assert_error(RUN("grad", "W[0, 1, 2]", W),
                 "tg: error at column 9: tg_select: axis 2 out of range for shape [2,3]",
                 "W[0, 1, 2]", "        ^");
    r = RUN("grad", "W[1, -1] + sum(W[0, ::2]) + sum(W[1, [2, 0]])", W, "--json");
    ck_assert_str_eq(r.out, "{\"value\": 20, \"grad\": {\"W\": [[1, 0, 1], [1, 0, 2]]}}\n");
    free_result(&r);
    assert_error(RUN("grad", "sum(x[[0, 3]])", "x=[1,2,3]"),
                 "tg: error at column 7: tg_index_select: index 3 at position 1 is out of range "
                 "for axis 0 of size 3", "sum(x[[0, 3]])", "      ^");
    /* Found by the fuzzer: a slice start beyond int64_t was cast unchecked. */
    assert_error(RUN("grad", "sum(x[1e300:3])", "x=[1,2,3]"),
                 "tg: error at column 7: a slice bound must be a whole number", "sum(x[1e300:3])",
                 "      ^");
    assert_error(RUN("grad", "sum(x[:1e300])", "x=[1,2,3]"),
                 "tg: error at column 8: a slice bound must be a whole number", "sum(x[:1e300])",
                 "       ^");
    assert_error(RUN("grad", "x[1e300]", "x=[1,2,3]"),
                 "tg: error at column 3: an index must be a whole number", "x[1e300]", "  ^");
    assert_error(RUN("grad", "sum(normalize(x, 2, 1e300))", "x=[1,2,3]"),
                 "tg: error at column 5: normalize: the axis must be a whole number, not 1e+300",
                 "sum(normalize(x, 2, 1e300))", "    ^");
    assert_error(RUN("grad", "sum(flip(x, 4294967296))", "x=[1,2,3]"),
                 "tg: error at column 5: flip: an axis 4294967296 is out of range",
                 "sum(flip(x, 4294967296))", "    ^");
}
END_TEST

/* grad's JSON for expr over x=[1,2,3,4] (and W) with the gradient of x. */
static void assert_grad_json(const char *expr, const char *want)
{
    run_result r = RUN("grad", expr, "x=[1,2,3,4]", "W=[[1,2],[3,4]]", "--json", "--wrt", "x,W");
    ck_assert_msg(r.status == 0, "%s: %s", expr, r.err);
    ck_assert_str_eq(r.out, want);
    free_result(&r);
}

START_TEST(shape_functions_take_along_movedim_unflatten_tile_expand_pad_modes)
{
    assert_grad_json("sum(take_along_axis(W, [[1], [0]], 1))",
                     "{\"value\": 5, \"grad\": {\"x\": [0, 0, 0, 0], \"W\": [[0, 1], [1, 0]]}}\n");
    assert_grad_json("movedim(W, 0, 1)[0, 1]",
                     "{\"value\": 3, \"grad\": {\"x\": [0, 0, 0, 0], \"W\": [[0, 0], [1, 0]]}}\n");
    assert_grad_json("sum(unflatten(x, 0, 2, -1)[1])",
                     "{\"value\": 7, \"grad\": {\"x\": [0, 0, 1, 1], \"W\": [[0, 0], [0, 0]]}}\n");
    /* tile repeats the whole vector, so every element is counted twice */
    assert_grad_json("sum(tile(x, 2) * [1, 1, 1, 1, 2, 2, 2, 2])",
                     "{\"value\": 30, \"grad\": {\"x\": [3, 3, 3, 3], \"W\": [[0, 0], [0, 0]]}}\n");
    assert_grad_json("sum(expand(W[:, 0:1], 2, 3))",
                     "{\"value\": 12, \"grad\": {\"x\": [0, 0, 0, 0], \"W\": [[3, 0], [3, 0]]}}\n");
    /* F.pad's modes by number; PyTorch gives these (x=[1,2,3,4], (2, 1) and the weights) */
    static const char *const pads[4][2] = {
        {"mode=0", "{\"value\": 50, \"grad\": {\"x\": [3, 4, 5, 6], \"W\": [[0, 0], [0, 0]]}}\n"},
        {"mode=1", "{\"value\": 78, \"grad\": {\"x\": [3, 6, 13, 6], \"W\": [[0, 0], [0, 0]]}}\n"},
        {"mode=2", "{\"value\": 81, \"grad\": {\"x\": [6, 4, 5, 13], \"W\": [[0, 0], [0, 0]]}}\n"},
        {"mode=3", "{\"value\": 68, \"grad\": {\"x\": [10, 4, 6, 8], \"W\": [[0, 0], [0, 0]]}}\n"}};
    for (int m = 0; m < 4; m++) {
        char expr[96];
        snprintf(expr, sizeof expr, "sum(pad(x, 2, 1, %s) * [1, 2, 3, 4, 5, 6, 7])", pads[m][0]);
        assert_grad_json(expr, pads[m][1]);
    }
    assert_error(RUN("grad", "sum(pad(x, 1, 1, mode=4))", "x=[1,2,3,4]"),
                 "tg: error at column 5: pad: mode must be 0 (constant), 1 (reflect), 2 "
                 "(replicate) or 3 (circular)", "sum(pad(x, 1, 1, mode=4))", "    ^");
    assert_error(RUN("grad", "sum(unflatten(x, 0, 3, -1))", "x=[1,2,3,4]"),
                 "tg: error at column 5: tg_unflatten: sizes [3,-1] do not multiply to axis 0's "
                 "size 4", "sum(unflatten(x, 0, 3, -1))", "    ^");
    assert_error(RUN("grad", "sum(take_along_axis(x, [4], 0))", "x=[1,2,3,4]"),
                 "tg: error at column 5: tg_take_along_axis: index 4 at position 0 is out of "
                 "range for axis 0 of size 4", "sum(take_along_axis(x, [4], 0))", "    ^");
}
END_TEST

START_TEST(several_results_are_bound_or_picked)
{
    assert_grad_json("a, b = chunk(x, 2); sum(a * b)",
                     "{\"value\": 11, \"grad\": {\"x\": [3, 4, 1, 2], \"W\": [[0, 0], [0, 0]]}}\n");
    assert_grad_json("let a, b, c = split(x, [1, 2, 1]); sum(b) * a + c",
                     "{\"value\": 9, \"grad\": {\"x\": [5, 1, 1, 1], \"W\": [[0, 0], [0, 0]]}}\n");
    /* split by size: [1, 2, 3] and [4]; chunk(x, 3) gives two pieces, as torch.chunk */
    assert_grad_json("a, b = split(x, 3); a, b = chunk(x, 3); sum(b)",
                     "{\"value\": 7, \"grad\": {\"x\": [0, 0, 1, 1], \"W\": [[0, 0], [0, 0]]}}\n");
    assert_grad_json("chunk(x, 2)[-1][0] + unbind(W, 1)[1][0]",
                     "{\"value\": 5, \"grad\": {\"x\": [0, 0, 1, 0], \"W\": [[0, 1], [0, 0]]}}\n");
    /* a list fills concat's and stack's tensors; stacking the rows as columns transposes */
    assert_grad_json("sum(stack(unbind(W), axis=1) * [[1, 0], [0, 0]]) + sum(concat(chunk(x, "
                     "2), x[0:1]))",
                     "{\"value\": 12, \"grad\": {\"x\": [2, 1, 1, 1], \"W\": [[1, 0], [0, 0]]}}\n");
    assert_grad_json("def halves(v) = chunk(v, 2); def first(l) = l[0]; a, b = halves(x); "
                     "sum(first(unbind(W)) * b)",
                     "{\"value\": 11, \"grad\": {\"x\": [0, 0, 1, 2], \"W\": [[3, 4], [0, 0]]}}\n");
    assert_error(RUN("grad", "a, b = split(x, [1, 1, 2]); a", "x=[1,2,3,4]"),
                 "tg: error at column 1: 2 names for the 3 tensors split() returns",
                 "a, b = split(x, [1, 1, 2]); a", "^");
    assert_error(RUN("grad", "a, b, c = x; a", "x=[1,2,3,4]"),
                 "tg: error at column 11: 3 names need as many tensors: this is one; split it "
                 "with chunk(x, 3) or unbind(x)", "a, b, c = x; a", "          ^");
    assert_error(RUN("grad", "sum(chunk(x, 2) * 2)", "x=[1,2,3,4]"),
                 "tg: error at column 5: chunk() returns 2 tensors here: pick one with "
                 "chunk(...)[k], or bind them with a, b = chunk(...)", "sum(chunk(x, 2) * 2)",
                 "    ^");
    assert_error(RUN("grad", "c = unbind(x); c", "x=[1,2,3,4]"),
                 "tg: error at column 5: unbind() returns 4 tensors here: pick one with "
                 "unbind(...)[k], or bind them with a, b, c, d = unbind(...)", "c = unbind(x); c",
                 "    ^");
    assert_error(RUN("grad", "chunk(x, 2)[2]", "x=[1,2,3,4]"),
                 "tg: error at column 13: result 2 is out of range: chunk() returned 2",
                 "chunk(x, 2)[2]", "            ^");
    assert_error(RUN("grad", "sum(chunk(x, 2)[0:1])", "x=[1,2,3,4]"),
                 "tg: error at column 17: chunk() returns a list: pick one result with a whole "
                 "number, chunk(...)[k]", "sum(chunk(x, 2)[0:1])", "                ^");
    assert_error(RUN("grad", "a, b = chunk(x, 2)", "x=[1,2,3,4]"),
                 "tg: error at column 1: the last statement binds names: end with an expression "
                 "of them, as in a, b = chunk(x, 2); a * b", "a, b = chunk(x, 2)", "^");
    assert_error(RUN("grad", "a, a = chunk(x, 2); a", "x=[1,2,3,4]"),
                 "tg: error at column 4: a name bound twice", "a, a = chunk(x, 2); a", "   ^");
    /* 16 tensors join, as many as a split of 16 makes; a 17th is refused,
     * from a list or as a positional argument (the axis is a keyword) */
    run_result joined = RUN("grad", "sum(concat(split(x, 1), axis=0))",
                            "x=[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]", "--json");
    ck_assert_int_eq(joined.status, 0);
    ck_assert_str_eq(joined.out, "{\"value\": 136, \"grad\": {\"x\": [1, 1, 1, 1, 1, 1, 1, 1, "
                                 "1, 1, 1, 1, 1, 1, 1, 1]}}\n");
    free_result(&joined);
    assert_error(RUN("grad", "sum(concat(x, x, unbind(x)))", "x=[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]"),
                 "tg: error at column 18: concat() takes at most 16 tensors; this list makes 17",
                 "sum(concat(x, x, unbind(x)))", "                 ^");
    assert_error(RUN("grad", "sum(stack(x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x))", "x=[1,2]"),
                 "tg: error at column 43: stack() takes at most 16 tensors (the axis only by "
                 "keyword)", "sum(stack(x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x))",
                 "                                          ^");
    assert_error(RUN("grad", "sum(split(x, [1.5, 2.5])[0])", "x=[1,2,3,4]"),
                 "tg: error at column 5: split: each size must be a whole number",
                 "sum(split(x, [1.5, 2.5])[0])", "    ^");
    assert_error(RUN("grad", "sum(chunk(x, 0)[0])", "x=[1,2,3,4]"),
                 "tg: error at column 5: tg_chunk: chunks 0 must be positive",
                 "sum(chunk(x, 0)[0])", "    ^");
}
END_TEST

/* Runs explain and checks that each of the lines appears in its output. */
static void assert_explains(const char *expr, const char *const *vars, int n_vars,
                            const char *const *lines, int n_lines)
{
    const char *argv[8] = {"tg", "explain", expr};
    for (int i = 0; i < n_vars; i++)
        argv[3 + i] = vars[i];
    run_result r = run_tg(argv, 3 + n_vars);
    ck_assert_msg(r.status == 0, "%s: %s", expr, r.err);
    for (int i = 0; i < n_lines; i++)
        ck_assert_msg(strstr(r.out, lines[i]) != NULL, "no '%s' in\n%s", lines[i], r.out);
    free_result(&r);
}

START_TEST(explain_says_where_indexing_gradients_go)
{
    static const char *const x[] = {"x=[1,2,3,4]"};
    /* the positions each structural op read, and the gradient sent back to them */
    assert_explains("sum(roll(x, 1) * [1, 2, 3, 4])", x, 1,
                    (const char *const[]){
                        "v1    roll(x), reading x's elements [3, 0, 1, 2]",
                        "dy/dx = dy/dv1 added back at x's elements [3, 0, 1, 2]: dy/dv1 rolled back\n"
                        "        = [2, 3, 4, 1]"}, 2);
    assert_explains("sum(repeat(x[0:2], 2) * [1, 2, 3, 4])", x, 1,
                    (const char *const[]){
                        "repeat(v1), reading v1's elements [0, 1, 0, 1]",
                        "= [4, 6]\n      (v1's elements are read [2, 2] times: where more than "
                        "once, their gradients add up)"}, 2);
    assert_explains("sum(pad(x, 1, 0, value=7))", x, 1,
                    (const char *const[]){
                        "pad(x, value=7), reading x's elements [-1, 0, 1, 2, 3] (-1: a fill)",
                        "the fills send nothing back\n        = [1, 1, 1, 1]"}, 2);
    static const char *const w[] = {"W=[[1,2],[3,4]]"};
    assert_explains("sum(permute(W, 1, 0) * [[1, 2], [3, 4]])", w, 1,
                    (const char *const[]){
                        "reading W's elements [[0, 2], [1, 3]] (row-major positions)",
                        "  c1         2x2      [[1, 2], [3, 4]]   (constant)"}, 2);
    /* gathers scatter back, repeats add up; concat's inputs get their part */
    assert_explains("sum(x[[0, 0, 3]]) + sum(concat(x[0:1], x) * [1, 2, 3, 4, 5])", x, 1,
                    (const char *const[]){
                        "index_add(0, axis=0, [0, 0, 3], dy/dv1): dy/dv1 added back at the "
                        "indices\n        = [2, 0, 0, 1]\n      (x's elements are read "
                        "[2, 0, 0, 1] times",
                        "dy/dv3 = dy/dv4[0:1], the part along axis 0 that this input filled\n"
                        "        = [1]",
                        "dy/dx = dy/dv4[1:5], the part along axis 0 that this input filled\n"
                        "        = [2, 3, 4, 5]"}, 3);
    static const char *const ev[] = {"E=[[1,2],[3,4]]", "u=[5,7]", "v=[1,2]"};
    assert_explains("sum(embedding(E, [1, 1])) + sum(scatter_add(v, 0, [0, 0], u) * [1, 2])", ev,
                    3, (const char *const[]){
                        "embedding(E, [1, 1]): the rows [1, 1] of E",
                        "(E's elements are read [[0, 0], [2, 2]] times",
                        "scatter_add(v, axis=0, [0, 0], u): v with u added at the indices [0, 0]",
                        "dy/dv = dy/dv3: v passes through unchanged",
                        "dy/du = gather(dy/dv3, axis=0, [0, 0]): each element of u gets the "
                        "gradient where it was added\n        = [1, 1]"}, 5);
    /* chunk's pieces are slices: which elements each read, and where its gradient goes */
    assert_explains("a, b = chunk(x, 2); sum(a * b)", x, 1,
                    (const char *const[]){
                        "  b     slice(x, axis=0), reading x's elements [2, 3]",
                        "dy/dx += dy/da added back at x's elements [0, 1], 0 elsewhere\n"
                        "        = [3, 4, 0, 0]"}, 2);
}
END_TEST

/* Issue 14: "d/dw (w @ x) = dy/dv1 @ x^T = [-1, -2]" paired the gradient
 * rule with the value of the gradient as if it were the local derivative. */
START_TEST(explain_writes_a_gradient_rule_as_a_gradient)
{
    run_result r = RUN("explain", "(w @ x) * 2", "w=[1,2]", "x=[-0.5,-1]");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_null(strstr(r.out, "d/dw (w @ x)"));
    ck_assert_ptr_nonnull(strstr(r.out, "      dy/dw = dy/dv1 @ x^T\n"
                                        "        shapes [] * [2] -> [2]  (a dot product: the "
                                        "scalar times x)\n        = [-1, -2]\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "      dy/dx = w^T @ dy/dv1\n"
                                        "        shapes [] * [2] -> [2]  (a dot product: the "
                                        "scalar times w)\n        = [2, 4]\n"));
    free_result(&r);
}
END_TEST

/* Issue 14: a matrix step shows the shapes it multiplies and the
 * transposed operand, so that dW = g @ x^T's shape can be followed: W @ x's
 * x is a column, its x^T a row, and two vectors make an outer product. */
START_TEST(explain_shows_a_matmuls_shapes_and_transposed_operand)
{
    run_result r = RUN("explain", "sum(W @ x)", "W=[[1,2],[3,4]]", "x=[5,6]");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "      dy/dW = dy/dv1 @ x^T\n"
                                        "        shapes [2,1] @ [1,2] -> [2,2]  (an outer "
                                        "product: a column times a row)\n"
                                        "        x^T = [[5, 6]]\n"
                                        "        = [[5, 6], [5, 6]]\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "      dy/dx = W^T @ dy/dv1\n"
                                        "        shapes [2,2] @ [2] -> [2]\n"
                                        "        W^T = [[1, 3], [2, 4]]\n        = [4, 6]\n"));
    free_result(&r);
    r = RUN("explain", "sum(A @ B)", "A=[[1,2,3],[4,5,6]]", "B=[[1],[2],[3]]");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "        shapes [2,1] @ [1,3] -> [2,3]\n"
                                        "        B^T = [[1, 2, 3]]\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "        shapes [3,2] @ [2,1] -> [3,1]\n"
                                        "        A^T = [[1, 4], [2, 5], [3, 6]]\n"));
    free_result(&r);
}
END_TEST

/* Issue 14: tg descend prints the notes' update rule with its numbers, and
 * y = x^2 - 10 descends to its minimum at 0 (x halves each step at lr 1/4). */
START_TEST(descend_shows_each_update_and_converges)
{
    run_result r = RUN("descend", "x^2 - 10", "x=3", "--lr", "0.25", "--steps", "30");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "step 0: y = -1\n  x = 3, dy/dx = 6\n"
                                        "  x <- x - 0.25 * dy/dx = 3 - 0.25 * 6 = 1.5\n"));
    const char *last = strstr(r.out, "step 30: y = ");
    ck_assert_ptr_nonnull(last);
    ck_assert(fabs(strtod(last + 13, NULL) + 10) < 1e-15); /* x = 3 / 2^30 */
    ck_assert_ptr_null(strstr(last, " <- ")); /* no update after the last step */
    free_result(&r);
    r = RUN("descend", "sum((w*x - t)^2)", "w=[1,2]", "x=[1,2]", "t=[3,3]", "--wrt", "w", "--lr",
            "0.1", "--steps", "1");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "[1, 2] - 0.1 * [-4, 4] = [1.4, 1.6]\nstep 1: y = 2.6\n"));
    ck_assert_ptr_null(strstr(r.out, "x <- ")); /* the data stays */
    free_result(&r);
    r = RUN("descend", "x^2", "x=1");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--lr wants a positive learning rate (it is required)"));
    free_result(&r);
    r = RUN("descend", "x^2", "x=1", "--lr", "0.1", "--steps", "0");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "--steps wants a whole number from 1 to 100000, not '0'"));
    free_result(&r);
    r = RUN("descend", "x", "x=[1,2]", "--lr", "0.1");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "gradients need a single number"));
    free_result(&r);
}
END_TEST

/* Issue 14: a vector power's local derivative line shows the derivative,
 * and the product with the upstream gradient is a line of its own. */
START_TEST(explain_shows_a_vector_power_and_its_product_apart)
{
    run_result r = RUN("explain", "sum(x^2 * 3)", "x=[1,2]");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "      d/dx x^2 = 2x = [2, 4]\n"
                                        "      dy/dx = dy/dv1 * d/dx (elementwise)\n"
                                        "        = [3, 3] * [2, 4]\n"
                                        "        = [6, 12]\n"));
    free_result(&r);
}
END_TEST

/* Issue 14: with a variable named y, grad called the result y too and
 * printed dy/dy = -4; explain called it f. One name for both. */
START_TEST(grad_names_the_result_as_explain_does)
{
    run_result r = RUN("grad", "(x+y)*z", "x=-2", "y=5", "z=-4");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "f = -12\ndf/dx = -4\ndf/dy = -4\ndf/dz = 3\n");
    free_result(&r);
    r = RUN("explain", "(x+y)*z", "x=-2", "y=5", "z=-4");
    ck_assert_ptr_nonnull(strstr(r.out, "  f            = -12\n  df/dx        = -4\n"));
    free_result(&r);
    r = RUN("grad", "x * y * f", "x=1", "y=2", "f=3", "--hessian");
    ck_assert_ptr_nonnull(strstr(r.out, "out = 6\ndout/dx = 6\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "d2out/dx dy = 3\n"));
    free_result(&r);
    r = RUN("jacobian", "L = x * y", "x=[1,2]", "y=[3,4]");
    ck_assert_ptr_nonnull(strstr(r.out, "L = [3, 8]\ndL/dx = [[3, 0], [0, 4]]"));
    free_result(&r);
}
END_TEST

START_TEST(hints_for_new_users)
{
    assert_error(RUN("grad", "x**2", "x=1"), "tg: error at column 2: use ^ for powers: x^2, not x**2",
                 "x**2", " ^");
    assert_error(RUN("grad", "sigmod(x)", "x=1"),
                 "tg: error at column 1: unknown function 'sigmod'; did you mean sigmoid?",
                 "sigmod(x)", "^");
    assert_grad_error(RUN("grad", "sum(tnah(x))", "x=1"), "did you mean tanh?");
    assert_grad_error(RUN("grad", "def huber(a) = a; hubr(x)", "x=1"), "did you mean huber?");
}
END_TEST

/* tg lint: exit 1 with each hazard's node, rule, advice and values; 0 and
 * a line when there is none. */
START_TEST(lint_names_hazards)
{
    run_result r = RUN("lint", "log(1 + exp(x))", "x=1000");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "tg lint: 2 gradient hazards\n")); /* and exp_overflow */
    ck_assert_ptr_nonnull(strstr(r.out, "  y = log(v2)   [softplus]\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "use softplus(x)"));
    ck_assert_ptr_nonnull(strstr(r.out, "      x: values 1000 .. 1000\n"));
    free_result(&r);
    r = RUN("lint", "sum(where(x > 0, sqrt(x), 0))", "x=[-1,4]");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "  v3 = where(v1, v2, 0)   [where_branch]\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "      v2: values nan .. nan, 1 element at fault\n"));
    free_result(&r);
    r = RUN("lint", "log(sum(exp(x))) + sqrt(sum(x^2))", "x=[0,0]");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "tg lint: 3 gradient hazards\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "[logsumexp]"));
    ck_assert_ptr_nonnull(strstr(r.out, "[norm]"));
    ck_assert_ptr_nonnull(strstr(r.out, "[root_at_zero]"));
    free_result(&r);
    r = RUN("lint", "sum(where(x > 0, sqrt(where(x > 0, x, 1)), 0)) + log(2 + exp(x[0]))");
    ck_assert_int_eq(r.status, 2);
    free_result(&r);
    r = RUN("lint", "sum(where(x > 0, sqrt(where(x > 0, x, 1)), 0) + log(2 + exp(x)))", "x=[-1,4]");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "tg lint: no gradient hazards found\n");
    free_result(&r);
}
END_TEST

START_TEST(usage_errors_exit_with_two)
{
    run_result r = RUN("frobnicate");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "unknown command 'frobnicate'"));
    free_result(&r);
    r = RUN("grad", "x", "x=1", "--bogus");
    ck_assert_int_eq(r.status, 2);
    free_result(&r);
    r = RUN("grad");
    ck_assert_int_eq(r.status, 2);
    free_result(&r);
    r = RUN("grad", "x", "x=1", "--wrt", "q");
    ck_assert_int_eq(r.status, 2);
    free_result(&r);
    r = RUN("explain", "x", "x=1", "--format", "rtf");
    ck_assert_int_eq(r.status, 2);
    free_result(&r);
}
END_TEST

START_TEST(help_and_version)
{
    run_result r = RUN("help");
    ck_assert_int_eq(r.status, 0);
    const char *cmds[] = {"grad", "explain", "dot", "lint", "gradcheck", "train", "eval"};
    for (int i = 0; i < 7; i++) {
        ck_assert_ptr_nonnull(strstr(r.out, cmds[i]));
        run_result h = RUN("help", cmds[i]);
        ck_assert_int_eq(h.status, 0);
        ck_assert_ptr_nonnull(strstr(h.out, "usage: tg "));
        free_result(&h);
    }
    free_result(&r);
    r = RUN("--version");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "tg (tapegrad) " TAPEGRAD_VERSION "\n");
    free_result(&r);
    r = RUN("help", "nope");
    ck_assert_int_eq(r.status, 2);
    free_result(&r);
}
END_TEST

START_TEST(dot_labels_op_value_and_gradient)
{
    run_result r = RUN("dot", "x*x + sigmoid(x)", "x=3");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "digraph tapegrad {"));
    ck_assert_ptr_nonnull(strstr(r.out, "[label=\"x\\nvalue 3\\ngrad 6.04518\""));
    ck_assert_ptr_nonnull(strstr(r.out, "[label=\"v2 = sigmoid(x)\\nvalue 0.952574\\ngrad 1\"]"));
    free_result(&r);
    char png[] = "/tmp/tg_dot_XXXXXX";
    int fd = mkstemp(png);
    ck_assert_int_ge(fd, 0);
    close(fd);
    r = RUN("dot", "x*x", "x=3", "--png", png);
    ck_assert_msg(r.status == 0 || (r.status == 1 && strstr(r.err, "Graphviz")),
                  "status %d: %s", r.status, r.err);
    unlink(png);
    free_result(&r);
}
END_TEST

/* One row per dtype for every op of the catalogue that has a sample. */
START_TEST(gradcheck_table_passes)
{
    run_result r = RUN("gradcheck");
    ck_assert_msg(r.status == 0, "%s", r.out);
    int checks = 0;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = tg_op_info_of((tg_op_kind)k);
        if (!row->sample.call)
            continue;
        checks += 2;
        char line[64];
        snprintf(line, sizeof line, "\n%-16s f32", row->name);
        ck_assert_msg(strstr(r.out, line) != NULL, "no f32 row for %s", row->name);
    }
    char total[64];
    snprintf(total, sizeof total, "%d of %d checks passed", checks, checks);
    ck_assert_msg(strstr(r.out, total) != NULL, "%s", r.out);
    free_result(&r);
}
END_TEST

/* ---- explain outputs checked into docs/explain ----------------------------- */

/* tests/cli/explain-examples.tsv: NAME<TAB>ARG<TAB>ARG...; each example's
 * output is docs/explain/NAME (regenerate with tests/cli/regen-explain.sh). */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = NULL;
    size_t len = 0, n;
    char chunk[4096];
    append(&buf, &len, "", 0);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        append(&buf, &len, chunk, n);
    fclose(f);
    return buf;
}

START_TEST(explain_outputs_match_docs)
{
    char *list = read_file(TG_SOURCE_DIR "/tests/cli/explain-examples.tsv");
    int checked = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || !line[0])
            continue;
        const char *argv[16] = {"tg"};
        int argc = 1;
        char *save = NULL, *name = strtok_r(line, "\t", &save);
        for (char *f = strtok_r(NULL, "\t", &save); f && argc < 16; f = strtok_r(NULL, "\t", &save))
            argv[argc++] = f;
        char path[512];
        snprintf(path, sizeof path, "%s/docs/explain/%s", TG_SOURCE_DIR, name);
        char *want = read_file(path);
        run_result r = run_tg(argv, argc);
        ck_assert_msg(r.status == 0, "%s: %s", name, r.err);
        ck_assert_msg(strcmp(r.out, want) == 0,
                      "docs/explain/%s is out of date: run tests/cli/regen-explain.sh", name);
        free(want);
        free_result(&r);
        checked++;
    }
    free(list);
    ck_assert_int_ge(checked, 8);
}
END_TEST

START_TEST(explain_makes_the_board_example_plain)
{
    run_result r = RUN("explain", "x^2 - 10", "x=0");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "d/dx x^2 = 2x = 0"));
    ck_assert_ptr_nonnull(strstr(r.out, "dy/dx        = 0"));
    free_result(&r);
}
END_TEST

/* ---- no input crashes it ------------------------------------------------------ */

static const char *const corpus[] = {
    "sigmoid(w1*x1 + w2*x2 + w3*x3 + b)",
    "x^2 - 10",
    "2*sigmoid(2*x) - 1",
    "max(0.01*x, x)",
    "sum(c * softmax(z, axis=-1))",
    "h = sigmoid(W @ z + c); let y = mse(h, c); y",
    "bce(sigmoid(z), c) + bce_logits(z, c) + ce(z, 1) + ce(W, c)",
    "l2(transpose(W) @ c, z) + sse(z, c) / min(z) - max(W)",
    "leaky_relu(-x, slope=0.2) ^ 2 ^ 0.5 + log(abs(x)) + sqrt(exp(x))",
    "mean(relu(z) * step(z) + linear(z) - log_softmax(z))",
};

static const char *const fuzz_vars[] = {"x=0.5", "w1=1", "w2=-1", "w3=2", "x1=0.1", "x2=0.2",
                                        "x3=0.3", "b=0", "z=[1,-2,3]", "c=[0.2,0.3,0.5]",
                                        "W=[[1,2,3],[4,5,6],[7,8,9]]"};

static const char fuzz_bytes[] = "xzWc()[],;=+-*/^@.e0123456789 letsumaxigod\t\n\x01\xff";

static void mutate(char *s, size_t cap)
{
    size_t len = strlen(s);
    switch (next_rand() % 4) {
    case 0: /* replace a byte */
        if (len)
            s[next_rand() % len] = fuzz_bytes[next_rand() % (sizeof fuzz_bytes - 1)];
        break;
    case 1: /* delete a span */
        if (len) {
            size_t at = next_rand() % len, n = 1 + next_rand() % 4;
            n = at + n > len ? len - at : n;
            memmove(s + at, s + at + n, len - at - n + 1);
        }
        break;
    case 2: /* insert a byte */
        if (len + 1 < cap) {
            size_t at = len ? next_rand() % len : 0;
            memmove(s + at + 1, s + at, len - at + 1);
            s[at] = fuzz_bytes[next_rand() % (sizeof fuzz_bytes - 1)];
        }
        break;
    default: /* duplicate the first half onto the end */
        if (len + len / 2 < cap) {
            memcpy(s + len, s, len / 2);
            s[len + len / 2] = '\0';
        }
        break;
    }
}

static void random_input(char *s, size_t cap)
{
    if (next_rand() % 5 == 0) { /* pure noise */
        size_t len = next_rand() % (cap - 1);
        for (size_t i = 0; i < len; i++)
            s[i] = (char)(1 + next_rand() % 255);
        s[len] = '\0';
        return;
    }
    snprintf(s, cap, "%s", corpus[next_rand() % (sizeof corpus / sizeof *corpus)]);
    for (int n = 1 + (int)(next_rand() % 6); n > 0; n--)
        mutate(s, cap);
}

static void assert_no_crash(const char **argv, int argc)
{
    run_result r = run_tg(argv, argc);
    ck_assert_msg(r.signal == 0 && (r.status == 0 || r.status == 2),
                  "tg %s '%s' ended with status %d signal %d:\n%s", argv[1], argv[2], r.status,
                  r.signal, r.err);
    if (r.status == 2)
        ck_assert_msg(strncmp(r.err, "tg: error", 9) == 0, "no error line: %s", r.err);
    free_result(&r);
}

START_TEST(fuzz_never_crashes)
{
    const char *cmds[] = {"grad", "explain", "dot"};
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int cases = 0;
    /* at least 100 cases however slow the machine (sanitizers, load), then
     * as many as fit in 4 seconds, up to 2000 */
    for (double elapsed = 0; cases < 2000 && (elapsed < 4 || cases < 100); cases++) {
        char expr[256], var[64];
        random_input(expr, sizeof expr);
        size_t n_vars = sizeof fuzz_vars / sizeof *fuzz_vars, mutated = next_rand() % n_vars;
        snprintf(var, sizeof var, "%s", fuzz_vars[mutated]);
        if (next_rand() % 4 == 0)
            mutate(var, sizeof var);
        const char *argv[3 + 12] = {"tg", cmds[next_rand() % 3], expr};
        int argc = 3;
        for (size_t i = 0; i < n_vars; i++)
            argv[argc++] = i == mutated ? var : fuzz_vars[i];
        assert_no_crash(argv, argc);
        clock_gettime(CLOCK_MONOTONIC, &now);
        elapsed = (double)(now.tv_sec - start.tv_sec) + 1e-9 * (double)(now.tv_nsec - start.tv_nsec);
    }
    ck_assert_int_ge(cases, 100);
}
END_TEST

START_TEST(deep_and_long_inputs_are_handled)
{
    static char deep[4000], chain[100000];
    memset(deep, '(', 1000);
    strcpy(deep + 1000, "x");
    run_result r = RUN("grad", deep, "x=1");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "nested too deeply"));
    free_result(&r);
    memset(deep, '-', 3000);
    strcpy(deep + 3000, "x");
    assert_no_crash((const char *[]){"tg", "grad", deep, "x=1"}, 4);
    size_t len = 0;
    for (int i = 0; i < 30000; i++)
        len += (size_t)sprintf(chain + len, "%sx", i ? "+" : "");
    r = RUN("grad", chain, "x=1", "--json");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "{\"value\": 30000, \"grad\": {\"x\": 30000}}\n");
    free_result(&r);
}
END_TEST

/* tg grad --repeat N: the graph captured once and replayed; stdout the same
 * as without it (the last replay's numbers), the time per run on stderr.
 * Scalar graphs (the flat sweep), tensor graphs (the engine's), data that
 * does not require grad (--wrt), and what it refuses. */
START_TEST(grad_repeat_prints_what_grad_prints)
{
    static const char *const cases[][5] = {
        {"sigmoid(w*x + b)", "w=0.5", "x=2", "b=0.1", "--json"},
        {"sum(tanh(W @ x) * y)", "W=[[1,2],[-0.5,0.25]]", "x=[0.3,-0.2]", "y=[2,3]", "--json"},
        {"mean((W @ x - y)^2)", "W=[[1,2],[-0.5,0.25]]", "x=[0.3,-0.2]", "y=[2,3]", "--wrt=W"},
        {"x^3 - 2*x", "x=1.5", "--wrt=x", "--json", "--json"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *const *c = cases[k];
        run_result plain = RUN("grad", c[0], c[1], c[2], c[3], c[4]);
        run_result again = RUN("grad", c[0], c[1], c[2], c[3], c[4], "--repeat", "25");
        ck_assert_msg(plain.status == 0 && again.status == 0, "%s: %s%s", c[0], plain.err,
                      again.err);
        ck_assert_str_eq(again.out, plain.out);
        ck_assert_msg(strstr(again.err, "25 runs") && strstr(again.err, "ns per run"), "%s",
                      again.err);
        free_result(&plain);
        free_result(&again);
    }
    run_result zero = RUN("grad", "x^2", "x=1", "--repeat", "0");
    ck_assert_int_eq(zero.status, 2);
    ck_assert_ptr_nonnull(strstr(zero.err, "--repeat needs a positive whole number"));
    run_result both = RUN("grad", "x^2", "x=1", "--repeat", "3", "--hessian");
    ck_assert_int_eq(both.status, 2);
    ck_assert_ptr_nonnull(strstr(both.err, "cannot be combined"));
    run_result none = RUN("grad", "x^2", "x=1", "y=2", "--wrt", "y", "--repeat", "3");
    ck_assert_int_eq(none.status, 0);
    free_result(&zero);
    free_result(&both);
    free_result(&none);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli");
    TCase *notes = tu_tcase("notes");
    tcase_add_test(notes, notes_neuron);
    tcase_add_test(notes, notes_x_squared_minus_ten);
    tcase_add_test(notes, notes_tanh_is_two_sigmoid_minus_one);
    tcase_add_test(notes, notes_leaky_relu_is_max_of_small_x_and_x);
    tcase_add_test(notes, notes_softmax);
    tcase_add_test(notes, notes_mse_sse_l2);
    tcase_add_test(notes, notes_binary_cross_entropy);
    tcase_add_test(notes, bce_at_certain_probabilities_stays_finite);
    tcase_add_test(notes, notes_cross_entropy);
    tcase_add_test(notes, notes_nested_network);
    tcase_add_test(notes, random_expressions_match_the_api);
    suite_add_tcase(s, notes);
    TCase *cli = tu_tcase("interface");
    tcase_add_test(cli, keyword_arguments);
    tcase_add_test(cli, loss_with_a_number_target);
    tcase_add_test(cli, json_format_is_exact);
    tcase_add_test(cli, grad_repeat_prints_what_grad_prints);
    tcase_add_test(cli, errors_name_the_column_with_a_caret);
    tcase_add_test(cli, usage_errors_exit_with_two);
    tcase_add_test(cli, help_and_version);
    tcase_add_test(cli, dot_labels_op_value_and_gradient);
    tcase_add_test(cli, gradcheck_table_passes);
    tcase_add_test(cli, explain_outputs_match_docs);
    tcase_add_test(cli, explain_makes_the_board_example_plain);
    suite_add_tcase(s, cli);
    TCase *language = tu_tcase("language");
    tcase_add_test(language, comparison_operators_make_masks);
    tcase_add_test(language, where_trap_through_the_language);
    tcase_add_test(language, array_literals_stand_for_values);
    tcase_add_test(language, constants_pi_and_e);
    tcase_add_test(language, user_defined_functions);
    tcase_add_test(language, hints_for_new_users);
    tcase_add_test(language, subscripts_index_any_operand);
    tcase_add_test(language, shape_functions_take_along_movedim_unflatten_tile_expand_pad_modes);
    tcase_add_test(language, several_results_are_bound_or_picked);
    tcase_add_test(language, explain_says_where_indexing_gradients_go);
    tcase_add_test(language, explain_writes_a_gradient_rule_as_a_gradient);
    tcase_add_test(language, explain_shows_a_matmuls_shapes_and_transposed_operand);
    tcase_add_test(language, descend_shows_each_update_and_converges);
    tcase_add_test(language, explain_shows_a_vector_power_and_its_product_apart);
    tcase_add_test(language, grad_names_the_result_as_explain_does);
    tcase_add_test(language, lint_names_hazards);
    suite_add_tcase(s, language);
    TCase *fuzz = tu_tcase("robustness");
    tcase_add_test(fuzz, fuzz_never_crashes);
    tcase_add_test(fuzz, deep_and_long_inputs_are_handled);
    suite_add_tcase(s, fuzz);
    return tu_run(s);
}
