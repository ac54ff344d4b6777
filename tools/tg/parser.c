/*
 * parser.c -- the expression language, parsed and evaluated in one pass.
 *
 *   program    := statement (';' statement)*
 *   statement  := 'def' NAME '(' [NAME (',' NAME)*] ')' '=' expr
 *               | ['let'] NAME '=' expr
 *               | ['let'] NAME (',' NAME)+ '=' expr     (destructuring)
 *               | expr | (nothing)
 *   expr       := sum [('<' | '<=' | '>' | '>=' | '==' | '!=') sum]
 *   sum        := term (('+' | '-') term)*
 *   term       := unary (('*' | '/' | '@') unary)*
 *   unary      := '-' unary | power
 *   power      := primary ['^' unary]           (right-associative)
 *   primary    := atom ('[' subscript ']')*
 *   atom       := NUMBER | NAME | NAME '(' args ')' | '(' expr ')' | ARRAY
 *   args       := arg (',' arg)*,  arg := [NAME '='] expr
 *
 * Precedence follows Python: -x^2 is -(x^2), 2^-1 is allowed, and a
 * comparison binds looser than + and -, giving a 0/1 mask; chained
 * comparisons (a < b < c) are refused rather than read as Python does. An
 * ARRAY is a bracket literal such as [1, -1] or [[1,2],[3,4]], read by the
 * NAME=VALUE parser (symbols.c). pi and e are numbers unless a variable
 * takes the name. Each operator becomes tapegrad ops as soon as both
 * operands are known, so the tape is built left to right.
 *
 * split, chunk and unbind return several tensors, a list. A list is taken
 * whole only by a destructuring (a, b = chunk(x, 2), the counts must
 * match), by concat and stack (its tensors become their arguments) and by
 * a def's parameter; chunk(x, 2)[k] picks one result, as a Python tuple
 * does. Anything else refuses a list with a message saying both ways out.
 *
 * A def keeps its body as a span of the source, skipped when defined; each
 * call parses that span again with the parameters bound to the arguments,
 * so the body becomes ops at the call like any other expression. Calls are
 * counted, recursion is refused, and the grammar recurses only through
 * unary(), which counts the nesting and refuses more than TG_MAX_NESTING
 * levels, so no input can exhaust the stack.
 *
 * A program evaluated once can be recorded (eval_program_recorded): each
 * op the evaluation made, with its operands as variables, earlier results
 * or numbers, in the order it ran. recording_run runs those ops again on
 * the variables' current values without parsing, so a loop that evaluates
 * one expression many times (tg fit's steps) neither lexes nor looks up a
 * name again, and allocates nothing after its first run.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "number.h"
#include "tg.h"

#define MAX_ARGS 17 /* concat and stack: 16 tensors and axis= */
/* Calls of user-defined functions in one program: a body that calls
 * another twice, defined twenty deep, would otherwise run a million times. */
#define MAX_CALLS 100000

typedef enum { TOK_END, TOK_NUMBER, TOK_NAME, TOK_OP } token_kind;

typedef struct {
    token_kind kind;
    int start, len;
    double number;
} token;

/* def NAME(params) = body: the body is src[body_start, body_end). */
typedef struct {
    char name[32];
    token params[MAX_ARGS];
    int n_params, body_start, body_end;
} user_fn;

/* A call being evaluated: its function, the arguments its parameters
 * stand for, and the call it is evaluated inside. */
typedef struct frame {
    const user_fn *fn;
    const operand *args;
    const struct frame *caller;
} frame;

typedef struct {
    const char *src;
    int pos;   /* where the lexer continues */
    token tok; /* the current token */
    int depth;
    symtab *syms;
    diag *d;
    program *prog;
    user_fn *fns;
    int n_fns, cap_fns, calls;
    const frame *frame; /* NULL outside a user function's body */
    result_list pieces; /* the results of every list */
    bool bound_list;    /* the last statement was a destructuring */
    recording *rec;     /* where the ops are recorded, or NULL */
} parser;

/* ---- recording hooks (defined with the recording, at the end) ------------- */

typedef enum { REC_LITERAL, REC_NUMBER, REC_BINARY, REC_COMPARE, REC_NEG, REC_ITEM, REC_CALL } rec_kind;

/* Notes that the op of kind made out (a tensor or a list) from the
 * operands in: op is REC_BINARY's operator or REC_COMPARE's row, name
 * REC_CALL's function. True when not recording. */
static bool record(parser *p, rec_kind kind, int offset, int op, const char *name,
                   const operand *in, int n_in, const operand *out);

static bool fail_at(parser *p, int offset, const char *message)
{
    diag_at(p->d, p->src, NULL, offset, "%s", message);
    return false;
}

/* ---- lexer ---------------------------------------------------------------- */

static bool next(parser *p)
{
    while (isspace((unsigned char)p->src[p->pos]))
        p->pos++;
    const char *s = p->src + p->pos;
    token t = {.start = p->pos, .len = 1};
    if (*s == '\0') {
        t.kind = TOK_END;
        t.len = 0;
    } else if (isalpha((unsigned char)*s) || *s == '_') {
        t.kind = TOK_NAME;
        while (isalnum((unsigned char)s[t.len]) || s[t.len] == '_')
            t.len++;
    } else if (isdigit((unsigned char)*s) || *s == '.') {
        t.kind = TOK_NUMBER;
        t.len = scan_number(s, &t.number);
        if (t.len < 0)
            return fail_at(p, p->pos, "number out of range");
        if (t.len == 0)
            return fail_at(p, p->pos, "a '.' must be part of a number such as 0.5");
        if (isalpha((unsigned char)s[t.len]) || s[t.len] == '_' || s[t.len] == '.')
            return fail_at(p, p->pos + t.len, "unexpected character after a number");
    } else if (s[0] == '*' && s[1] == '*') {
        return fail_at(p, p->pos, "use ^ for powers: x^2, not x**2");
    } else if (s[0] == '!' && s[1] != '=') {
        return fail_at(p, p->pos, "unexpected '!': 'not equal' is !=, 'not' is logical_not(x)");
    } else if (strchr("+-*/^@(),;=<>![]:", *s)) {
        t.kind = TOK_OP;
        t.len = strchr("<>=!", s[0]) && s[1] == '=' ? 2 : 1;
    } else {
        return fail_at(p, p->pos, isprint((unsigned char)*s)
                                      ? "unexpected character"
                                      : "unexpected byte (the language is plain ASCII)");
    }
    p->tok = t;
    p->pos += t.len;
    return true;
}

