/*
 * explain_terms.c -- one entry of a gradient as the sum that makes it:
 * dy/dx[i] = sum over the elements j of the node v of dy/dv[j] * dv[j]/dx[i],
 * with the numbers. The factors dv[j]/dx[i] are the rows of the node's
 * Jacobian, read off tg_vjp with a one-hot upstream gradient per element j:
 * the backward rule tg_backward runs, so the terms add up to the gradient
 * the sweep printed. Used for --expand and for the terms a broadcast input's
 * gradient sums, in text or in LaTeX.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/inspect.h>

#include "explain.h"

/* The largest Jacobian (output elements x input elements) expanded. */
#define MAX_JACOBIAN (1 << 18)

/* Row j of the Jacobian of node by input k into row (numel of the input):
 * dv[j]/dx[i] for every i. False when the backward rule fails. */
static bool jacobian_row(tg_tensor *node, int k, int64_t j, double *row)
{
    tg_tensor *grads[REPLAY_MAX_INPUTS] = {NULL};
    tg_tensor *basis = tg_full(tg_dtype_of(node), tg_ndim(node), tg_shape(node), 0.0, false);
    if (!basis || tg_set(basis, j, 1.0) != 0 || tg_vjp(node, basis, grads) != 0)
        return false;
    int64_t n = tg_numel(tg_op_input(node, k));
    for (int64_t i = 0; i < n; i++)
        row[i] = grads[k] ? tg_get(grads[k], i) : 0.0;
    return true;
}

/* d node / d input k for every pair of elements, row-major [out][in];
 * NULL (with a message in why) when it is too large or cannot be made. */
static double *jacobian(tg_tensor *node, int k, char *why, size_t size)
{
    int64_t out = tg_numel(node), in = tg_numel(tg_op_input(node, k));
    if (tg_op_num_inputs(node) > REPLAY_MAX_INPUTS || out * in > MAX_JACOBIAN) {
        snprintf(why, size, "%lld x %lld derivatives: too many to expand", (long long)out,
                 (long long)in);
        return NULL;
    }
    double *jac = malloc((size_t)(out * in) * sizeof *jac);
    for (int64_t j = 0; jac && j < out; j++)
        if (!jacobian_row(node, k, j, jac + j * in)) {
            snprintf(why, size, "%s", tg_last_error());
            free(jac);
            return NULL;
        }
    if (!jac)
        snprintf(why, size, "out of memory");
    return jac;
}

/* For a matmul of matrices and vectors, the element of the other operand
 * that dv[j]/dx[i] is: in v = A @ B, v[r,c] = sum_q A[r,q] B[q,c], so
 * dv[r,c]/dA[r,q] = B[q,c] and dv[r,c]/dB[q,c] = A[r,q]. False for the
 * other ops (and batched products), whose factors keep their d/d name. */
static bool matmul_factor(labeler *l, const tg_tensor *node, int k, int64_t j, int64_t i,
                          char *buf, size_t size)
{
    const tg_tensor *a = tg_op_input(node, 0), *b = tg_op_input(node, 1);
    if (tg_op_kind_of(node) != TG_OP_MATMUL || tg_ndim(a) > 2 || tg_ndim(b) > 2)
        return false;
    const tg_tensor *x = tg_op_input(node, k), *other = k == 0 ? b : a;
    int64_t q = k == 0 ? i % tg_shape(x)[tg_ndim(x) - 1] : i / (tg_ndim(x) == 2 ? tg_shape(x)[1] : 1);
    int64_t flat;
    if (k == 0) /* B[q,c], c the result's last index when B is a matrix */
        flat = tg_ndim(b) == 2 ? q * tg_shape(b)[1] + j % tg_shape(b)[1] : q;
    else /* A[r,q], r the result's first index when A is a matrix */
        flat = tg_ndim(a) == 2 ? (j / (tg_ndim(b) == 2 ? tg_shape(b)[1] : 1)) * tg_shape(a)[1] + q
                               : q;
    char idx[64];
    snprintf(buf, size, "%s%s", label_of(l, other), index_text(other, flat, ",", idx, sizeof idx));
    return true;
}

/* The sums being written: the node, its input k and upstream gradient, the
 * Jacobian, and how (layout: text, the rows of a LaTeX align, or one LaTeX
 * equation a line). */
typedef struct {
    FILE *f;
    labeler *l;
    tg_tensor *node, *upstream;
    int k;
    const char *y; /* the result's label */
    const double *jac;
    sums_layout layout;
} expansion;

/* A label as the layout writes it: itself in text, else LaTeX. */
static const char *name_in(const expansion *x, const tg_tensor *t, char *buf, size_t size)
{
    const char *label = label_of(x->l, t);
    return x->layout == SUMS_TEXT ? label : latex_name(label, buf, size);
}

