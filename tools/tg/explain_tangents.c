/*
 * explain_tangents.c -- each op's tangent (forward-mode) rule as `tg explain
 * --mode forward` writes it, keyed by kind beside explain_ops.c's formulas.
 *
 * An elementwise op needs no row: its tangent is the sum over the moving
 * inputs of local derivative x the input's tangent, written from its
 * explain_ops.c derivatives (d(sin v1) = cos(v1) dv1). Every other kind has
 * a row: linear ops apply themselves to the tangents (d sum(v1) =
 * sum(dv1)), multilinear ones take one input's tangent at a time (d(A @ B)
 * = dA @ B + A @ dB), piecewise-constant ones have none, and the rest have a
 * template in which d$0 is the tangent of input 0. The catalogue test
 * checks that every kind has its tangent.
 */
#include <stdio.h>
#include <string.h>

#include "explain.h"

typedef enum {
    TANGENT_DERIVED,     /* elementwise: from the local derivatives */
    TANGENT_LINEAR,      /* the op of the tangents (0 for an input that stays) */
    TANGENT_MULTILINEAR, /* a term per moving input, the others at their values */
    TANGENT_ZERO,        /* piecewise constant */
    TANGENT_TEMPLATE
} tangent_mode;

typedef struct {
    tangent_mode mode;
    const char *tpl[2]; /* [notation], for TANGENT_TEMPLATE */
} tangent_row;

#define LINEAR {TANGENT_LINEAR, {NULL, NULL}}
#define MULTILINEAR {TANGENT_MULTILINEAR, {NULL, NULL}}
#define ZERO {TANGENT_ZERO, {NULL, NULL}}