static bool is_op(const parser *p, char op)
{
    return p->tok.kind == TOK_OP && p->tok.len == 1 && p->src[p->tok.start] == op;
}

static bool is_word(const parser *p, const char *word)
{
    return p->tok.kind == TOK_NAME && (size_t)p->tok.len == strlen(word) &&
           memcmp(p->src + p->tok.start, word, (size_t)p->tok.len) == 0;
}

/* The next significant character after the current token. */
static char peek_char(const parser *p)
{
    int i = p->pos;
    while (isspace((unsigned char)p->src[i]))
        i++;
    return p->src[i];
}

/* Whether the current token is followed by '=' (a binding, a keyword
 * argument) and not by '=='. */
static bool peek_binding(const parser *p)
{
    int i = p->pos;
    while (isspace((unsigned char)p->src[i]))
        i++;
    return p->src[i] == '=' && p->src[i + 1] != '=';
}

bool is_keyword(const char *name, size_t len)
{
    return (len == 3 && memcmp(name, "let", 3) == 0) || (len == 3 && memcmp(name, "def", 3) == 0);
}

static bool expect(parser *p, char op, const char *message)
{
    if (!is_op(p, op))
        return fail_at(p, p->tok.start, message);
    return next(p);
}

/* ---- lists: the several results of split, chunk, unbind ------------------ */

/* Fails unless v is one value, saying how to take a list apart. */
static bool single(parser *p, const operand *v)
{
    static const char *const names[] = {"", "", "a, b", "a, b, c", "a, b, c, d"};
    if (!v->is_list)
        return true;
    if (v->count < 2)
        diag_at(p->d, p->src, NULL, v->from_offset, "%s() returns %d tensor%s here, a list: "
                "pick %s with %s(...)[0]", v->from, v->count, v->count ? "" : "s",
                v->count ? "it" : "one", v->from);
    else
        diag_at(p->d, p->src, NULL, v->from_offset, "%s() returns %d tensors here: pick one "
                "with %s(...)[k], or bind them with %s = %s(...)", v->from, v->count, v->from,
                v->count < 5 ? names[v->count] : "a, b, ...", v->from);
    return false;
}

static tg_tensor *piece(const parser *p, const operand *list, int k)
{
    return p->pieces.items[list->first + k];
}

/* ---- evaluation of operators ---------------------------------------------- */

tg_tensor *operand_tensor(operand *v)
{
    if (v->is_number && !v->t)
        v->t = tg_scalar(v->number);
    return v->t;
}

static bool op_result(parser *p, tg_tensor *t, int offset, operand *out)
{
    if (!t)
        return fail_at(p, offset, tg_last_error());
    *out = (operand){.t = t};
    return true;
}

static double fold(char op, double a, double b)
{
    switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    default: return pow(a, b);
    }
}

/* Literal numbers become the scalar forms of the ops (x + c, c x, x^p), so
 * the tape and its explanation read like the formula. */
static tg_tensor *binary_tensor(char op, operand *a, operand *b)
{
    switch (op) {
    case '+':
        if (a->is_number)
            return tg_add_scalar(operand_tensor(b), a->number);
        if (b->is_number)
            return tg_add_scalar(operand_tensor(a), b->number);
        return tg_add(operand_tensor(a), operand_tensor(b));
    case '-':
        if (b->is_number)
            return tg_add_scalar(operand_tensor(a), -b->number);
        return tg_sub(operand_tensor(a), operand_tensor(b));
    case '*':
        if (a->is_number)
            return tg_mul_scalar(operand_tensor(b), a->number);
        if (b->is_number)
            return tg_mul_scalar(operand_tensor(a), b->number);
        return tg_mul(operand_tensor(a), operand_tensor(b));
    case '/':
        return tg_div(operand_tensor(a), operand_tensor(b));
    case '^':
        if (b->is_number)
            return tg_pow_scalar(operand_tensor(a), b->number);
        return tg_pow(operand_tensor(a), operand_tensor(b));
    default:
        return tg_matmul(operand_tensor(a), operand_tensor(b));
    }
}

static bool apply_binary(parser *p, char op, int offset, operand *a, operand *b, operand *out)
{
    if (!single(p, a) || !single(p, b))
        return false;
    if (a->is_number && b->is_number && op != '@') {
        *out = (operand){.is_number = true, .number = fold(op, a->number, b->number)};
        return true;
    }
    operand in[2] = {*a, *b};
    return op_result(p, binary_tensor(op, a, b), offset, out) &&
           record(p, REC_BINARY, offset, op, NULL, in, 2, out);
}

/* ---- comparisons ---------------------------------------------------------- */

static const struct {
    const char *op;
    tg_tensor *(*fn)(tg_tensor *, tg_tensor *);
} comparisons[] = {{"<", tg_lt}, {"<=", tg_le}, {">", tg_gt},
                   {">=", tg_ge}, {"==", tg_eq}, {"!=", tg_ne}};

#define N_COMPARISONS (int)(sizeof comparisons / sizeof *comparisons)

/* The comparison the current token is, or -1. */
static int comparison_at(const parser *p)
{
    for (int k = 0; p->tok.kind == TOK_OP && k < N_COMPARISONS; k++)
        if ((size_t)p->tok.len == strlen(comparisons[k].op) &&
            memcmp(p->src + p->tok.start, comparisons[k].op, (size_t)p->tok.len) == 0)
            return k;
    return -1;
}

static double fold_comparison(int k, double a, double b)
{
    switch (k) {
    case 0: return a < b;
    case 1: return a <= b;
    case 2: return a > b;
    case 3: return a >= b;
    case 4: return a == b;
    default: return a != b;
    }
}

/* ---- user-defined functions ----------------------------------------------- */

static const user_fn *find_user_fn(const parser *p, const char *name, size_t len)
{
    for (int i = 0; i < p->n_fns; i++)
        if (strlen(p->fns[i].name) == len && memcmp(p->fns[i].name, name, len) == 0)
            return &p->fns[i];
    return NULL;
}

static bool same_text(const parser *p, token a, token b)
{
    return a.len == b.len && memcmp(p->src + a.start, p->src + b.start, (size_t)a.len) == 0;
}

/* The argument that parameter t of the function being evaluated stands
 * for, or NULL: a body sees its own parameters and the variables. */