/* dy/dv[j] as the layout writes it: "dy/dv[j]" or \frac{\partial y}{\partial v}[j]. */
static void gradient_entry(const expansion *x, const tg_tensor *of, const char *idx, char *buf,
                           size_t size)
{
    char y[128], v[128];
    if (x->layout == SUMS_TEXT)
        snprintf(buf, size, "d%s/d%s%s", x->y, label_of(x->l, of), idx);
    else
        snprintf(buf, size, "\\frac{\\partial %s}{\\partial %s}%s", latex_name(x->y, y, sizeof y),
                 latex_name(label_of(x->l, of), v, sizeof v), idx);
}

/* v as a factor: "(-0.25)" when negative, unless it leads the product. */
static void signed_factor(const expansion *x, double v, bool inside, char *buf, size_t size)
{
    char num[64], tex[96];
    number_brief(v, num, sizeof num);
    const char *shown = x->layout == SUMS_TEXT ? num : latex_number(num, tex, sizeof tex);
    snprintf(buf, size, inside && num[0] == '-' ? "(%s)" : "%s", shown);
}

/* The factor dv[j]/dx[i] by its name: the other operand's element for a
 * matrix product, else the derivative. */
static void factor_name(const expansion *x, int64_t j, int64_t i, char *buf, size_t size)
{
    const tg_tensor *in = tg_op_input(x->node, x->k);
    char jdx[64], idx[64], v[128], u[128], element[160];
    if (matmul_factor(x->l, x->node, x->k, j, i, element, sizeof element)) {
        if (x->layout == SUMS_TEXT) {
            snprintf(buf, size, "%s", element);
        } else { /* W2[0,1] -> W_{2}[0,1] */
            size_t len = strcspn(element, "[");
            char label[128];
            snprintf(label, sizeof label, "%.*s", (int)len, element);
            snprintf(buf, size, "%s%s", latex_name(label, v, sizeof v), element + len);
        }
        return;
    }
    index_text(x->node, j, ",", jdx, sizeof jdx);
    index_text(in, i, ",", idx, sizeof idx);
    if (x->layout == SUMS_TEXT)
        snprintf(buf, size, "d%s%s/d%s%s", label_of(x->l, x->node), jdx, label_of(x->l, in), idx);
    else
        snprintf(buf, size, "\\frac{\\partial %s%s}{\\partial %s%s}",
                 name_in(x, x->node, v, sizeof v), jdx, name_in(x, in, u, sizeof u), idx);
}

/* The terms of dy/dx[i] (those whose factor is not 0): written as names
 * (dy/dv[j] * h[0]) when names is set, else as numbers (0.1385 * 0.5933).
 * In an align environment a long sum goes on over lines of 4 terms. */
static void print_terms(const expansion *x, int64_t i, bool names)
{
    const tg_tensor *in = tg_op_input(x->node, x->k);
    int64_t out = tg_numel(x->node), n_in = tg_numel(in), shown = 0, count = 0;
    bool text = x->layout == SUMS_TEXT;
    for (int64_t j = 0; j < out; j++)
        count += x->jac[j * n_in + i] != 0;
    for (int64_t j = 0; j < out; j++) {
        double factor = x->jac[j * n_in + i];
        if (factor == 0)
            continue;
        shown++;
        if (brief_elides(count) && shown > 2 && shown < count) {
            if (shown == 3)
                fprintf(x->f, text ? " + ..." : " + \\cdots");
            continue;
        }
        char a[256], b[256], jdx[64];
        if (names) {
            gradient_entry(x, x->node, index_text(x->node, j, ",", jdx, sizeof jdx), a, sizeof a);
            factor_name(x, j, i, b, sizeof b);
        } else {
            signed_factor(x, tg_get(x->upstream, j), shown > 1, a, sizeof a);
            signed_factor(x, factor, true, b, sizeof b);
        }
        if (x->layout == SUMS_ALIGN && shown > 1 && (shown - 1) % 4 == 0)
            fprintf(x->f, LATEX_LINE_BREAK);
        fprintf(x->f, "%s%s%s%s", shown > 1 ? " + " : "", a, text ? " * " : " \\cdot ", b);
    }
    if (!count)
        fprintf(x->f, "0");
}

static double entry_sum(const expansion *x, int64_t i)
{
    int64_t out = tg_numel(x->node), n_in = tg_numel(tg_op_input(x->node, x->k));
    double sum = 0;
    for (int64_t j = 0; j < out; j++)
        sum += tg_get(x->upstream, j) * x->jac[j * n_in + i];
    return sum;
}

