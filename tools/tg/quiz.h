/* quiz.h -- the reverse sweep as blanks to fill in: what `tg quiz` writes
 * as a worksheet and an answer key, and what `tg check` grades. Both read
 * the sweep tg explain prints, replayed by replay_sweep (the same nodes,
 * upstream gradients and local derivatives), into one list of entries in
 * sweep order. */
#ifndef TG_TOOL_QUIZ_H
#define TG_TOOL_QUIZ_H

#include "explain.h"

/* A line of the sweep: a node reached, with its upstream gradient (the
 * seed, for the result); a step, the node passing its gradient to input
 * k; a variable's gradient once the sweep is over. */
typedef enum { ENTRY_NODE, ENTRY_STEP, ENTRY_GRADIENT } entry_kind;

/* Which entries are blanks: --blank local (the local derivatives),
 * upstream (the nodes' upstream gradients and the variables' gradients)
 * or all (both, the default). */
typedef enum { BLANK_LOCAL = 1, BLANK_UPSTREAM = 2, BLANK_ALL = 3 } blank_set;

/* The key names a blank: "upstream dy/dv3", "local dv3/dv2",
 * "local dv1/dx (operand 2)" (x * x), "gradient dy/dx". */
#define QUIZ_KEY 192

/* The numbers a sheet gives and tg check quotes: 6 significant digits,
 * every element of a tensor (the student computes with them: a rounded or
 * elided number would make a right method miss tg check's 1e-3). */
#define QUIZ_DIGITS 6
#define QUIZ_WHOLE ((int64_t)1 << 40)

typedef struct {
    entry_kind kind;
    tg_tensor *node;         /* NODE, STEP: the tape node; GRADIENT: the variable */
    int k;                   /* STEP: the input */
    step_kind step;          /* STEP: how tg explain writes it */
    int twin;                /* STEP: 1 or 2 when both operands are one tensor (x * x) */
    tg_tensor *value;        /* NODE, GRADIENT: the gradient; STEP_LOCAL: the local
                                derivative; other steps: NULL (no blank) */
    tg_tensor *contribution; /* STEP: what the input receives */
    blank_set blank;         /* the set the entry's blank belongs to; 0: none (the seed, a
                                step written as a gradient rule) */
    char key[QUIZ_KEY];
} quiz_entry;

typedef struct {
    session *s;
    labeler *names;
    quiz_entry *entries;
    int n, cap;
    tensor_map *grads;
    const char *result; /* the result's label */
} quiz_sweep;

/* Replays the sweep of the open session s into q (close with
 * quiz_sweep_close); false with d set when it fails. */
bool quiz_sweep_build(quiz_sweep *q, session *s, diag *d);
void quiz_sweep_close(quiz_sweep *q);
/* --blank local|upstream|all (NULL: all); 0 after reporting in d. */
blank_set quiz_blank_set(const char *text, diag *d);
/* Whether e is a blank of set. */
bool quiz_is_blank(const quiz_entry *e, blank_set set);
/* " --blank local" or " --blank upstream", for the command that grades
 * the blanks of set; "" for all, the default. */
const char *quiz_blank_option(blank_set set);

/* "dy/dv3" (text) or \frac{\partial y}{\partial v_{3}} (LaTeX): the
 * gradient of the result by name. */
char *quiz_grad_name(const quiz_sweep *q, const char *name, notation how, char *buf,
                     size_t size);
/* What a node computes, "v1 + b", in the notation. */
char *quiz_formula(const quiz_sweep *q, const tg_tensor *node, notation how, char *buf,
                   size_t size);
/* A step's rule: d node / d input as a formula ("sigmoid(v2)(1 - sigmoid(v2))")
 * for STEP_LOCAL and STEP_BROADCAST, the gradient rule written with the
 * upstream gradient ("dy/dv1 @ x^T") for STEP_VJP. */
char *quiz_rule(const quiz_sweep *q, const quiz_entry *e, notation how, char *buf,
                size_t size);
/* The nodes whose steps gave tensor t its gradient, "v1, y", in sweep
 * order (a node twice for x * x), up to entry `before`. */
char *quiz_sources(const quiz_sweep *q, const tg_tensor *t, int before, char *buf,
                   size_t size);
/* Whitespace removed, so that "local  dv3/dv2" and "local dv3/dv2" name one
 * blank. */
void quiz_key_normalize(const char *text, size_t len, char *out, size_t size);

/* The answer key, the format tg check reads: a comment naming the
 * command, then one line per blank of set, "KEY = VALUE", the value as a
 * number or a bracket array with 10 significant digits; with_values false
 * leaves the values empty (the student's form). */
void quiz_write_key(FILE *f, const quiz_sweep *q, const cli_args *a, blank_set set,
                    bool with_values);
/* The command line of a, shell-quoted: "'(x+y)*z' x=-2 y=5". */
void quiz_print_command(FILE *f, const cli_args *a);

#endif