static const operand *parameter(const parser *p, token t)
{
    const frame *f = p->frame;
    for (int i = 0; f && i < f->fn->n_params; i++)
        if (same_text(p, f->fn->params[i], t))
            return &f->args[i];
    return NULL;
}

static bool add_call_span(parser *p, const char *name, int64_t first, int64_t end)
{
    program *prog = p->prog;
    if (first == end)
        return true; /* the body recorded nothing */
    if (prog->n_calls == prog->cap_calls) {
        int cap = prog->cap_calls ? 2 * prog->cap_calls : 8;
        call_span *grown = realloc(prog->calls, (size_t)cap * sizeof *grown);
        if (!grown)
            return fail_at(p, p->tok.start, "out of memory");
        prog->calls = grown;
        prog->cap_calls = cap;
    }
    call_span *c = &prog->calls[prog->n_calls++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->first = first;
    c->end = end;
    return true;
}

bool program_wrote(const program *p, const tg_tensor *t)
{
    return p->literals && tensor_map_get(p->literals, t) != NULL;
}

void program_free(program *p)
{
    tensor_map_free(p->literals);
    p->literals = NULL;
    free(p->calls);
    p->calls = NULL;
    p->n_calls = p->cap_calls = 0;
}

/* Spans nest, so the innermost call holding pos is the shortest one; of
 * equal spans the first to end is the inner one. */
const char *program_caller_of(const program *p, int64_t pos)
{
    const call_span *best = NULL;
    for (int i = 0; pos >= 0 && i < p->n_calls; i++) {
        const call_span *c = &p->calls[i];
        if (pos >= c->first && pos < c->end && (!best || c->end - c->first < best->end - best->first))
            best = c;
    }
    return best ? best->name : NULL;
}

/* ---- the grammar ---------------------------------------------------------- */

static bool parse_expr(parser *p, operand *out);
static bool parse_unary(parser *p, operand *out);

static bool named_constant(const char *name, double *value)
{
    if (strcmp(name, "pi") == 0)
        *value = 3.14159265358979323846;
    else if (strcmp(name, "e") == 0)
        *value = 2.71828182845904523536;
    else
        return false;
    return true;
}

static bool parse_name(parser *p, operand *out)
{
    char name[256];
    token t = p->tok;
    if (t.len >= (int)sizeof name)
        return fail_at(p, t.start, "name too long");
    memcpy(name, p->src + t.start, (size_t)t.len);
    name[t.len] = '\0';
    const operand *arg = parameter(p, t);
    if (arg) {
        *out = *arg;
        return next(p);
    }
    tg_tensor *v = symtab_lookup(p->syms, name);
    if (v) {
        *out = (operand){.t = v};
        return next(p);
    }
    double constant;
    if (named_constant(name, &constant)) {
        *out = (operand){.is_number = true, .number = constant};
        return next(p);
    }
    bool function = is_function_name(name, strlen(name)) || find_user_fn(p, name, strlen(name));
    diag_at(p->d, p->src, NULL, t.start,
            function ? "'%s' is a function: call it as %s(...)" : "unknown variable '%s'", name,
            name);
    return false;
}

typedef struct {
    operand args[MAX_ARGS];
    bool given[MAX_ARGS];
    int nargs;
    bool keyword_seen;
} call_args;

/* The slot of keyword argument t: a parameter of user function uf, or of
 * the built-in fname. */
static int keyword_slot(const parser *p, const char *fname, const user_fn *uf, token t)
{
    if (!uf)
        return function_param_index(fname, p->src + t.start, (size_t)t.len);
    for (int i = 0; i < uf->n_params; i++)
        if (same_text(p, uf->params[i], t))
            return i;
    return -1;
}

/* A list given to concat or stack at slot: its tensors become the
 * arguments from slot on, as torch.cat takes a tuple. */
static bool spread_list(parser *p, const char *fname, call_args *c, int slot, int offset)
{
    operand list = c->args[slot];
    int slots = function_list_slots(fname);
    if (slot >= slots) /* not a function of lists, or a keyword's slot */
        return single(p, &list);
    if (slot + list.count > slots) {
        diag_at(p->d, p->src, NULL, offset, "%s() takes at most %d tensors; this list makes %d",
                fname, slots, slot + list.count);
        return false;
    }
    for (int k = 0; k < list.count; k++) {
        c->args[slot + k] = (operand){.t = piece(p, &list, k)};
        c->given[slot + k] = true;
    }
    c->nargs = slot + list.count > c->nargs ? slot + list.count : c->nargs;
    return true;
}

/* One argument, positional or NAME=expr; a keyword argument fills the slot
 * of its parameter and only keyword arguments may follow it. */
static bool parse_arg(parser *p, const char *fname, const user_fn *uf, call_args *c)
{
    int slot = c->nargs;
    if (p->tok.kind == TOK_NAME && peek_binding(p)) {
        slot = keyword_slot(p, fname, uf, p->tok);
        if (slot < 0) {
            diag_at(p->d, p->src, NULL, p->tok.start, "%s() has no parameter '%.*s'", fname,
                    p->tok.len, p->src + p->tok.start);
            return false;
        }
        if (c->given[slot])
            return fail_at(p, p->tok.start, "argument given twice");
        c->keyword_seen = true;
        if (!next(p) || !next(p)) /* the name and '=' */
            return false;
    } else if (c->keyword_seen) {
        return fail_at(p, p->tok.start, "positional argument after a keyword argument");
    } else if (!uf && function_list_slots(fname) && slot >= function_list_slots(fname)) {
        diag_at(p->d, p->src, NULL, p->tok.start, "%s() takes at most %d tensors (the axis only "
                "by keyword)", fname, function_list_slots(fname));
        return false;
    }
    if (slot >= MAX_ARGS)
        return fail_at(p, p->tok.start, "too many arguments");
    int offset = p->tok.start;
    if (!parse_expr(p, &c->args[slot]))
        return false;
    if (c->args[slot].is_list && !uf)
        return spread_list(p, fname, c, slot, offset);
    c->given[slot] = true;
    c->nargs = slot + 1 > c->nargs ? slot + 1 : c->nargs;
    return true;
}

/* '(' args ')' after the function's name, the current token. */
static bool parse_args(parser *p, const char *fname, const user_fn *uf, call_args *c)
{
    if (!next(p) || !next(p)) /* the name and '(' */
        return false;
    if (!is_op(p, ')')) {
        if (!parse_arg(p, fname, uf, c))
            return false;
        while (is_op(p, ','))
            if (!next(p) || !parse_arg(p, fname, uf, c))
                return false;
    }
    if (!expect(p, ')', "expected ',' or ')' in the argument list"))
        return false;
    for (int i = 0; i < c->nargs; i++)
        c->args[i].absent = !c->given[i]; /* call_function refuses a required one */
    return true;
}

static bool parse_call(parser *p, operand *out)
{
    token name_tok = p->tok;
    char fname[32];
    snprintf(fname, sizeof fname, "%.*s", name_tok.len, p->src + name_tok.start);
    call_args c = {0};
    if (!parse_args(p, fname, NULL, &c))
        return false;
    return call_function(fname, c.args, c.nargs, p->src, name_tok.start, &p->pieces, out, p->d) &&
           record(p, REC_CALL, name_tok.start, 0, fname, c.args, c.nargs, out);
}

/* Parses the body of f again with its parameters bound to args. The tape
 * nodes it records are noted as f's, so that explain and dot can say so. */
static bool eval_body(parser *p, const user_fn *f, const operand *args, int call_offset,
                      operand *out)
{
    frame fr = {f, args, p->frame};
    int saved_pos = p->pos;
    token saved_tok = p->tok;
    int64_t first = tg_tape_length();
    p->frame = &fr;
    p->pos = f->body_start;
    bool ok = next(p) && parse_expr(p, out);
    if (ok && p->tok.start != f->body_end)
        ok = fail_at(p, p->tok.start, "expected an operator, ';' or the end of the expression");
    p->frame = fr.caller;
    p->pos = saved_pos;
    p->tok = saved_tok;
    if (!ok) { /* the fault is in the body: say which call ran it */
        size_t len = strlen(p->d->message);
        snprintf(p->d->message + len, sizeof p->d->message - len,
                 " (in %s(), called at column %d)", f->name, call_offset + 1);
        return false;
    }
    return add_call_span(p, f->name, first, tg_tape_length());
}

static bool parse_user_call(parser *p, const user_fn *f, operand *out)
{
    int offset = p->tok.start;
    call_args c = {0};
    if (!parse_args(p, f->name, f, &c))
        return false;
    bool complete = c.nargs == f->n_params;
    for (int i = 0; complete && i < c.nargs; i++)
        complete = c.given[i];
    if (!complete) {
        diag_at(p->d, p->src, NULL, offset, "%s() takes %d argument%s", f->name, f->n_params,
                f->n_params == 1 ? "" : "s");
        return false;
    }
    for (const frame *fr = p->frame; fr; fr = fr->caller)
        if (fr->fn == f) {
            diag_at(p->d, p->src, NULL, offset, "%s() calls itself: recursion is not supported",
                    f->name);
            return false;
        }
    if (++p->calls > MAX_CALLS)
        return fail_at(p, offset, "more than 100000 calls of user-defined functions");
    return eval_body(p, f, c.args, offset, out);
}

/* An unknown function, named with the closest known one when one is near
 * (a typo: one edit in a short name, two in a longer one). */
static bool unknown_function(parser *p)
{
    const char *name = p->src + p->tok.start;
    size_t len = (size_t)p->tok.len;
    int distance;
    const char *best = closest_function(name, len, &distance);
    for (int i = 0; i < p->n_fns; i++) {
        int d = name_distance(name, len, p->fns[i].name);
        if (d < distance) {
            distance = d;
            best = p->fns[i].name;
        }
    }
    if (best && distance <= (len < 5 ? 1 : 2))
        diag_at(p->d, p->src, NULL, p->tok.start, "unknown function '%.*s'; did you mean %s?",
                (int)len, name, best);
    else
        diag_at(p->d, p->src, NULL, p->tok.start, "unknown function '%.*s'", (int)len, name);
    return false;
}

static bool parse_array_literal(parser *p, operand *out)
{
    int pos = p->tok.start;
    tg_tensor *t = parse_array(p->src, &pos, NULL, false, p->d);
    if (!t)
        return false;
    if (!p->prog->literals && !(p->prog->literals = tensor_map_new()))
        return fail_at(p, p->tok.start, "out of memory");
    if (tensor_map_put(p->prog->literals, t, t) < 0)
        return fail_at(p, p->tok.start, "out of memory");
    p->pos = pos;
    *out = (operand){.t = t};
    return record(p, REC_LITERAL, p->tok.start, 0, NULL, NULL, 0, out) && next(p);
}

static bool parse_atom(parser *p, operand *out)
{
    if (p->tok.kind == TOK_NUMBER) {
        *out = (operand){.is_number = true, .number = p->tok.number};
        return next(p);
    }
    if (p->tok.kind == TOK_NAME) {
        if (peek_char(p) != '(')
            return parse_name(p, out);
        const user_fn *f = find_user_fn(p, p->src + p->tok.start, (size_t)p->tok.len);
        if (f)
            return parse_user_call(p, f, out);
        if (!is_function_name(p->src + p->tok.start, (size_t)p->tok.len))
            return unknown_function(p);
        return parse_call(p, out);
    }
    if (is_op(p, '['))
        return parse_array_literal(p, out);
    if (is_op(p, '(')) {
        if (!next(p) || !parse_expr(p, out))
            return false;
        return expect(p, ')', "expected ')'");
    }
    return fail_at(p, p->tok.start, p->tok.kind == TOK_END ? "unexpected end of the expression"
                                                           : "expected a number, a name, '(' or '['");
}

/* ---- subscripts: x[i], x[a:b:s], x[:, j], x[idx] ------------------------- */

/* One item of a subscript: a number (select), a slice, or an index array. */
typedef struct {
    bool is_slice;
    operand index;     /* not a slice: the number or the index tensor */
    int64_t bound[3];  /* a slice's start, stop, step */
    int offset;
} subscript_item;

/* An optional whole number of a slice: absent before ':' , ',' or ']'. */
static bool slice_bound(parser *p, int64_t fallback, int64_t *out)
{
    if (is_op(p, ':') || is_op(p, ',') || is_op(p, ']')) {
        *out = fallback;
        return true;
    }
    int offset = p->tok.start;
    operand v;
    if (!parse_expr(p, &v))
        return false;
    if (!v.is_number || !whole_number(v.number, out))
        return fail_at(p, offset, "a slice bound must be a whole number");
    return true;
}

static bool parse_item(parser *p, subscript_item *it)
{
    *it = (subscript_item){.offset = p->tok.start, .bound = {0, TG_SLICE_END, 1}};
    if (!is_op(p, ':')) {
        if (!parse_expr(p, &it->index) || !single(p, &it->index))
            return false;
        if (!is_op(p, ':'))
            return true;
        if (!it->index.is_number || !whole_number(it->index.number, &it->bound[0]))
            return fail_at(p, it->offset, "a slice bound must be a whole number");
    }
    it->is_slice = true;
    if (!next(p) || !slice_bound(p, TG_SLICE_END, &it->bound[1]))
        return false;
    if (!is_op(p, ':'))
        return true;
    return next(p) && slice_bound(p, 1, &it->bound[2]);
}

/* Whether an item removes its axis: a number, or a 0-d index tensor (a
 * select, as x[torch.tensor(1)]). */
static bool selects(const subscript_item *it)
{
    return !it->is_slice && (it->index.is_number || tg_ndim(it->index.t) == 0);
}

static bool record_item(parser *p, tg_tensor *t, const subscript_item *it, int k, tg_tensor *r);

/* Applies item k at axis k of t: a slice or an index array keeps the axis,
 * a select removes it. */
static tg_tensor *apply_item(parser *p, tg_tensor *t, subscript_item *it, int k)
{
    if (it->is_slice)
        return tg_slice(t, k, it->bound[0], it->bound[1], it->bound[2]);
    if (!it->index.is_number)
        return selects(it) ? tg_squeeze(tg_index_select(t, k, it->index.t), k)
                           : tg_index_select(t, k, it->index.t);
    int64_t i;
    if (!whole_number(it->index.number, &i)) {
        fail_at(p, it->offset, "an index must be a whole number");
        return NULL;
    }
    return tg_select(t, k, i);
}

/* Item k of a subscript acts on axis k of x (NumPy's basic indexing with
 * at most one index array). Those that keep their axis go first, then the
 * selects from the last axis back, so every item finds its axis at the
 * number and with the size the user wrote, and an error says so: W[0, 5]
 * of a 2x3 W is "index 5 ... for axis 1 of size 3". The ops are on distinct
 * axes and commute, so the order changes no value. */
static bool apply_items(parser *p, operand *out, subscript_item *items, int n)
{
    tg_tensor *t = out->t;
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < n; j++) {
            int k = pass == 0 ? j : n - 1 - j;
            if (selects(&items[k]) != (pass == 1))
                continue;
            tg_tensor *r = apply_item(p, t, &items[k], k);
            if (!r)
                return p->d->set ? false : fail_at(p, items[k].offset, tg_last_error());
            if (!record_item(p, t, &items[k], k, r))
                return false;
            t = r;
        }
    *out = (operand){.t = t};
    return true;
}

