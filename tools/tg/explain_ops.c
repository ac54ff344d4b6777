/*
 * explain_ops.c -- each op's formula and local derivative as templates, in
 * text and LaTeX. In a template $0 and $1 stand for the inputs, $y for the
 * result, $g for the gradient arriving at it and $c for the op's constant.
 */
#include <ctype.h>
#include <string.h>

#include "explain.h"

typedef struct {
    const char *op;
    bool elementwise;
    const char *formula[2];   /* [notation] */
    const char *derivative[2][2]; /* [input][notation] */
} op_rule;

static const op_rule rules[] = {
    {"tg_add", true, {"$0 + $1", "$0 + $1"}, {{"1", "1"}, {"1", "1"}}},
    {"tg_sub", true, {"$0 - $1", "$0 - $1"}, {{"1", "1"}, {"-1", "-1"}}},
    {"tg_mul", true, {"$0 * $1", "$0 \\cdot $1"}, {{"$1", "$1"}, {"$0", "$0"}}},
    {"tg_div", true, {"$0 / $1", "\\frac{$0}{$1}"},
     {{"1/$1", "\\frac{1}{$1}"}, {"-$0/$1^2", "-\\frac{$0}{$1^{2}}"}}},
    {"tg_pow", true, {"$0^$1", "$0^{$1}"},
     {{"$1 $0^($1 - 1)", "$1\\,$0^{$1 - 1}"}, {"$0^$1 ln $0", "$0^{$1} \\ln $0"}}},
    {"tg_maximum", true, {"max($0, $1)", "\\max($0, $1)"},
     {{"[$0 > $1] (1/2 at a tie)", "[$0 > $1]"}, {"[$1 > $0] (1/2 at a tie)", "[$1 > $0]"}}},
    {"tg_minimum", true, {"min($0, $1)", "\\min($0, $1)"},
     {{"[$0 < $1] (1/2 at a tie)", "[$0 < $1]"}, {"[$1 < $0] (1/2 at a tie)", "[$1 < $0]"}}},
    {"tg_add_scalar", true, {"$0 + $c", "$0 + $c"}, {{"1", "1"}}},
    {"tg_mul_scalar", true, {"$c * $0", "$c \\cdot $0"}, {{"$c", "$c"}}},
    {"tg_neg", true, {"-$0", "-$0"}, {{"-1", "-1"}}},
    {"tg_exp", true, {"exp($0)", "e^{$0}"}, {{"exp($0)", "e^{$0}"}}},
    {"tg_log", true, {"log($0)", "\\ln $0"}, {{"1/$0", "\\frac{1}{$0}"}}},
    {"tg_sqrt", true, {"sqrt($0)", "\\sqrt{$0}"},
     {{"1/(2 sqrt($0))", "\\frac{1}{2\\sqrt{$0}}"}}},
    {"tg_abs", true, {"abs($0)", "|$0|"}, {{"sign($0)", "\\operatorname{sign}($0)"}}},
    {"tg_sigmoid", true, {"sigmoid($0)", "\\sigma($0)"},
     {{"sigmoid($0)(1 - sigmoid($0))", "\\sigma($0)\\,(1 - \\sigma($0))"}}},
    {"tg_tanh", true, {"tanh($0)", "\\tanh $0"}, {{"1 - tanh($0)^2", "1 - \\tanh^{2} $0"}}},
    {"tg_relu", true, {"relu($0)", "\\max(0, $0)"}, {{"[$0 > 0]", "[$0 > 0]"}}},
    {"tg_leaky_relu", true, {"leaky_relu($0, $c)", "\\max($c\\,$0, $0)"},
     {{"[$0 > 0] + $c [$0 <= 0]", "[$0 > 0] + $c\\,[$0 \\le 0]"}}},
    {"tg_step", true, {"step($0)", "\\operatorname{step}($0)"}, {{"0", "0"}}},
    {"tg_linear", true, {"linear($0)", "$0"}, {{"1", "1"}}},
    {"tg_sum", false, {"sum($0)", "\\sum $0"}, {{"1 for each element", "1"}}},
    {"tg_mean", false, {"mean($0)", "\\operatorname{mean} $0"},
     {{"1/n for each of the n elements", "\\frac{1}{n}"}}},
    {"tg_max", false, {"max($0)", "\\max $0"},
     {{"1 at the first largest element, else 0", "[\\text{first largest}]"}}},
    {"tg_min", false, {"min($0)", "\\min $0"},
     {{"1 at the first smallest element, else 0", "[\\text{first smallest}]"}}},
    {"tg_softmax", false, {"softmax($0)", "\\operatorname{softmax}($0)"},
     {{"$y * ($g - sum($g * $y))", "$y \\odot ($g - \\textstyle\\sum $g \\odot $y)"}}},
    {"tg_log_softmax", false, {"log_softmax($0)", "\\log\\operatorname{softmax}($0)"},
     {{"$g - softmax($0) * sum($g)", "$g - \\operatorname{softmax}($0) \\textstyle\\sum $g"}}},
    {"tg_matmul", false, {"$0 @ $1", "$0 $1"},
     {{"$g @ $1^T", "$g\\, $1^{\\top}"}, {"$0^T @ $g", "$0^{\\top} $g"}}},
    {"tg_transpose", false, {"transpose($0)", "$0^{\\top}"},
     {{"transpose($g)", "$g^{\\top}"}}},
};

