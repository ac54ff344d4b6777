/* explain.h -- formulas for `tg explain`: what each op computes and its
 * local derivative, written in plain text or in LaTeX. */
#ifndef TG_TOOL_EXPLAIN_H
#define TG_TOOL_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "tg.h"

typedef enum { NOTATION_TEXT, NOTATION_LATEX } notation;

/* The names a formula is written with. */
typedef struct {
    const char *in[2];    /* the labels of the first two inputs */
    const char *node;     /* the op result's label */
    const char *upstream; /* the name of its gradient, e.g. "dy/dv3" */
    double constant;      /* of a scalar op, see tg_op_constant */
    bool has_constant;
} formula_names;

/* Whether the op's Jacobian is diagonal when input and output shapes agree,
 * so that upstream * local derivative is an elementwise product. */
bool op_is_elementwise(const char *op);
/* node = ... : what the op computes, e.g. "v1 + b" or "\sigma(v_{2})". */
char *op_formula(const char *op, const formula_names *n, notation how, char *buf, size_t size);
/* d node / d input k, e.g. "sigmoid(u)(1 - sigmoid(u))"; for an op that is
 * not elementwise, the gradient input k receives, written with upstream. */
char *op_derivative(const char *op, int k, const formula_names *n, notation how, char *buf,
                    size_t size);
/* A label as LaTeX: w1 -> w_{1}, x_hat -> \mathit{x\_hat}. */
char *latex_name(const char *label, char *buf, size_t size);

#endif