/* x[items]: up to TG_MAX_DIMS items, at most one an index array. */
static bool parse_subscript(parser *p, operand *out)
{
    int open = p->tok.start, n = 0, arrays = 0;
    if (out->is_number)
        return fail_at(p, open, "a number cannot be indexed");
    if (!next(p))
        return false;
    subscript_item items[TG_MAX_DIMS];
    do {
        if (is_op(p, ',') && !next(p))
            return false;
        int offset = p->tok.start;
        if (n == TG_MAX_DIMS) {
            char message[64];
            snprintf(message, sizeof message, "more than %d subscripts", TG_MAX_DIMS);
            return fail_at(p, offset, message);
        }
        subscript_item *it = &items[n++];
        if (!parse_item(p, it))
            return false;
        arrays += !it->is_slice && !it->index.is_number;
        if (arrays > 1)
            return fail_at(p, it->offset, "one index array per subscript: write x[i][:, j]");
    } while (is_op(p, ','));
    if (!expect(p, ']', "expected ']' or ','"))
        return false;
    return apply_items(p, out, items, n);
}

/* list[k]: result k of a list (negative from the end), as a tuple's. */
static bool parse_pick(parser *p, operand *out)
{
    operand list = *out, k;
    if (!next(p)) /* '[' */
        return false;
    int offset = p->tok.start;
    if (!parse_expr(p, &k))
        return false;
    int64_t i;
    if (!k.is_number || !whole_number(k.number, &i) || !is_op(p, ']')) {
        diag_at(p->d, p->src, NULL, offset, "%s() returns a list: pick one result with a whole "
                "number, %s(...)[k]", list.from, list.from);
        return false;
    }
    if (i < -list.count || i >= list.count) {
        diag_at(p->d, p->src, NULL, offset, "result %lld is out of range: %s() returned %d",
                (long long)i, list.from, list.count);
        return false;
    }
    *out = (operand){.t = piece(p, &list, (int)(i < 0 ? i + list.count : i))};
    return next(p);
}

