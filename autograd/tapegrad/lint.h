/*
 * tapegrad/lint.h -- a gradient-hazard linter: finds, on a recorded tape,
 * the patterns whose values or gradients turn inf or NaN although the math
 * they stand for is finite, or lose most of their digits (1 - exp(x) near
 * 0), and names the replacement.
 *
 *     tg_tensor *y = tg_log(tg_add_scalar(tg_exp(x), 1));
 *     tg_lint_finding f[8];
 *     int64_t n = tg_tape_lint(f, 8);
 *     for (int64_t i = 0; i < n && i < 8; i++)
 *         printf("%s: %s\n", tg_lint_rule_name(f[i].rule), tg_lint_advice(f[i].rule));
 *
 * The peers detect a NaN after it appears (anomaly mode: tapegrad/hooks.h);
 * the linter reads the ops and the values they saw before the sweep runs.
 */
#ifndef TAPEGRAD_LINT_H
#define TAPEGRAD_LINT_H

#include <tapegrad/export.h>

#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TG_LINT_SOFTPLUS,     /* log(1 + exp(x)): overflows for large x; softplus(x) */
    TG_LINT_LOGSUMEXP,    /* log(sum(exp(x))): overflows; logsumexp(x) */
    TG_LINT_NORM,         /* sqrt(sum(x^2)): NaN gradient at x = 0; norm(x) */
    TG_LINT_ROOT_AT_ZERO, /* sqrt(x) or x^p, 0 < p < 1, at x = 0: infinite derivative */
    TG_LINT_WHERE_BRANCH, /* where(c, a, b) whose unchosen side is inf or NaN where it
                             needs a gradient: 0 * NaN makes the gradient NaN */
    TG_LINT_LOG_SIGMOID,  /* log(sigmoid(x)): -inf and a NaN gradient for very negative x;
                             log_sigmoid(x) */
    TG_LINT_EXP_OVERFLOW, /* exp(x) with some x above log of the dtype's largest number
                             (88.72 in float32, 709.78 in float64): inf */
    TG_LINT_EXPM1,        /* 1 - exp(x) or exp(x) - 1 with some |x| < 1e-3: cancels digits;
                             expm1(x) */
    TG_LINT_RULE_COUNT
} tg_lint_rule;

typedef struct {
    tg_lint_rule rule;
    tg_tensor *node;  /* the tape node that completes the pattern (the log, the sqrt,
                         the where) */
    tg_tensor *input; /* the tensor whose values the hazard is about (x) */
    double lo, hi;    /* the smallest and largest value of input that the rule looked at
                         (NaN ignored; both NaN when every one was NaN) */
    int64_t count;    /* elements at fault: zeros under a root, unchosen non-finite
                         entries of a where, exp arguments that overflow, arguments of
                         1 - exp(x) near 0; 0 for the rules that match the pattern alone */
} tg_lint_finding;

/* Walks the calling thread's tape from its first node and writes up to max
 * findings to out, in tape order. Returns the number of findings (more
 * than max when out was too short), or a negative TG_E* code: TG_EVALUE
 * for max < 0, TG_ENULL for out NULL with max > 0. */
TG_API int64_t tg_tape_lint(tg_lint_finding *out, int64_t max);
/* "softplus", "logsumexp", "norm", "root_at_zero", "where_branch",
 * "log_sigmoid", "exp_overflow", "expm1"; NULL for a value out of range. */
TG_API const char *tg_lint_rule_name(tg_lint_rule rule);
/* One sentence: what goes wrong and what to write instead; NULL for a value
 * out of range. */
TG_API const char *tg_lint_advice(tg_lint_rule rule);

#ifdef __cplusplus
}
#endif
#endif