static const tangent_row rows[TG_OP_COUNT] = {
    [TG_OP_SOFTMAX] = {TANGENT_TEMPLATE,
                       {"$y * (d$0 - sum($y * d$0, axis=$a))",
                        "$y \\odot (d$0 - \\textstyle\\sum_{$a} $y \\odot d$0)"}},
    [TG_OP_LOG_SOFTMAX] = {TANGENT_TEMPLATE,
                           {"d$0 - sum(softmax($0) * d$0, axis=$a)",
                            "d$0 - \\textstyle\\sum_{$a} \\operatorname{softmax}($0) \\odot d$0"}},
    [TG_OP_SUM] = LINEAR,
    [TG_OP_MEAN] = LINEAR,
    [TG_OP_MAX] = {TANGENT_TEMPLATE, {"d$0 at the first largest element of $0",
                                      "d$0_{\\arg\\max $0}"}},
    [TG_OP_MIN] = {TANGENT_TEMPLATE, {"d$0 at the first smallest element of $0",
                                      "d$0_{\\arg\\min $0}"}},
    [TG_OP_SUM_AXIS] = LINEAR,
    [TG_OP_MEAN_AXIS] = LINEAR,
    [TG_OP_MAX_AXIS] = {TANGENT_TEMPLATE, {"d$0 at the first largest element along axis $a",
                                           "d$0_{\\arg\\max_{$a} $0}"}},
    [TG_OP_MIN_AXIS] = {TANGENT_TEMPLATE, {"d$0 at the first smallest element along axis $a",
                                           "d$0_{\\arg\\min_{$a} $0}"}},
    [TG_OP_SUM_DIMS] = LINEAR,
    [TG_OP_MEAN_DIMS] = LINEAR,
    [TG_OP_AMAX] = {TANGENT_TEMPLATE, {"mean of d$0 over the tied largest elements",
                                       "\\operatorname{mean}_{\\arg\\max} d$0"}},
    [TG_OP_AMIN] = {TANGENT_TEMPLATE, {"mean of d$0 over the tied smallest elements",
                                       "\\operatorname{mean}_{\\arg\\min} d$0"}},
    [TG_OP_LOGSUMEXP] = {TANGENT_TEMPLATE, {"sum(softmax($0) * d$0)",
                                            "\\textstyle\\sum \\operatorname{softmax}($0) \\odot d$0"}},
    [TG_OP_PROD] = {TANGENT_TEMPLATE, {"sum of d$0_i times the product of the other elements",
                                       "\\textstyle\\sum_i d$0_i \\prod_{j \\ne i} $0_j"}},
    [TG_OP_VARIANCE] = {TANGENT_TEMPLATE, {"2 sum(($0 - mean($0)) * d$0) / (N - correction)",
                                           "\\frac{2 \\sum ($0 - \\bar $0)\\, d$0}{N - c}"}},
    [TG_OP_STD] = {TANGENT_TEMPLATE, {"sum(($0 - mean($0)) * d$0) / ((N - correction) $y)",
                                      "\\frac{\\sum ($0 - \\bar $0)\\, d$0}{(N - c)\\, $y}"}},
    [TG_OP_NORM] = {TANGENT_TEMPLATE, {"sum(sign($0) |$0|^(p-1) * d$0) / $y^(p-1)",
                                       "\\frac{\\sum \\operatorname{sign}($0) |$0|^{p-1} d$0}{$y^{p-1}}"}},
    [TG_OP_CUMSUM] = LINEAR,
    [TG_OP_CUMPROD] = {TANGENT_TEMPLATE, {"d$y_i = d$y_{i-1} $0_i + $y_{i-1} d$0_i along axis $a",
                                          "d$y_i = d$y_{i-1} $0_i + $y_{i-1}\\, d$0_i"}},
    [TG_OP_SCAN] = {TANGENT_TEMPLATE, {"the same recurrence driven by d$0 and d$1",
                                       "\\text{the recurrence in } d$0, d$1"}},
    [TG_OP_SHIFT] = LINEAR,
    [TG_OP_ARGMAX] = ZERO,
    [TG_OP_ARGMIN] = ZERO,
    [TG_OP_MATMUL] = MULTILINEAR,
    [TG_OP_MATMUL_T] = MULTILINEAR,
    [TG_OP_TRANSPOSE] = LINEAR,
    [TG_OP_RESHAPE] = LINEAR,
    [TG_OP_BROADCAST_TO] = LINEAR,
    [TG_OP_SUM_TO] = LINEAR,
    [TG_OP_CAST] = LINEAR,
    [TG_OP_SELECT] = LINEAR,
    [TG_OP_SLICE] = LINEAR,
    [TG_OP_PERMUTE] = LINEAR,
    [TG_OP_FLIP] = LINEAR,
    [TG_OP_ROLL] = LINEAR,
    [TG_OP_REPEAT] = LINEAR,
    [TG_OP_TRIL] = LINEAR,
    [TG_OP_TRIU] = LINEAR,
    [TG_OP_DIAGONAL] = LINEAR,
    [TG_OP_DIAG_EMBED] = LINEAR,
    [TG_OP_TRACE] = LINEAR,
    [TG_OP_INDEX_SELECT] = LINEAR,
    [TG_OP_INDEX_ADD] = LINEAR,
    [TG_OP_GATHER] = LINEAR,
    [TG_OP_SCATTER_ADD] = LINEAR,
    [TG_OP_EMBEDDING] = LINEAR,
    [TG_OP_ONE_HOT] = ZERO,
    [TG_OP_MASKED_SELECT] = LINEAR,
    [TG_OP_OUTER] = MULTILINEAR,
    [TG_OP_DOT] = MULTILINEAR,
    [TG_OP_PAD] = LINEAR,
    [TG_OP_CONCAT] = LINEAR,
    [TG_OP_UNFOLD] = LINEAR,
    [TG_OP_FOLD] = LINEAR,
    [TG_OP_CONV1D] = {TANGENT_TEMPLATE, {"conv1d(d$0, $1) + conv1d($0, d$1) + the bias's tangent",
                                       "$1 \\star d$0 + d$1 \\star $0 + db"}},
    [TG_OP_CONV2D] = {TANGENT_TEMPLATE, {"conv2d(d$0, $1) + conv2d($0, d$1) + the bias's tangent",
                                       "$1 \\star d$0 + d$1 \\star $0 + db"}},
    [TG_OP_MAX_POOL1D] = {TANGENT_TEMPLATE, {"d$0 at each window's first largest element",
                                           "d$0_{\\arg\\max}"}},
    [TG_OP_MAX_POOL2D] = {TANGENT_TEMPLATE, {"d$0 at each window's first largest element",
                                           "d$0_{\\arg\\max}"}},
    [TG_OP_AVG_POOL1D] = LINEAR,
    [TG_OP_AVG_POOL2D] = LINEAR,
    [TG_OP_ADAPTIVE_AVG_POOL2D] = LINEAR,
    [TG_OP_DROPOUT] = {TANGENT_TEMPLATE, {"d$0 * the same mask", "d$0 \\odot m"}},
    [TG_OP_CONV_TRANSPOSE2D] = {TANGENT_TEMPLATE,
                                {"conv_transpose2d(d$0, $1) + conv_transpose2d($0, d$1) + the "
                                 "bias's tangent", "$1 \\star^{\\top} d$0 + d$1 \\star^{\\top} $0 + db"}},
    [TG_OP_BATCH_NORM] = {TANGENT_TEMPLATE,
                          {"rstd (d$0 - mean(d$0) - xhat mean(d$0 xhat)) $1 + xhat d$1 + d$2",
                           "J_{\\hat{x}}\\, d$0\\, $1 + \\hat{x}\\, d$1 + d$2"}},
    [TG_OP_LAYER_NORM] = {TANGENT_TEMPLATE,
                          {"rstd (d$0 - mean(d$0) - xhat mean(d$0 xhat)) $1 + xhat d$1 + d$2",
                           "J_{\\hat{x}}\\, d$0\\, $1 + \\hat{x}\\, d$1 + d$2"}},
    [TG_OP_RMS_NORM] = {TANGENT_TEMPLATE,
                          {"rstd (d$0 - xhat mean(d$0 xhat)) $1 + xhat d$1",
                           "J_{\\hat{x}}\\, d$0\\, $1 + \\hat{x}\\, d$1"}},
    [TG_OP_GROUP_NORM] = {TANGENT_TEMPLATE,
                          {"rstd (d$0 - mean(d$0) - xhat mean(d$0 xhat)) $1 + xhat d$1 + d$2",
                           "J_{\\hat{x}}\\, d$0\\, $1 + \\hat{x}\\, d$1 + d$2"}},
    [TG_OP_USER] = {TANGENT_TEMPLATE, {"J d$0 (its jvp, or the double VJP from its backward)",
                                       "J\\, d$0"}},
};

