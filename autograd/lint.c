/*
 * lint.c -- the gradient-hazard linter (tapegrad/lint.h). It reads the tape
 * through the public inspection API only (tapegrad/inspect.h and the
 * catalogue's kinds), as a user's tool could: each rule looks at one node
 * and the nodes that made its inputs.
 */
#include <float.h>
#include <math.h>

#include <tapegrad/catalogue.h>
#include <tapegrad/function.h>
#include <tapegrad/inspect.h>
#include <tapegrad/lint.h>

static const struct {
    const char *name, *advice;
} rules[TG_LINT_RULE_COUNT] = {
    [TG_LINT_SOFTPLUS] = {"softplus", "log(1 + exp(x)) overflows to inf for x above 709 (88 in "
                                      "float32) and its gradient turns NaN; use softplus(x)"},
    [TG_LINT_LOGSUMEXP] = {"logsumexp", "log(sum(exp(x))) overflows to inf for x above 709 (88 "
                                        "in float32); use logsumexp(x), which subtracts the max"},
    [TG_LINT_NORM] = {"norm", "sqrt(sum(x^2)) has a NaN gradient at x = 0 (0 / 0); use norm(x), "
                              "whose subgradient there is 0"},
    [TG_LINT_ROOT_AT_ZERO] = {"root_at_zero",
                              "sqrt or a fractional power at 0 has an infinite derivative: the "
                              "gradient is inf, or NaN once multiplied by 0; keep the argument "
                              "away from 0 (x + eps) or select it away with where first"},
    [TG_LINT_WHERE_BRANCH] = {"where_branch",
                              "the side where does not choose is inf or NaN there, and 0 times "
                              "its NaN derivative makes the gradient NaN; apply where to the "
                              "input first: where(c, f(where(c, x, safe)), b) (docs/ops.md)"},
    [TG_LINT_LOG_SIGMOID] = {"log_sigmoid",
                             "log(sigmoid(x)) is log(0) = -inf once sigmoid(x) underflows (x "
                             "below -745, -104 in float32) and its gradient turns NaN; use "
                             "log_sigmoid(x)"},
    [TG_LINT_EXP_OVERFLOW] = {"exp_overflow",
                              "exp(x) is inf for x above 709.78 (88.72 in float32), and so are "
                              "the gradients through it; rewrite so that exp sees x - max(x) or "
                              "-|x| (softplus, logsumexp, log_sigmoid, logaddexp do)"},
    [TG_LINT_EXPM1] = {"expm1", "1 - exp(x) and exp(x) - 1 cancel digits near x = 0 (at 1e-8 "
                                "half of float64's, all of float32's); use expm1(x), exact there"},
};

const char *tg_lint_rule_name(tg_lint_rule rule)
{
    return (unsigned)rule < TG_LINT_RULE_COUNT ? rules[rule].name : NULL;
}

const char *tg_lint_advice(tg_lint_rule rule)
{
    return (unsigned)rule < TG_LINT_RULE_COUNT ? rules[rule].advice : NULL;
}

static bool is_kind(const tg_tensor *t, tg_op_kind kind)
{
    return t && tg_tape_position(t) >= 0 && tg_op_kind_of(t) == kind;
}

/* A constant holding the one number v (an unrecorded scalar such as 1). */
static bool constant_is(const tg_tensor *t, double v)
{
    return tg_tape_position(t) < 0 && tg_numel(t) == 1 && tg_get(t, 0) == v;
}

static bool constant_of(const tg_tensor *t, double v)
{
    double c;
    return tg_op_constant(t, &c) && c == v;
}

/* x when t is exp(x), else NULL. */
static tg_tensor *exp_arg(const tg_tensor *t)
{
    return is_kind(t, TG_OP_EXP) ? tg_op_input(t, 0) : NULL;
}

/* x when t is 1 + exp(x), written with the scalar op or a constant 1. */
static tg_tensor *one_plus_exp_arg(const tg_tensor *t)
{
    if (is_kind(t, TG_OP_ADD_SCALAR) && constant_of(t, 1))
        return exp_arg(tg_op_input(t, 0));
    for (int k = 0; is_kind(t, TG_OP_ADD) && k < 2; k++)
        if (constant_is(tg_op_input(t, k), 1) && exp_arg(tg_op_input(t, 1 - k)))
            return exp_arg(tg_op_input(t, 1 - k));
    return NULL;
}