/* An atom with any number of subscripts: x[0], (W @ v)[1][:, 2],
 * chunk(x, 2)[1][0]. */
static bool parse_primary(parser *p, operand *out)
{
    if (!parse_atom(p, out))
        return false;
    while (is_op(p, '['))
        if (!(out->is_list ? parse_pick(p, out) : parse_subscript(p, out)))
            return false;
    return true;
}

static bool parse_power(parser *p, operand *out)
{
    if (!parse_primary(p, out))
        return false;
    if (!is_op(p, '^'))
        return true;
    int offset = p->tok.start;
    operand exponent;
    if (!next(p) || !parse_unary(p, &exponent))
        return false;
    return apply_binary(p, '^', offset, out, &exponent, out);
}

static bool parse_unary(parser *p, operand *out)
{
    if (++p->depth > TG_MAX_NESTING)
        return fail_at(p, p->tok.start, "expression nested too deeply (more than 256 levels)");
    bool ok;
    if (is_op(p, '-')) {
        int offset = p->tok.start;
        ok = next(p) && parse_unary(p, out) && single(p, out);
        if (ok && out->is_number)
            out->number = -out->number;
        else if (ok) {
            operand in = *out;
            ok = op_result(p, tg_neg(out->t), offset, out) &&
                 record(p, REC_NEG, offset, 0, NULL, &in, 1, out);
        }
    } else {
        ok = parse_power(p, out);
    }
    p->depth--;
    return ok;
}

static bool parse_binary_chain(parser *p, const char *ops, bool (*parse_operand)(parser *, operand *),
                               operand *out)
{
    if (!parse_operand(p, out))
        return false;
    while (p->tok.kind == TOK_OP && p->tok.len == 1 && strchr(ops, p->src[p->tok.start])) {
        char op = p->src[p->tok.start];
        int offset = p->tok.start;
        operand rhs;
        if (!next(p) || !parse_operand(p, &rhs) || !apply_binary(p, op, offset, out, &rhs, out))
            return false;
    }
    return true;
}

