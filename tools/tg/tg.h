/*
 * tg.h -- what the parts of the `tg` command-line tool share.
 *
 * The tool parses an expression and evaluates it as it parses, so the
 * expression becomes tapegrad ops on the tape; the subcommands then read the
 * tape (grad: tg_backward; explain and dot: a replayed sweep through tg_vjp).
 * Exit status: 0 success, 1 a failure that is not the input's fault (a
 * failing gradcheck, a missing Graphviz), 2 bad input or usage.
 */
#ifndef TG_TOOL_H
#define TG_TOOL_H

#include <stdbool.h>
#include <stdio.h>

#include <tapegrad/tapegrad.h>

#define TG_EXIT_FAILURE 1
#define TG_EXIT_USAGE 2

/* ---- diagnostics: one line naming the column, the text, a caret ---------- */

typedef struct {
    bool set;
    const char *text;  /* what the column counts in; NULL: no position */
    const char *what;  /* "" for the expression, else e.g. "argument 'W=[1,2'" */
    int offset;        /* byte offset of the fault in text */
    char message[600];
} diag;

void diag_at(diag *d, const char *text, const char *what, int offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void diag_plain(diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the diagnostic to stderr. */
void diag_print(const diag *d);

/* ---- symbols: inputs from NAME=VALUE and names assigned in the expression -- */

typedef struct symbol symbol;
typedef struct {
    symbol *table;     /* uthash head */
    symbol **inputs;   /* the NAME=VALUE variables in command-line order */
    int n_inputs, cap_inputs;
} symtab;

void symtab_free(symtab *s);
/* Parses NAME=VALUE (VALUE a number or nested bracket array) into an F64 tape
 * tensor that requires grad when requires_grad. A variable named pi or e
 * shadows the constant, with a warning on stderr. */
bool symtab_add_input(symtab *s, const char *arg, bool requires_grad, diag *d);
/* Parses the number or bracket array at text + *pos into an F64 tape tensor
 * and moves *pos past it; errors name the column in text (what as for
 * diag_at). NAME=VALUE and the expressions' array literals share it. */
tg_tensor *parse_array(const char *text, int *pos, const char *what, bool requires_grad,
                       diag *d);
bool symtab_assign(symtab *s, const char *name, tg_tensor *value, int offset, const char *src,
                   diag *d);
tg_tensor *symtab_lookup(const symtab *s, const char *name);
const char *symtab_input_name(const symtab *s, int i);
tg_tensor *symtab_input_value(const symtab *s, int i);
/* Binds input i to t, so that evaluating the expression again reads t. */
void symtab_set_input_value(symtab *s, int i, tg_tensor *t);
/* The name that was assigned the tensor t last, or NULL. */
const char *symtab_name_of(const symtab *s, const tg_tensor *t);
/* The name t was bound to before that name was rebound in this evaluation,
 * with how many rebinds ago in *rebinds (1: the value just before the
 * current one), or NULL. */
const char *symtab_earlier_name_of(const symtab *s, const tg_tensor *t, int *rebinds);
/* Forgets which names the last evaluation bound, and what they held before
 * they were rebound: run as each evaluation starts. */
void symtab_begin_evaluation(symtab *s);

/* ---- expressions ---------------------------------------------------------- */

#define TG_MAX_NESTING 256

/* The tape nodes one call of a user-defined function recorded. */
typedef struct {
    char name[32];      /* the function's */
    int64_t first, end; /* tape positions [first, end) */
} call_span;

typedef struct tensor_map tensor_map;

typedef struct {
    tg_tensor *result;
    int result_offset;       /* where the last statement starts */
    const char *result_name; /* its assigned name, or NULL */
    call_span *calls;        /* in the order the calls ended */
    int n_calls, cap_calls;
    tensor_map *literals; /* the array literals the expression wrote, as a set */
} program;

/* Parses and evaluates src with the variables in syms. */
bool eval_program(const char *src, symtab *syms, program *out, diag *d);
/* The ops of one evaluation, recorded to be run again without parsing. */
typedef struct recording recording;
/* eval_program, recording the ops it makes into *rec (free it with
 * recording_free; NULL when the evaluation fails). */
bool eval_program_recorded(const char *src, symtab *syms, program *out, recording **rec,
                           diag *d);
/* The recorded ops run again on the current values of syms's variables (the
 * ones it was recorded with, in order; each of the same shape as then),
 * the result returned, or NULL with d set. Names the program assigns are
 * not bound again. Allocates nothing after its first run. */
tg_tensor *recording_run(recording *r, const symtab *syms, diag *d);
void recording_free(recording *r);
void program_free(program *p);
/* The value of src alone (the program freed), for a function that
 * tg_gradcheck or tg_jacobian calls: NULL with d's message as the library's
 * error when it fails. */
tg_tensor *eval_value(const char *src, symtab *syms, diag *d);
/* The innermost user-defined function whose call recorded the tape node at
 * pos, or NULL. */
const char *program_caller_of(const program *p, int64_t pos);
/* Whether t is an array literal of the expression ([1, 2]), not a constant
 * a function made (the one-hot target of ce). */
bool program_wrote(const program *p, const tg_tensor *t);
/* let and def: words that cannot name a variable. */
bool is_keyword(const char *name, size_t len);

/* The results of the calls that return several tensors (split, chunk,
 * unbind), kept while the program is evaluated; a list operand names a run
 * of them. */
typedef struct {
    tg_tensor **items;
    int n, cap;
} result_list;

/* A parsed argument or operand: a literal number (folded, so that x^2
 * becomes tg_pow_scalar and 2*x tg_mul_scalar), a tensor, or the several
 * results of one call, which only a pick (chunk(x, 2)[1]), a destructuring
 * (a, b = chunk(x, 2)), concat/stack or a def's parameter may take. */
typedef struct {
    tg_tensor *t;
    bool is_number;
    double number;
    bool absent;  /* an optional argument skipped by keyword: its default applies */
    bool is_list; /* results first .. first + count - 1 of the program's list */
    int first, count;
    const char *from; /* a list's: the function that returned it */
    int from_offset;  /* and where it was called */
} operand;

tg_tensor *operand_tensor(operand *v); /* makes a number into a 0-d constant */
bool is_function_name(const char *name, size_t len);
/* Whether name is one of the language's losses, LOSS(prediction, target). */
bool is_loss_name(const char *name);
/* The edit distance (insertions, deletions, substitutions, swaps of two
 * neighbours) between a[0..len) and b. */
int name_distance(const char *a, size_t len, const char *b);
/* The function or loss name closest to name[0..len) and its distance. */
const char *closest_function(const char *name, size_t len, int *distance);
/* Applies function name to args; on failure sets d at offset. A function
 * of several results appends them to pieces and makes out a list. */
bool call_function(const char *name, operand *args, int nargs, const char *src, int offset,
                   result_list *pieces, operand *out, diag *d);
/* A function of the language found once by its name (NULL when none has
 * it), to be called many times without the search: tg fit's steps. */
typedef struct function_def function_def;
const function_def *function_named(const char *name);
/* call_function of f, which the call names name (an alias, say). */
bool call_function_def(const function_def *f, const char *name, operand *args, int nargs,
                       const char *src, int offset, result_list *pieces, operand *out, diag *d);
/* How many leading arguments of function name a list may fill, its
 * results spread one to an argument (concat and stack: their tensors). */
int function_list_slots(const char *name);
/* How the language writes an op of kind: its function's name, or the
 * operator or reason of its row; NULL only for a kind without a row. */
const char *language_spelling(tg_op_kind kind);
/* The functions and losses of the language, for tg help expressions. */
void print_functions(FILE *f);
/* Index of the named parameter of function name, or -1. */
int function_param_index(const char *name, const char *param, size_t len);

/* ---- numbers and tensors as text ------------------------------------------ */

/* %.17g, with null for NaN and infinities (JSON has neither). */
void json_number(FILE *f, double v);
/* The tensor as a JSON number or nested array, row-major. */
void json_tensor(FILE *f, const tg_tensor *t);
/* The same nesting with %.10g numbers, for people. */
void text_tensor(FILE *f, const tg_tensor *t);
/* A short readable form: "0.25", "3 [1, 2, 3]", "4x5 [[...], ...]". */
char *tensor_brief(const tg_tensor *t, char *buf, size_t size);
char *number_brief(double v, char *buf, size_t size);
/* digits > 0: significant digits of every brief number (default 6 for a
 * scalar, 4 inside a tensor); tensors of at most whole elements are shown
 * without "..." (default 0: axes longer than 4 are abbreviated). */
void brief_settings(int digits, int64_t whole);
/* One element of a tensor as tensor_brief writes it (4 digits by default). */
char *element_brief(double v, char *buf, size_t size);
/* Whether a list of n numbers is abbreviated to its first two and last. */
bool brief_elides(int64_t n);
/* v in the fewest digits that read back as v (15, else 17): for messages
 * that quote a number the user typed. */
char *number_exact(double v, char *buf, size_t size);
char *shape_text(const tg_tensor *t, char *buf, size_t size); /* "2x3", "scalar" */
/* The index of flat element flat of t, its axes joined by sep: "[1,0]" with
 * ","; "" for a scalar. */
char *index_text(const tg_tensor *t, int64_t flat, const char *sep, char *buf, size_t size);

/* ---- maps from tensors to tensors (uthash, keyed by address) ------------- */

tensor_map *tensor_map_new(void);
tg_tensor *tensor_map_get(const tensor_map *m, const tg_tensor *t);
int tensor_map_put(tensor_map *m, const tg_tensor *t, tg_tensor *value); /* TG_ENOMEM */
void tensor_map_free(tensor_map *m);

/* ---- the reverse sweep, replayed for display ------------------------------ */

/* The most inputs of a node the replay handles: the language's calls have
 * at most 8 arguments (concat and stack make a node of up to 5). */
#define REPLAY_MAX_INPUTS 8

typedef struct {
    void *ctx;
    /* node is about to pass its gradient upstream to its inputs */
    void (*node)(void *ctx, tg_tensor *node, tg_tensor *upstream);
    /* input k of node received contribution; total is its gradient so far
     * and previous the one before (NULL the first time) */
    void (*input)(void *ctx, tg_tensor *node, int k, tg_tensor *contribution,
                  tg_tensor *previous, tg_tensor *total);
} sweep_observer;

/* Sweeps from result (one element) back to the leaves with tg_vjp; *grads
 * (always made; free with tensor_map_free) maps every tensor reached to its
 * gradient. obs may be NULL. Returns 0 or a TG_E* code. */
int replay_sweep(tg_tensor *result, const sweep_observer *obs, tensor_map **grads);

/* ---- names for the tensors of a graph ------------------------------------- */

/* Variables keep their names, op results take the name assigned to them or
 * v1, v2, ... after their tape position, the final result y (when it has
 * no name), scalar constants their value and other constants c1, c2, ... */
typedef struct labeler labeler;
labeler *labeler_new(const symtab *syms, const program *prog);
const char *label_of(labeler *l, const tg_tensor *t);
/* A number unique to t among the tensors labelled, from 0. */
int label_id(labeler *l, const tg_tensor *t);
/* The constants other than scalars, in order of first labelling. */
int labeler_constants(const labeler *l, const tg_tensor **out, int max);
void labeler_free(labeler *l);

/* ---- CSV data: named float64 columns (csv_columns.c) ---------------------- */

typedef struct {
    char **names;    /* the header's, n_columns of them */
    int n_columns;
    int64_t n_rows;
    double *values;  /* n_rows * n_columns, row-major */
} csv_columns;

/* Reads a CSV file whose first line names the columns; false with d set on
 * any fault (the line and column named). */
bool csv_columns_read(const char *path, csv_columns *out, diag *d);
void csv_columns_free(csv_columns *c);
/* Column k's n_rows values, copied into scratch (n_rows long). */
const double *csv_column(const csv_columns *c, int k, double *scratch);

/* ---- plots: two panels of curves over a common x axis, as SVG (plot.c) ---- */

#define PLOT_MAX_CURVES 10 /* per panel: the palette's colours */

/* The values of a curve or axis: n doubles, stride bytes apart (the field
 * of an array of records, or sizeof(double) for a plain array). */
typedef struct {
    const char *label;
    const double *y;
    size_t stride;
    double factor; /* each value is shown times this (100 for a percentage) */
} plot_curve;

typedef struct {
    const char *label;
    const double *values;
    size_t stride;
} plot_axis;

/* A loss axis starts at 0 (or the lowest value, when below 0); a percentage
 * axis fits the values within 0..100; a value axis fits the values. */
typedef enum { PLOT_LOSS, PLOT_PERCENT, PLOT_VALUES } plot_kind;

typedef struct {
    const char *y_label;
    plot_kind kind;
    const plot_curve *curves;
    int n_curves; /* at most PLOT_MAX_CURVES */
} plot_panel;

/* Writes the two panels, their curves n points long over x, to path. */
bool write_plot_panels(const char *path, const char *title, const plot_axis *x, int n,
                       const plot_panel panels[2], diag *d);

/* The loss at every step of a descent (tg descend, tg fit) and the values
 * of the first PLOT_MAX_CURVES elements of the variables that learn (the
 * inputs that require grad, in their order), plotted as loss and trajectory. */
typedef struct {
    long n;
    double *step, *loss;
    double *track[PLOT_MAX_CURVES];
    char label[PLOT_MAX_CURVES][48];
    int n_tracks;
} plot_history;

bool plot_history_init(plot_history *h, long points, diag *d); /* room for points steps */
void plot_history_free(plot_history *h);
/* Records the values of step k from syms (the caller sets h->loss[k]). */
void plot_history_values(plot_history *h, long k, const symtab *syms);
/* Titled "COMMAND EXPR". */
bool plot_history_write(const plot_history *h, const char *path, const char *command,
                        const char *expr, diag *d);

/* ---- the command line ----------------------------------------------------- */

typedef struct {
    const char *expr;
    const char *wrt;      /* --wrt a,b */
    const char *format;   /* --format */
    const char *png;      /* --png FILE */
    const char *mode;     /* --mode (jacobian: auto|forward|reverse; explain: reverse|forward) */
    const char *order;    /* --order N (explain) */
    const char *lr;       /* --lr X (descend) */
    const char *digits;   /* --digits N (explain) */
    const char *elide;    /* --elide N (explain) */
    const char *expand;   /* --expand NAME or NAME[i,j] (explain) */
    const char *steps;    /* --steps N (descend, fit) */
    const char *plot;     /* --plot FILE.svg (descend, fit) */
    const char *batch;    /* --batch B (descend) */
    const char *data;     /* --data FILE.csv (descend, fit) */
    const char *params;   /* --params a=1,b=2 (fit) */
    const char *target;   /* --target NAME (fit) */
    const char *loss;     /* --loss NAME (fit) */
    const char *opt;      /* --opt NAME (fit) */
    const char *blank;    /* --blank local|upstream|all (quiz, check) */
    const char *answers;  /* --answers FILE (quiz) */
    const char *tol;      /* --tol X (check) */
    const char *edges;    /* --edges derivative|none (dot) */
    const char *repeat;   /* --repeat N (grad): captured once, replayed N times */
    bool json;
    bool hessian;         /* --hessian (grad) */
    bool standalone;      /* --standalone (explain --format latex): a whole document */
    const char **vars;    /* NAME=VALUE arguments */
    int n_vars;
} cli_args;

/* Which options a subcommand takes, as a string of their names. */
bool parse_cli_args(int argc, char **argv, const char *cmd, const char *const *allowed,
                    cli_args *out, diag *d);
void cli_args_free(cli_args *a);

/* Everything grad, explain and dot do before they differ: the variables are
 * made, the expression evaluated and the result checked to be one number. */
typedef struct {
    symtab syms;
    program prog;
    char result_label[64]; /* the result's name, as explain and dot label it: its
                              assigned name, else y (f or out when y is a variable) */
} session;

bool session_open(session *s, const cli_args *a, diag *d);
/* Only the variables of the command line, the expression not evaluated
 * (close with session_close). */
bool session_inputs(session *s, const cli_args *a, diag *d);
/* session_open for a result of any shape (tg jacobian). */
bool session_open_any(session *s, const cli_args *a, diag *d);
void session_close(session *s);
/* The sweep from the result to every variable that wants a gradient (none
 * for a constant result). */
bool session_backward(const session *s, diag *d);
/* The gradient variable v received after session_backward, zeros if none
 * reached it. */
tg_tensor *session_gradient(tg_tensor *v);

/* Whether input k of node is one of its op's arguments: ops that keep a
 * helper input (the position of a max) record it after them, and graphs
 * draw only the arguments (tg dot, tg explain --format html). */
bool is_argument(const tg_tensor *node, int k);

int cmd_grad(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_dot(int argc, char **argv);
int cmd_gradcheck(int argc, char **argv);
int cmd_descend(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_jacobian(int argc, char **argv);
int cmd_quiz(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* The Hessian of an open session's result with respect to its variables
 * that want gradients (cmd_jacobian.c), for tg grad --hessian. */
typedef struct {
    int n;              /* variables */
    int *index;         /* their input indices */
    tg_tensor **blocks; /* n * n: d2y / dvar_i dvar_j */
} hessian_table;
bool hessian_compute(session *s, const char *expr, hessian_table *h, diag *d);
void hessian_print_text(const session *s, const hessian_table *h);
void hessian_print_json(const session *s, const hessian_table *h); /* , "hessian": {...} */
void hessian_free(hessian_table *h);

#endif