/* The summand when t sums all elements or along an axis. */
static tg_tensor *sum_arg(const tg_tensor *t)
{
    return is_kind(t, TG_OP_SUM) || is_kind(t, TG_OP_SUM_AXIS) ? tg_op_input(t, 0) : NULL;
}

/* x when t is x^2 or x * x. */
static tg_tensor *square_arg(const tg_tensor *t)
{
    if (is_kind(t, TG_OP_POW_SCALAR) && constant_of(t, 2))
        return tg_op_input(t, 0);
    if (is_kind(t, TG_OP_MUL) && tg_op_input(t, 0) == tg_op_input(t, 1))
        return tg_op_input(t, 0);
    return NULL;
}

/* x when t is 1 - exp(x) or exp(x) - 1, as the language and the C API write
 * them: a subtraction with a constant 1, or the scalar op adding 1 to -exp(x)
 * or -1 to exp(x). */
static tg_tensor *exp_minus_one_arg(const tg_tensor *t)
{
    tg_tensor *x = NULL;
    for (int k = 0; is_kind(t, TG_OP_SUB) && k < 2 && !x; k++)
        if (constant_is(tg_op_input(t, k), 1))
            x = exp_arg(tg_op_input(t, 1 - k));
    if (is_kind(t, TG_OP_ADD_SCALAR) && constant_of(t, -1))
        x = exp_arg(tg_op_input(t, 0));
    if (is_kind(t, TG_OP_ADD_SCALAR) && constant_of(t, 1) && is_kind(tg_op_input(t, 0), TG_OP_NEG))
        x = exp_arg(tg_op_input(tg_op_input(t, 0), 0));
    return x;
}

static bool is_root(const tg_tensor *t)
{
    double p;
    return is_kind(t, TG_OP_SQRT) ||
           (is_kind(t, TG_OP_POW_SCALAR) && tg_op_constant(t, &p) && p > 0 && p < 1);
}

typedef struct {
    tg_lint_finding *out;
    int64_t max, n;
} findings;

static void widen(tg_lint_finding *f, double v)
{
    if (isnan(v))
        return;
    f->lo = isnan(f->lo) || v < f->lo ? v : f->lo;
    f->hi = isnan(f->hi) || v > f->hi ? v : f->hi;
}

static tg_lint_finding *add(findings *fs, tg_lint_rule rule, tg_tensor *node, tg_tensor *input)
{
    tg_lint_finding *f = fs->n < fs->max ? &fs->out[fs->n] : NULL;
    fs->n++;
    if (f)
        *f = (tg_lint_finding){rule, node, input, NAN, NAN, 0};
    return f;
}

/* A rule that matches the pattern alone: the range is all of input's. */
static void add_pattern(findings *fs, tg_lint_rule rule, tg_tensor *node, tg_tensor *input)
{
    tg_lint_finding *f = add(fs, rule, node, input);
    for (int64_t i = 0; f && i < tg_numel(input); i++)
        widen(f, tg_get(input, i));
}

static void root_at_zero(findings *fs, tg_tensor *node)
{
    tg_tensor *x = tg_op_input(node, 0);
    int64_t zeros = 0;
    for (int64_t i = 0; i < tg_numel(x); i++)
        zeros += tg_get(x, i) == 0;
    if (!zeros || !tg_requires_grad(x))
        return;
    tg_lint_finding *f = add(fs, TG_LINT_ROOT_AT_ZERO, node, x);
    if (f) {
        f->count = zeros;
        f->lo = f->hi = 0;
    }
}

/* A rule about some of input's values: those that at() picks are counted
 * and their range is reported. */
static void add_values(findings *fs, tg_lint_rule rule, tg_tensor *node, tg_tensor *input,
                       bool (*at)(double v, double limit), double limit)
{
    tg_lint_finding probe = {.lo = NAN, .hi = NAN};
    for (int64_t i = 0; i < tg_numel(input); i++) {
        double v = tg_get(input, i);
        if (at(v, limit)) {
            probe.count++;
            widen(&probe, v);
        }
    }
    tg_lint_finding *f = probe.count ? add(fs, rule, node, input) : NULL;
    if (f) {
        f->count = probe.count;
        f->lo = probe.lo;
        f->hi = probe.hi;
    }
}