static bool parse_term(parser *p, operand *out) { return parse_binary_chain(p, "*/@", parse_unary, out); }
static bool parse_sum(parser *p, operand *out) { return parse_binary_chain(p, "+-", parse_term, out); }

/* sum [comparison sum]: one comparison, a 0/1 mask. */
static bool parse_expr(parser *p, operand *out)
{
    if (!parse_sum(p, out))
        return false;
    int k = comparison_at(p);
    if (k < 0)
        return true;
    int offset = p->tok.start;
    operand rhs;
    if (!next(p) || !parse_sum(p, &rhs))
        return false;
    if (comparison_at(p) >= 0)
        return fail_at(p, p->tok.start, "chained comparisons such as a < b < c are not "
                                        "supported: write logical_and(a < b, b < c)");
    if (!single(p, out) || !single(p, &rhs))
        return false;
    if (out->is_number && rhs.is_number) {
        *out = (operand){.is_number = true, .number = fold_comparison(k, out->number, rhs.number)};
        return true;
    }
    operand in[2] = {*out, rhs};
    return op_result(p, comparisons[k].fn(operand_tensor(out), operand_tensor(&rhs)), offset, out) &&
           record(p, REC_COMPARE, offset, k, NULL, in, 2, out);
}

/* Skips to the ';' or the end that closes a def's body, outside brackets. */
static bool skip_body(parser *p)
{
    int depth = 0;
    while (p->tok.kind != TOK_END && !(depth == 0 && is_op(p, ';'))) {
        if (is_op(p, '(') || is_op(p, '['))
            depth++;
        else if ((is_op(p, ')') || is_op(p, ']')) && depth > 0)
            depth--;
        if (!next(p))
            return false;
    }
    return true;
}

static bool add_user_fn(parser *p, const user_fn *f)
{
    if (p->n_fns == p->cap_fns) {
        int cap = p->cap_fns ? 2 * p->cap_fns : 4;
        user_fn *grown = realloc(p->fns, (size_t)cap * sizeof *grown);
        if (!grown)
            return fail_at(p, f->body_start, "out of memory");
        p->fns = grown;
        p->cap_fns = cap;
    }
    p->fns[p->n_fns++] = *f;
    return true;
}

/* A name that a def may introduce: not a function, keyword or parameter. */
static bool check_new_name(parser *p, const user_fn *f, const char *what)
{
    const char *name = p->src + p->tok.start;
    size_t len = (size_t)p->tok.len;
    if (p->tok.kind != TOK_NAME) {
        diag_at(p->d, p->src, NULL, p->tok.start, "expected %s", what);
        return false;
    }
    if (len >= sizeof f->name)
        return fail_at(p, p->tok.start, "name too long");
    if (is_function_name(name, len) || is_keyword(name, len) || find_user_fn(p, name, len)) {
        diag_at(p->d, p->src, NULL, p->tok.start, "'%.*s' is already a function or keyword",
                (int)len, name);
        return false;
    }
    for (int i = 0; i < f->n_params; i++)
        if (same_text(p, f->params[i], p->tok))
            return fail_at(p, p->tok.start, "parameter named twice");
    return true;
}

/* def NAME(params) = body, the current token being 'def'. */
static bool parse_def(parser *p)
{
    user_fn f = {0};
    if (!next(p) || !check_new_name(p, &f, "the function's name after 'def'"))
        return false;
    snprintf(f.name, sizeof f.name, "%.*s", p->tok.len, p->src + p->tok.start);
    if (!next(p) || !expect(p, '(', "expected '(' after the function's name"))
        return false;
    while (!is_op(p, ')')) {
        if (f.n_params == MAX_ARGS)
            return fail_at(p, p->tok.start, "too many parameters");
        if (!check_new_name(p, &f, "a parameter name"))
            return false;
        f.params[f.n_params++] = p->tok;
        if (!next(p))
            return false;
        if (!is_op(p, ','))
            break;
        if (!next(p))
            return false;
    }
    if (!expect(p, ')', "expected ',' or ')' in the parameter list") ||
        !expect(p, '=', "expected '=' before the function's body"))
        return false;
    f.body_start = p->tok.start;
    if (!skip_body(p))
        return false;
    f.body_end = p->tok.start;
    if (f.body_end == f.body_start)
        return fail_at(p, p->tok.start, "expected the function's body after '='");
    return add_user_fn(p, &f);
}

/* The name token t as a string that may be assigned to, in name. */
static bool assignable_name(parser *p, token t, char *name, size_t size)
{
    if (t.len >= (int)size)
        return fail_at(p, t.start, "name too long");
    snprintf(name, size, "%.*s", t.len, p->src + t.start);
    if (is_function_name(name, strlen(name)) || is_keyword(name, strlen(name)) ||
        find_user_fn(p, name, strlen(name)))
        return fail_at(p, t.start, "a function or keyword cannot be assigned to");
    return true;
}

/* Binds name (at token t) to the value v. */
static bool bind(parser *p, token t, const char *name, operand *v, const char **name_out)
{
    operand number = *v;
    if (!operand_tensor(v))
        return op_result(p, NULL, t.start, v);
    if (number.is_number && !record(p, REC_NUMBER, t.start, 0, NULL, &number, 1, v))
        return false;
    if (!symtab_assign(p->syms, name, v->t, t.start, p->src, p->d))
        return false;
    *name_out = symtab_name_of(p->syms, v->t);
    return true;
}

/* NAME '=' expr, with an optional 'let' before it. */
static bool parse_assignment(parser *p, operand *out, const char **name_out)
{
    token name_tok = p->tok;
    char name[256];
    if (!assignable_name(p, name_tok, name, sizeof name))
        return false;
    if (!next(p) || !expect(p, '=', "expected '=' after the name in a let binding"))
        return false;
    if (!parse_expr(p, out) || !single(p, out))
        return false;
    return bind(p, name_tok, name, out, name_out);
}