/* The elements to show of an input of n: one, or all (the first two and
 * the last where brief tensors elide). */
static bool shown_element(int64_t i, int64_t n, int64_t only)
{
    if (only >= 0)
        return i == only;
    return !brief_elides(n) || i < 2 || i == n - 1;
}

/* "each entry, as the sum over the elements j of v: dy/dx[i] = sum_j
 * dy/dv[j] * dv[j]/dx[i]" */
static void print_heading(const expansion *x)
{
    const tg_tensor *in = tg_op_input(x->node, x->k);
    const char *v = label_of(x->l, x->node), *name = label_of(x->l, in);
    if (x->layout == SUMS_TEXT) {
        fprintf(x->f, "      each entry, as the sum over the elements j of %s: d%s/d%s[i] = sum_j "
                "d%s/d%s[j] * d%s[j]/d%s[i]\n", v, x->y, name, x->y, v, v, name);
        return;
    }
    char vt[128], nt[128], gx[320], gv[320];
    gradient_entry(x, in, "[i]", gx, sizeof gx);
    gradient_entry(x, x->node, "[j]", gv, sizeof gv);
    name_in(x, x->node, vt, sizeof vt);
    name_in(x, in, nt, sizeof nt);
    fprintf(x->f, x->layout == SUMS_ALIGN ? "\\intertext{each entry, as the sum over the elements "
                                            "$j$ of $%s$:}\n%s &= "
                                          : "\\text{each entry, as the sum over the elements } j"
                                            "\\text{ of } %s\\text{: } %s = ",
            vt, gx);
    fprintf(x->f, "\\sum_j %s \\, \\frac{\\partial %s[j]}{\\partial %s[i]}%s\n", gv, vt, nt,
            x->layout == SUMS_ALIGN ? " \\\\" : "");
}

/* dy/dx[i] = names = numbers = sum, as the layout lays it out. */
static void print_entry(const expansion *x, int64_t i, bool with_names)
{
    const tg_tensor *in = tg_op_input(x->node, x->k);
    char idx[64], lhs[320], value[64], tex[96];
    gradient_entry(x, in, index_text(in, i, ",", idx, sizeof idx), lhs, sizeof lhs);
    const char *sum = number_brief(entry_sum(x, i), value, sizeof value);
    if (x->layout != SUMS_TEXT)
        sum = latex_number(value, tex, sizeof tex);
    const char *const *w = x->layout == SUMS_TEXT    ? (const char *const[]){"        ", " = ",
                                                           "\n          = ", "\n"}
                           : x->layout == SUMS_ALIGN ? (const char *const[]){"", " &= ",
                                                           " \\\\\n&= ", " \\\\\n"}
                                                     : (const char *const[]){"", " = ", " = ",
                                                           "\n"};
    fprintf(x->f, "%s%s%s", w[0], lhs, w[1]);
    if (with_names) {
        print_terms(x, i, true);
        fprintf(x->f, "%s", w[2]);
    }
    print_terms(x, i, false);
    fprintf(x->f, " = %s%s", sum, w[3]);
}

int explain_element_sums_as(FILE *f, labeler *l, tg_tensor *node, int k, tg_tensor *upstream,
                            const char *y, int64_t only, bool with_names, sums_layout layout)
{
    char why[160], text[400];
    double *jac = jacobian(node, k, why, sizeof why);
    const tg_tensor *in = tg_op_input(node, k);
    const char *name = label_of(l, in);
    if (!jac) {
        if (layout == SUMS_TEXT) {
            fprintf(f, "        (%s's entries not expanded: %s)\n", name, why);
        } else {
            char line[240];
            snprintf(line, sizeof line, "(%s's entries not expanded: %s)", name, why);
            fprintf(f, layout == SUMS_ALIGN ? "&\\text{%s} \\\\\n" : "\\text{%s}\n",
                    latex_text(line, text, sizeof text));
        }
        return 0;
    }
    expansion x = {f, l, node, upstream, k, y, jac, layout};
    int64_t n = tg_numel(in);
    if (with_names)
        print_heading(&x);
    for (int64_t i = 0; i < n; i++) {
        if (shown_element(i, n, only))
            print_entry(&x, i, with_names);
        else if (i == 2 && only < 0)
            fprintf(f, layout == SUMS_TEXT    ? "        ...\n"
                       : layout == SUMS_ALIGN ? "&\\vdots \\\\\n"
                                              : "\\vdots\n");
    }
    free(jac);
    return 0;
}

int explain_element_sums(FILE *f, labeler *l, tg_tensor *node, int k, tg_tensor *upstream,
                         const char *y, int64_t only, bool with_names)
{
    return explain_element_sums_as(f, l, node, k, upstream, y, only, with_names, SUMS_TEXT);
}