static bool above(double v, double limit) { return v > limit; }

static bool near_zero(double v, double limit) { return fabs(v) < limit; }

/* The largest x whose exp is finite in t's dtype. */
static double exp_limit(const tg_tensor *t)
{
    return tg_dtype_of(t) == TG_F32 ? log(FLT_MAX) : log(DBL_MAX);
}

/* The flat index into in of element o of node, in broadcasts to node. */
static int64_t source_index(const tg_tensor *node, const tg_tensor *in, int64_t o)
{
    int nd = tg_ndim(node), ni = tg_ndim(in);
    int64_t index = 0, stride = 1;
    for (int d = nd - 1, s = ni - 1; d >= 0 && s >= 0; d--, s--) {
        int64_t size = tg_shape(node)[d], i = o % size;
        o /= size;
        if (tg_shape(in)[s] != 1)
            index += i * stride;
        stride *= tg_shape(in)[s];
    }
    return index;
}

/* Side k (1 or 2) of a where, where the condition chose the other one. */
static void unchosen_side(findings *fs, tg_tensor *node, int k)
{
    tg_tensor *cond = tg_op_input(node, 0), *side = tg_op_input(node, k);
    if (!tg_requires_grad(side))
        return;
    tg_lint_finding probe = {.lo = NAN, .hi = NAN};
    for (int64_t o = 0; o < tg_numel(node); o++) {
        bool chosen = (tg_get(cond, source_index(node, cond, o)) != 0) == (k == 1);
        double v = tg_get(side, source_index(node, side, o));
        if (!chosen && !isfinite(v)) {
            probe.count++;
            widen(&probe, v);
        }
    }
    if (!probe.count)
        return;
    tg_lint_finding *f = add(fs, TG_LINT_WHERE_BRANCH, node, side);
    if (f) {
        f->count = probe.count;
        f->lo = probe.lo;
        f->hi = probe.hi;
    }
}

static void lint_node(findings *fs, tg_tensor *node)
{
    tg_tensor *x, *in = tg_op_num_inputs(node) > 0 ? tg_op_input(node, 0) : NULL;
    if (is_kind(node, TG_OP_LOG) && (x = one_plus_exp_arg(in)))
        add_pattern(fs, TG_LINT_SOFTPLUS, node, x);
    if (is_kind(node, TG_OP_LOG) && (x = exp_arg(sum_arg(in))))
        add_pattern(fs, TG_LINT_LOGSUMEXP, node, x);
    if (is_kind(node, TG_OP_SQRT) && (x = square_arg(sum_arg(in))))
        add_pattern(fs, TG_LINT_NORM, node, x);
    if (is_root(node))
        root_at_zero(fs, node);
    if (is_kind(node, TG_OP_WHERE)) {
        unchosen_side(fs, node, 1);
        unchosen_side(fs, node, 2);
    }
    if (is_kind(node, TG_OP_LOG) && is_kind(in, TG_OP_SIGMOID))
        add_pattern(fs, TG_LINT_LOG_SIGMOID, node, tg_op_input(in, 0));
    if (is_kind(node, TG_OP_EXP))
        add_values(fs, TG_LINT_EXP_OVERFLOW, node, in, above, exp_limit(node));
    /* below 1e-3 the subtraction has lost three digits or more */
    if ((x = exp_minus_one_arg(node)))
        add_values(fs, TG_LINT_EXPM1, node, x, near_zero, 1e-3);
}

int64_t tg_tape_lint(tg_lint_finding *out, int64_t max)
{
    if (max < 0)
        return tg_set_error(TG_EVALUE, "tg_tape_lint: max is %lld, not >= 0", (long long)max);
    if (!out && max > 0)
        return tg_set_error(TG_ENULL, "tg_tape_lint: argument 1 (out) is NULL");
    findings fs = {out, max, 0};
    for (int64_t pos = 0; pos < tg_tape_length(); pos++)
        lint_node(&fs, tg_tape_node(pos));
    return fs.n;
}