bool explain_has_tangent(tg_op_kind kind)
{
    const tg_op_info *row = tg_op_info_of(kind);
    if (!row)
        return false;
    if (row->flags & TG_OP_ELEMENTWISE)
        return explain_has_rule(kind);
    return rows[kind].mode != TANGENT_DERIVED;
}

typedef struct {
    char *buf;
    size_t size, len;
} text;

static void put(text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n >= t->size)
        n = t->size - t->len - 1;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/* Whether the op passes a gradient to input k, i.e. the input is
 * differentiated at all (an index input is not). */
static bool differentiable(const tg_tensor *node, int k, const formula_names *n)
{
    char d[192];
    op_derivative(node, k, n, NOTATION_TEXT, d, sizeof d);
    return strncmp(d, "0 (no gradient", 14) != 0;
}

/* A local derivative as a factor: "1" vanishes, a sum is parenthesised. */
static void put_term(text *t, const char *deriv, const char *dname, bool first)
{
    bool negative = deriv[0] == '-' && strcmp(deriv, "-1") != 0;
    if (!first)
        put(t, negative || strcmp(deriv, "-1") == 0 ? " - " : " + ");
    else if (strcmp(deriv, "-1") == 0 || negative)
        put(t, "-");
    const char *d = deriv[0] == '-' ? deriv + 1 : deriv;
    if (strcmp(d, "1") != 0) {
        int depth = 0;
        bool infix = false;
        for (const char *p = d; *p; p++) {
            depth += (*p == '(') - (*p == ')');
            infix |= depth == 0 && *p == ' ';
        }
        put(t, infix ? "(" : "");
        put(t, d);
        put(t, infix ? ") " : " ");
    }
    put(t, dname);
}

static char *derived(const tg_tensor *node, const formula_names *n, const char dnames[3][96],
                     const bool *moving, notation how, text *t)
{
    bool first = true;
    for (int k = 0; k < 3 && n->in[k]; k++) {
        char deriv[192];
        op_derivative(node, k, n, how, deriv, sizeof deriv);
        if (!moving[k] || strcmp(deriv, "0") == 0 || strncmp(deriv, "0 (no gradient", 14) == 0)
            continue;
        put_term(t, deriv, dnames[k], first);
        first = false;
    }
    if (first)
        put(t, "0");
    return t->buf;
}

char *op_tangent(const tg_tensor *node, const formula_names *n, const bool *moving,
                 notation how, char *buf, size_t size)
{
    text t = {buf, size, 0};
    buf[0] = '\0';
    char dnames[3][96];
    for (int k = 0; k < 3; k++)
        snprintf(dnames[k], sizeof dnames[k], "d%s", n->in[k] ? n->in[k] : "?");
    const tg_op_info *info = tg_op_info_of(tg_op_kind_of(node));
    const tangent_row *row = info ? &rows[info->kind] : NULL;
    if (!row || (info->flags & TG_OP_ELEMENTWISE))
        return derived(node, n, dnames, moving, how, &t);
    formula_names d = *n;
    char piece[192];
    switch (row->mode) {
    case TANGENT_LINEAR:
        for (int k = 0; k < 3 && n->in[k]; k++)
            d.in[k] = moving[k] ? dnames[k] : differentiable(node, k, n) ? "0" : n->in[k];
        put(&t, op_formula(node, &d, how, piece, sizeof piece));
        break;
    case TANGENT_MULTILINEAR:
        for (int k = 0; k < 3 && n->in[k]; k++) {
            if (!moving[k])
                continue;
            d = *n;
            d.in[k] = dnames[k];
            put(&t, t.len ? " + " : "");
            put(&t, op_formula(node, &d, how, piece, sizeof piece));
        }
        break;
    case TANGENT_ZERO:
        put(&t, "0 (piecewise constant)");
        break;
    default:
        put(&t, explain_expand(row->tpl[how], n, how, piece, sizeof piece));
    }
    return buf;
}