/* NAME (',' NAME)+ '=' expr: each name bound to one result of a list. */
static bool parse_destructuring(parser *p, operand *out)
{
    token names[MAX_ARGS];
    int n = 0;
    for (;;) {
        if (p->tok.kind != TOK_NAME)
            return fail_at(p, p->tok.start, "expected a name to bind");
        if (n == MAX_ARGS)
            return fail_at(p, p->tok.start, "too many names (8 at most)");
        for (int i = 0; i < n; i++)
            if (same_text(p, names[i], p->tok))
                return fail_at(p, p->tok.start, "a name bound twice");
        names[n++] = p->tok;
        if (!next(p) || !is_op(p, ','))
            break;
        if (!next(p))
            return false;
    }
    if (!expect(p, '=', "expected ',' or '=' after the names, as in a, b = chunk(x, 2)"))
        return false;
    int offset = p->tok.start;
    if (!parse_expr(p, out))
        return false;
    if (!out->is_list) {
        diag_at(p->d, p->src, NULL, offset, "%d names need as many tensors: this is one; "
                "split it with chunk(x, %d) or unbind(x)", n, n);
        return false;
    }
    if (out->count != n) {
        diag_at(p->d, p->src, NULL, names[0].start, "%d names for the %d tensors %s() returns",
                n, out->count, out->from);
        return false;
    }
    p->bound_list = true;
    for (int k = 0; k < n; k++) {
        char name[256];
        const char *bound;
        operand v = {.t = piece(p, out, k)};
        if (!assignable_name(p, names[k], name, sizeof name) || !bind(p, names[k], name, &v, &bound))
            return false;
    }
    return true;
}

static bool parse_statement(parser *p, operand *out, const char **name)
{
    *name = NULL;
    p->bound_list = false;
    bool let = is_word(p, "let");
    if (let) {
        if (!next(p))
            return false;
        if (p->tok.kind != TOK_NAME)
            return fail_at(p, p->tok.start, "expected a name after 'let'");
    }
    if (p->tok.kind == TOK_NAME && peek_char(p) == ',')
        return parse_destructuring(p, out);
    if (let || (p->tok.kind == TOK_NAME && peek_binding(p)))
        return parse_assignment(p, out, name);
    return parse_expr(p, out);
}

static bool run_program(parser *p, program *out)
{
    bool have = false;
    operand v = {0};
    if (!next(p))
        return false;
    for (;;) {
        if (is_word(p, "def")) {
            if (!parse_def(p))
                return false;
        } else if (!is_op(p, ';') && p->tok.kind != TOK_END) {
            out->result_offset = p->tok.start;
            if (!parse_statement(p, &v, &out->result_name))
                return false;
            have = true;
        }
        if (p->tok.kind == TOK_END)
            break;
        if (!expect(p, ';', "expected an operator, ';' or the end of the expression"))
            return false;
    }
    if (!have)
        return fail_at(p, 0, p->n_fns ? "nothing to compute: only functions are defined"
                                       : "empty expression");
    if (p->bound_list)
        return fail_at(p, out->result_offset, "the last statement binds names: end with an "
                                              "expression of them, as in a, b = chunk(x, 2); a * b");
    if (!single(p, &v))
        return false;
    operand number = v;
    out->result = operand_tensor(&v);
    if (!out->result)
        return fail_at(p, out->result_offset, tg_last_error());
    return !number.is_number || record(p, REC_NUMBER, out->result_offset, 0, NULL, &number, 1, &v);
}

/* ---- recording: the ops of one evaluation, to be run again ------------------ */

/* An operand as recorded: a number, a skipped optional argument, or the
 * tensor in a slot (the variables first, then the results in order). */
typedef struct {
    bool is_number, absent;
    double number;
    int slot;
} rec_operand;

typedef struct {
    rec_kind kind;
    int offset;            /* in the source, for a message */
    int result, n_results; /* the slots it fills: one, or a call's list */
    int op;                /* REC_BINARY's operator, REC_COMPARE's row, REC_ITEM's axis */
    char name[32];         /* REC_CALL's function, as the call named it */
    const function_def *fn; /* and as found */
    rec_operand in[MAX_ARGS];
    int n_in;
    subscript_item item;   /* REC_ITEM's, its index in in[1] */
    double *values;        /* REC_LITERAL's, row-major */
    int ndim;
    int64_t shape[TG_MAX_DIMS];
} rec_step;

/* The slot a tensor of the evaluation being recorded is in. */
typedef struct {
    const tg_tensor *key;
    int slot;
    UT_hash_handle hh;
} slot_entry;

struct recording {
    const char *src;
    rec_step *steps;
    int n_steps, cap_steps;
    tg_tensor **slots; /* at run time, this run's tensors */
    int n_slots, cap_slots, n_inputs;
    slot_entry *index; /* while recording: tensor -> slot */
    int result;        /* the result's slot */
    result_list pieces; /* at run time, the lists the calls return; kept between runs */
};

static bool add_slot(parser *p, const tg_tensor *t, int offset)
{
    recording *r = p->rec;
    if (r->n_slots == r->cap_slots) {
        int cap = r->cap_slots ? 2 * r->cap_slots : 16;
        tg_tensor **grown = realloc(r->slots, (size_t)cap * sizeof *grown);
        if (!grown)
            return fail_at(p, offset, "out of memory");
        r->slots = grown;
        r->cap_slots = cap;
    }
    slot_entry *e = NULL;
    HASH_FIND_PTR(r->index, &t, e);
    if (!e) {
        tool_hash_oom = false;
        if (!(e = malloc(sizeof *e)))
            return fail_at(p, offset, "out of memory");
        e->key = t;
        HASH_ADD_PTR(r->index, key, e);
        if (tool_hash_oom) {
            free(e);
            return fail_at(p, offset, "out of memory");
        }
    }
    e->slot = r->n_slots; /* a result that is an earlier tensor is read from here on */
    r->slots[r->n_slots++] = (tg_tensor *)t;
    return true;
}

static bool encode(parser *p, const operand *v, int offset, rec_operand *out)
{
    *out = (rec_operand){.is_number = v->is_number, .absent = v->absent, .number = v->number};
    if (v->is_number || v->absent)
        return true;
    slot_entry *e = NULL;
    HASH_FIND_PTR(p->rec->index, &v->t, e);
    if (!e) /* every tensor the parser sees comes from a variable or a recorded op */
        return fail_at(p, offset, "internal error: an operand that was not recorded");
    out->slot = e->slot;
    return true;
}

static rec_step *new_step(parser *p, rec_kind kind, int offset)
{
    recording *r = p->rec;
    if (r->n_steps == r->cap_steps) {
        int cap = r->cap_steps ? 2 * r->cap_steps : 16;
        rec_step *grown = realloc(r->steps, (size_t)cap * sizeof *grown);
        if (!grown) {
            fail_at(p, offset, "out of memory");
            return NULL;
        }
        r->steps = grown;
        r->cap_steps = cap;
    }
    rec_step *st = &r->steps[r->n_steps++];
    *st = (rec_step){.kind = kind, .offset = offset, .result = r->n_slots, .n_results = 1};
    return st;
}