int64_t parse_element(const tg_tensor *t, const char *text, char *why, size_t size)
{
    int64_t flat = 0;
    int axis = 0;
    const char *p = text;
    while (*p && *p != ']') {
        char *end = NULL;
        long long v = strtoll(p, &end, 10);
        if (end == p || axis >= tg_ndim(t) || v < 0 || v >= tg_shape(t)[axis]) {
            char shape[64];
            snprintf(why, size, "[%s is not an element of a tensor of shape %s", text,
                     shape_text(t, shape, sizeof shape));
            return -1;
        }
        flat = flat * tg_shape(t)[axis++] + v;
        p = end + (*end == ',');
        while (*p == ' ')
            p++;
    }
    if (axis != tg_ndim(t) || strcmp(p, "]") != 0) {
        char shape[64];
        snprintf(why, size, "[%s needs %d indices within [], for shape %s", text, tg_ndim(t),
                 shape_text(t, shape, sizeof shape));
        return -1;
    }
    return flat;
}

/* The one node of the tape after node that reads it, or NULL (none, or
 * several). */
static tg_tensor *only_reader(const tg_tensor *node)
{
    tg_tensor *reader = NULL;
    for (int64_t pos = tg_tape_position(node) + 1; pos < tg_tape_length(); pos++) {
        tg_tensor *n = tg_tape_node(pos);
        for (int k = 0; k < tg_op_num_inputs(n); k++)
            if (tg_op_input(n, k) == node) {
                if (reader && reader != n)
                    return NULL;
                reader = n;
            }
    }
    return reader;
}

/* The scale s of upstream = -s * t with s > 0 (t's rows sum to 1), or 0
 * when upstream is not of that form. */
static double target_scale(const tg_tensor *upstream, const tg_tensor *t)
{
    int64_t n = tg_numel(t);
    double st = 0, sg = 0;
    for (int64_t i = 0; i < n; i++) {
        st += tg_get(t, i);
        sg += tg_get(upstream, i);
    }
    double s = st > 0 ? -sg / st : 0;
    for (int64_t i = 0; i < n && s > 0; i++) {
        double g = tg_get(upstream, i), want = -s * tg_get(t, i);
        if (fabs(g - want) > 1e-9 * (fabs(want) + s))
            s = 0;
    }
    return s;
}

/* Whether the gradient is s (p - t) element by element: so where t's rows
 * sum to 1 along the softmax axis, which the identity needs. */
static bool is_scaled_difference(const tg_tensor *gradient, const tg_tensor *p,
                                 const tg_tensor *t, double s)
{
    for (int64_t i = 0; i < tg_numel(p); i++) {
        double want = s * (tg_get(p, i) - tg_get(t, i));
        if (fabs(tg_get(gradient, i) - want) > 1e-9 * (fabs(want) + s))
            return false;
    }
    return true;
}

bool explain_softmax_ce(labeler *l, const tg_tensor *node, const tg_tensor *upstream,
                        const tg_tensor *gradient, char *probs, char *named, size_t size)
{
    if (tg_op_kind_of(node) != TG_OP_LOG_SOFTMAX || tg_numel(node) > 1 << 16)
        return false;
    tg_tensor *reader = only_reader(node);
    if (!reader || tg_op_kind_of(reader) != TG_OP_MUL)
        return false;
    tg_tensor *t = tg_op_input(reader, tg_op_input(reader, 0) == node ? 1 : 0);
    if (tg_requires_grad(t) || tg_numel(t) != tg_numel(node))
        return false;
    double s = target_scale(upstream, t);
    tg_tensor *p = tg_full(tg_dtype_of(node), tg_ndim(node), tg_shape(node), 0.0, false);
    if (s <= 0 || !p)
        return false;
    for (int64_t i = 0; i < tg_numel(node); i++)
        tg_set(p, i, exp(tg_get(node, i)));
    if (!is_scaled_difference(gradient, p, t, s))
        return false;
    char value[4096], scale[64];
    const char *z = label_of(l, tg_op_input(node, 0)), *y = label_of(l, t);
    snprintf(probs, size, "p = softmax(%s) = %s", z, tensor_brief(p, value, sizeof value));
    double rows = 1 / s;
    if (fabs(s - 1) < 1e-12)
        snprintf(named, size, "= p - %s: the softmax minus the target", y);
    else if (fabs(rows - round(rows)) < 1e-9)
        snprintf(named, size, "= (p - %s) / %.0f: the softmax minus the target, over %.0f rows", y,
                 rows, rows);
    else
        snprintf(named, size, "= %s * (p - %s): the softmax minus the target, scaled", 
                 number_brief(s, scale, sizeof scale), y);
    return true;
}