static const op_rule *find_rule(const char *op)
{
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
        if (strcmp(rules[i].op, op) == 0)
            return &rules[i];
    return NULL;
}

bool op_is_elementwise(const char *op)
{
    const op_rule *r = find_rule(op);
    return r && r->elementwise;
}

char *latex_name(const char *label, char *buf, size_t size)
{
    size_t letters = 0;
    while (isalpha((unsigned char)label[letters]))
        letters++;
    bool digits_only = label[letters] && strspn(label + letters, "0123456789") ==
                                             strlen(label + letters);
    if (!isalpha((unsigned char)label[0]) || (letters == strlen(label) && letters == 1)) {
        snprintf(buf, size, "%s", label); /* numbers and one-letter names */
    } else if (letters == 1 && digits_only) {
        snprintf(buf, size, "%c_{%s}", label[0], label + 1);
    } else {
        size_t len = (size_t)snprintf(buf, size, "\\mathit{");
        for (const char *p = label; *p && len + 3 < size; p++)
            len += (size_t)snprintf(buf + len, size - len, *p == '_' ? "\\_" : "%c", *p);
        snprintf(buf + len, size - len, "}");
    }
    return buf;
}

typedef struct {
    char *buf;
    size_t size, len;
} out_buf;

static void append(out_buf *o, const char *s, size_t n)
{
    if (o->len + n >= o->size)
        n = o->size - o->len - 1;
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* Negative numbers inside a formula are parenthesised: x * (-2). */
static void append_label(out_buf *o, const char *label, notation how, bool at_start)
{
    char tex[160];
    if (how == NOTATION_LATEX)
        label = latex_name(label, tex, sizeof tex);
    bool wrap = label[0] == '-' && !at_start;
    append(o, "(", wrap);
    append(o, label, strlen(label));
    append(o, ")", wrap);
}

static char *expand(const char *tpl, const formula_names *n, notation how, char *buf, size_t size)
{
    out_buf o = {buf, size, 0};
    buf[0] = '\0';
    char number[32];
    snprintf(number, sizeof number, "%.6g", n->constant);
    for (const char *p = tpl; *p; p++) {
        bool at_start = p == tpl || strchr("({", p[-1]) || (p - tpl >= 2 && p[-2] == ',');
        if (*p != '$' || !p[1]) {
            append(&o, p, 1);
            continue;
        }
        char key = *++p;
        if (key == '0' || key == '1')
            append_label(&o, n->in[key - '0'] ? n->in[key - '0'] : "?", how, at_start);
        else if (key == 'y')
            append_label(&o, n->node, how, at_start);
        else if (key == 'g')
            append(&o, n->upstream, strlen(n->upstream));
        else if (key == 'c')
            append_label(&o, number, how, at_start);
    }
    return buf;
}

/* x + c reads better as x - 10 than as x + -10. */
static char *add_scalar_formula(const formula_names *n, notation how, char *buf, size_t size)
{
    formula_names shown = *n;
    const char *tpl = "$0 + $c";
    if (n->constant < 0) {
        shown.constant = -n->constant;
        tpl = "$0 - $c";
    }
    return expand(tpl, &shown, how, buf, size);
}

/* x^p: "x^2", and its derivative p x^(p-1) written as 2x, 3x^2, 0.5x^-0.5. */
static char *power_formula(const formula_names *n, bool derivative, notation how, char *buf,
                           size_t size)
{
    char base[160], p[32], q[32];
    if (how == NOTATION_LATEX)
        latex_name(n->in[0], base, sizeof base);
    else
        snprintf(base, sizeof base, "%s", n->in[0]);
    snprintf(p, sizeof p, "%.6g", n->constant);
    snprintf(q, sizeof q, "%.6g", n->constant - 1);
    const char *open = how == NOTATION_LATEX ? "^{" : "^", *close = how == NOTATION_LATEX ? "}" : "";
    const char *sep = how == NOTATION_LATEX ? "\\," : strlen(base) > 1 ? "*" : "";
    if (!derivative)
        snprintf(buf, size, "%s%s%s%s", base, open, p, close);
    else if (n->constant == 0)
        snprintf(buf, size, "0");
    else if (n->constant == 1)
        snprintf(buf, size, "1");
    else if (n->constant == 2)
        snprintf(buf, size, "2%s%s", sep, base);
    else
        snprintf(buf, size, "%s%s%s%s%s%s", p, sep, base, open, q, close);
    return buf;
}

char *op_formula(const char *op, const formula_names *n, notation how, char *buf, size_t size)
{
    if (strcmp(op, "tg_pow_scalar") == 0)
        return power_formula(n, false, how, buf, size);
    if (strcmp(op, "tg_add_scalar") == 0)
        return add_scalar_formula(n, how, buf, size);
    const op_rule *r = find_rule(op);
    if (r)
        return expand(r->formula[how], n, how, buf, size);
    snprintf(buf, size, "%s(...)", strncmp(op, "tg_", 3) == 0 ? op + 3 : op);
    return buf;
}

char *op_derivative(const char *op, int k, const formula_names *n, notation how, char *buf,
                    size_t size)
{
    if (strcmp(op, "tg_pow_scalar") == 0)
        return power_formula(n, true, how, buf, size);
    const op_rule *r = find_rule(op);
    if (r && k < 2 && r->derivative[k][how])
        return expand(r->derivative[k][how], n, how, buf, size);
    snprintf(buf, size, "the vector-Jacobian product of %s", op);
    return buf;
}