static bool record(parser *p, rec_kind kind, int offset, int op, const char *name,
                   const operand *in, int n_in, const operand *out)
{
    if (!p->rec)
        return true;
    rec_step *st = new_step(p, kind, offset);
    if (!st)
        return false;
    st->op = op;
    st->n_in = n_in;
    if (name) {
        snprintf(st->name, sizeof st->name, "%s", name);
        st->fn = function_named(name);
    }
    for (int k = 0; k < n_in; k++)
        if (!encode(p, &in[k], offset, &st->in[k]))
            return false;
    if (kind == REC_LITERAL) {
        const tg_tensor *t = out->t;
        st->ndim = tg_ndim(t);
        memcpy(st->shape, tg_shape(t), sizeof(int64_t) * (size_t)st->ndim);
        if (!(st->values = malloc((size_t)tg_numel(t) * sizeof(double))))
            return fail_at(p, offset, "out of memory");
        memcpy(st->values, tg_data(out->t), (size_t)tg_numel(t) * sizeof(double));
    }
    if (!out->is_list)
        return add_slot(p, out->t, offset);
    st->n_results = out->count;
    for (int k = 0; k < out->count; k++)
        if (!add_slot(p, piece(p, out, k), offset))
            return false;
    return true;
}

static bool record_item(parser *p, tg_tensor *t, const subscript_item *it, int k, tg_tensor *r)
{
    if (!p->rec)
        return true;
    operand in[2] = {{.t = t}, it->index};
    bool index = !it->is_slice;
    operand out = {.t = r};
    if (!record(p, REC_ITEM, it->offset, k, NULL, in, index ? 2 : 1, &out))
        return false;
    p->rec->steps[p->rec->n_steps - 1].item = *it;
    return true;
}

void recording_free(recording *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_steps; i++)
        free(r->steps[i].values);
    slot_entry *e, *tmp;
    HASH_ITER(hh, r->index, e, tmp) {
        HASH_DEL(r->index, e);
        free(e);
    }
    free(r->steps);
    free(r->slots);
    free(r->pieces.items);
    free(r);
}

static bool run_program_in(parser *p, program *out)
{
    *out = (program){0};
    symtab_begin_evaluation(p->syms);
    bool ok = run_program(p, out);
    free(p->fns);
    free(p->pieces.items);
    return ok;
}

bool eval_program(const char *src, symtab *syms, program *out, diag *d)
{
    parser p = {.src = src, .syms = syms, .d = d, .prog = out};
    return run_program_in(&p, out);
}

bool eval_program_recorded(const char *src, symtab *syms, program *out, recording **rec,
                           diag *d)
{
    parser p = {.src = src, .syms = syms, .d = d, .prog = out, .rec = calloc(1, sizeof(recording))};
    bool ok = p.rec != NULL;
    if (!ok)
        diag_plain(d, "out of memory");
    for (int i = 0; ok && i < syms->n_inputs; i++)
        ok = add_slot(&p, symtab_input_value(syms, i), 0);
    if (ok) {
        p.rec->src = src;
        p.rec->n_inputs = syms->n_inputs;
        ok = run_program_in(&p, out);
    }
    slot_entry *e = NULL;
    if (ok)
        HASH_FIND_PTR(p.rec->index, &out->result, e);
    if (ok && !e)
        ok = fail_at(&p, out->result_offset, "internal error: a result that was not recorded");
    if (ok)
        p.rec->result = e->slot;
    else
        recording_free(p.rec);
    *rec = ok ? p.rec : NULL;
    return ok;
}

static operand decode(const recording *r, const rec_operand *v)
{
    if (v->is_number || v->absent)
        return (operand){.is_number = v->is_number, .absent = v->absent, .number = v->number};
    return (operand){.t = r->slots[v->slot]};
}

/* Step st run again: its result tensors into their slots. */
static bool run_step(parser *p, recording *r, const rec_step *st)
{
    operand in[MAX_ARGS], out = {0};
    for (int k = 0; k < st->n_in; k++)
        in[k] = decode(r, &st->in[k]);
    tg_tensor *t = NULL;
    subscript_item item;
    switch (st->kind) {
    case REC_LITERAL:
        t = tg_tensor_new(TG_F64, st->ndim, st->shape, st->values, false);
        break;
    case REC_NUMBER:
        t = operand_tensor(&in[0]);
        break;
    case REC_BINARY:
        t = binary_tensor((char)st->op, &in[0], &in[1]);
        break;
    case REC_COMPARE:
        t = comparisons[st->op].fn(operand_tensor(&in[0]), operand_tensor(&in[1]));
        break;
    case REC_NEG:
        t = tg_neg(in[0].t);
        break;
    case REC_ITEM:
        item = st->item;
        if (st->n_in > 1)
            item.index = in[1];
        t = apply_item(p, in[0].t, &item, st->op);
        break;
    case REC_CALL:
        if (!call_function_def(st->fn, st->name, in, st->n_in, r->src, st->offset, &r->pieces,
                               &out, p->d))
            return false;
        if (!out.is_list) {
            t = out.t;
            break;
        }
        if (out.count != st->n_results)
            return fail_at(p, st->offset, "internal error: a list of another length than recorded");
        for (int k = 0; k < out.count; k++)
            r->slots[st->result + k] = r->pieces.items[out.first + k];
        return true;
    }
    if (!t)
        return p->d->set ? false : fail_at(p, st->offset, tg_last_error());
    r->slots[st->result] = t;
    return true;
}

tg_tensor *recording_run(recording *r, const symtab *syms, diag *d)
{
    parser p = {.src = r->src, .d = d};
    for (int i = 0; i < r->n_inputs; i++)
        r->slots[i] = symtab_input_value(syms, i);
    r->pieces.n = 0;
    for (int i = 0; i < r->n_steps; i++)
        if (!run_step(&p, r, &r->steps[i]))
            return NULL;
    return r->slots[r->result];
}

tg_tensor *eval_value(const char *src, symtab *syms, diag *d)
{
    program p = {0};
    bool ok = eval_program(src, syms, &p, d);
    tg_tensor *r = p.result;
    program_free(&p);
    if (!ok) {
        tg_set_error(TG_EVALUE, "%s", d->message);
        return NULL;
    }
    return r;
}
