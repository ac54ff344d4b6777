/*
 * parser.c -- the expression language, parsed and evaluated in one pass.
 *
 *   program    := statement (';' statement)*
 *   statement  := ['let'] NAME '=' expr | expr | (nothing)
 *   expr       := term (('+' | '-') term)*
 *   term       := unary (('*' | '/' | '@') unary)*
 *   unary      := '-' unary | power
 *   power      := primary ['^' unary]           (right-associative)
 *   primary    := NUMBER | NAME | NAME '(' args ')' | '(' expr ')'
 *   args       := arg (',' arg)*,  arg := [NAME '='] expr
 *
 * Precedence follows Python: -x^2 is -(x^2) and 2^-1 is allowed. Each
 * operator becomes tapegrad ops as soon as both operands are known, so the
 * tape is built left to right. The grammar recurses only through unary(),
 * which counts the nesting and refuses more than TG_MAX_NESTING levels, so
 * no input can exhaust the stack.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "number.h"
#include "tg.h"

#define MAX_ARGS 8

typedef enum { TOK_END, TOK_NUMBER, TOK_NAME, TOK_OP } token_kind;

typedef struct {
    token_kind kind;
    int start, len;
    double number;
} token;

typedef struct {
    const char *src;
    int pos;   /* where the lexer continues */
    token tok; /* the current token */
    int depth;
    symtab *syms;
    diag *d;
} parser;

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
    } else if (strchr("+-*/^@(),;=", *s)) {
        t.kind = TOK_OP;
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
    return p->tok.kind == TOK_OP && p->src[p->tok.start] == op;
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

static bool expect(parser *p, char op, const char *message)
{
    if (!is_op(p, op))
        return fail_at(p, p->tok.start, message);
    return next(p);
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
    if (a->is_number && b->is_number && op != '@') {
        *out = (operand){.is_number = true, .number = fold(op, a->number, b->number)};
        return true;
    }
    return op_result(p, binary_tensor(op, a, b), offset, out);
}

/* ---- the grammar ---------------------------------------------------------- */

static bool parse_expr(parser *p, operand *out);
static bool parse_unary(parser *p, operand *out);

static bool parse_name(parser *p, operand *out)
{
    char name[256];
    token t = p->tok;
    if (t.len >= (int)sizeof name)
        return fail_at(p, t.start, "name too long");
    memcpy(name, p->src + t.start, (size_t)t.len);
    name[t.len] = '\0';
    tg_tensor *v = symtab_lookup(p->syms, name);
    if (!v) {
        diag_at(p->d, p->src, NULL, t.start,
                is_function_name(name, strlen(name)) ? "'%s' is a function: call it as %s(...)"
                                                     : "unknown variable '%s'",
                name, name);
        return false;
    }
    *out = (operand){.t = v};
    return next(p);
}

typedef struct {
    operand args[MAX_ARGS];
    bool given[MAX_ARGS];
    int nargs;
    bool keyword_seen;
} call_args;

/* One argument, positional or NAME=expr; a keyword argument fills the slot
 * of its parameter and only keyword arguments may follow it. */
static bool parse_arg(parser *p, const char *fname, call_args *c)
{
    int slot = c->nargs;
    if (p->tok.kind == TOK_NAME && peek_char(p) == '=') {
        slot = function_param_index(fname, p->src + p->tok.start, (size_t)p->tok.len);
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
    }
    if (slot >= MAX_ARGS)
        return fail_at(p, p->tok.start, "too many arguments");
    if (!parse_expr(p, &c->args[slot]))
        return false;
    c->given[slot] = true;
    c->nargs = slot + 1 > c->nargs ? slot + 1 : c->nargs;
    return true;
}

static bool parse_call(parser *p, operand *out)
{
    token name_tok = p->tok;
    char fname[32];
    snprintf(fname, sizeof fname, "%.*s", name_tok.len, p->src + name_tok.start);
    if (!next(p) || !next(p)) /* the name and '(' */
        return false;
    call_args c = {0};
    if (!is_op(p, ')')) {
        if (!parse_arg(p, fname, &c))
            return false;
        while (is_op(p, ','))
            if (!next(p) || !parse_arg(p, fname, &c))
                return false;
    }
    if (!expect(p, ')', "expected ',' or ')' in the argument list"))
        return false;
    for (int i = 0; i < c.nargs; i++)
        c.args[i].absent = !c.given[i]; /* call_function refuses a required one */
    return call_function(fname, c.args, c.nargs, p->src, name_tok.start, out, p->d);
}

static bool parse_primary(parser *p, operand *out)
{
    if (p->tok.kind == TOK_NUMBER) {
        *out = (operand){.is_number = true, .number = p->tok.number};
        return next(p);
    }
    if (p->tok.kind == TOK_NAME) {
        if (peek_char(p) != '(')
            return parse_name(p, out);
        if (!is_function_name(p->src + p->tok.start, (size_t)p->tok.len)) {
            diag_at(p->d, p->src, NULL, p->tok.start, "unknown function '%.*s'", p->tok.len,
                    p->src + p->tok.start);
            return false;
        }
        return parse_call(p, out);
    }
    if (is_op(p, '(')) {
        if (!next(p) || !parse_expr(p, out))
            return false;
        return expect(p, ')', "expected ')'");
    }
    return fail_at(p, p->tok.start, p->tok.kind == TOK_END ? "unexpected end of the expression"
                                                           : "expected a number, a name or '('");
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
        ok = next(p) && parse_unary(p, out);
        if (ok && out->is_number)
            out->number = -out->number;
        else if (ok)
            ok = op_result(p, tg_neg(out->t), offset, out);
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
    while (p->tok.kind == TOK_OP && strchr(ops, p->src[p->tok.start])) {
        char op = p->src[p->tok.start];
        int offset = p->tok.start;
        operand rhs;
        if (!next(p) || !parse_operand(p, &rhs) || !apply_binary(p, op, offset, out, &rhs, out))
            return false;
    }
    return true;
}

static bool parse_term(parser *p, operand *out) { return parse_binary_chain(p, "*/@", parse_unary, out); }
static bool parse_expr(parser *p, operand *out) { return parse_binary_chain(p, "+-", parse_term, out); }

/* NAME '=' expr, with an optional 'let' before it. */
static bool parse_assignment(parser *p, operand *out, const char **name_out)
{
    token name_tok = p->tok;
    char name[256];
    if (name_tok.len >= (int)sizeof name)
        return fail_at(p, name_tok.start, "name too long");
    snprintf(name, sizeof name, "%.*s", name_tok.len, p->src + name_tok.start);
    if (is_function_name(name, strlen(name)) || strcmp(name, "let") == 0)
        return fail_at(p, name_tok.start, "a function or keyword cannot be assigned to");
    if (!next(p) || !expect(p, '=', "expected '=' after the name in a let binding"))
        return false;
    if (!parse_expr(p, out))
        return false;
    if (!operand_tensor(out))
        return op_result(p, NULL, name_tok.start, out);
    if (!symtab_assign(p->syms, name, out->t, name_tok.start, p->src, p->d))
        return false;
    *name_out = symtab_name_of(p->syms, out->t);
    return true;
}

static bool parse_statement(parser *p, operand *out, const char **name)
{
    *name = NULL;
    if (is_word(p, "let")) {
        if (!next(p))
            return false;
        if (p->tok.kind != TOK_NAME)
            return fail_at(p, p->tok.start, "expected a name after 'let'");
        return parse_assignment(p, out, name);
    }
    if (p->tok.kind == TOK_NAME && peek_char(p) == '=')
        return parse_assignment(p, out, name);
    return parse_expr(p, out);
}

bool eval_program(const char *src, symtab *syms, program *out, diag *d)
{
    parser p = {.src = src, .syms = syms, .d = d};
    *out = (program){0};
    bool have = false;
    operand v = {0};
    if (!next(&p))
        return false;
    for (;;) {
        if (!is_op(&p, ';') && p.tok.kind != TOK_END) {
            out->result_offset = p.tok.start;
            if (!parse_statement(&p, &v, &out->result_name))
                return false;
            have = true;
        }
        if (p.tok.kind == TOK_END)
            break;
        if (!expect(&p, ';', "expected an operator, ';' or the end of the expression"))
            return false;
    }
    if (!have)
        return fail_at(&p, 0, "empty expression");
    out->result = operand_tensor(&v);
    return out->result ? true : fail_at(&p, out->result_offset, tg_last_error());
}
