/* symbols.c -- the symbol table (uthash, keyed by name) and the parser of
 * arrays: a number or a nested bracket array such as [[1,2],[3,4]], every
 * row of one level the same length, read from NAME=VALUE arguments and from
 * literals inside expressions. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "number.h"
#include "tg.h"

bool tool_hash_oom;

struct symbol {
    char *name;
    tg_tensor *value;
    bool is_input;
    /* the values a rebound name held earlier in this evaluation, oldest
     * first: `c = x * 2; c = c + 1` shows the first as c' (labels.c) */
    tg_tensor **earlier;
    int n_earlier, cap_earlier;
    bool bound; /* assigned in this evaluation */
    UT_hash_handle hh;
};

static bool is_identifier(const char *s, size_t len)
{
    if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return false;
    return true;
}

static symbol *find(const symtab *s, const char *name)
{
    symbol *sym = NULL;
    HASH_FIND_STR(s->table, name, sym);
    return sym;
}

/* pi and e are constants of the language; a variable may take the name. */
static void warn_if_constant(const char *name)
{
    if (strcmp(name, "pi") == 0 || strcmp(name, "e") == 0)
        fprintf(stderr, "tg: warning: the variable '%s' shadows the constant %s\n", name, name);
}

static symbol *insert(symtab *s, const char *name, size_t len, diag *d)
{
    symbol *sym = calloc(1, sizeof *sym);
    char *copy = malloc(len + 1);
    if (sym && copy) {
        memcpy(copy, name, len);
        copy[len] = '\0';
        sym->name = copy;
        tool_hash_oom = false;
        HASH_ADD_KEYPTR(hh, s->table, copy, len, sym);
        if (!tool_hash_oom)
            return sym;
    }
    free(sym);
    free(copy);
    diag_plain(d, "out of memory");
    return NULL;
}

void symtab_free(symtab *s)
{
    symbol *sym, *tmp;
    HASH_ITER(hh, s->table, sym, tmp) {
        HASH_DEL(s->table, sym);
        free(sym->name);
        free(sym->earlier);
        free(sym);
    }
    free(s->inputs);
    *s = (symtab){0};
}

tg_tensor *symtab_lookup(const symtab *s, const char *name)
{
    symbol *sym = find(s, name);
    return sym ? sym->value : NULL;
}

const char *symtab_input_name(const symtab *s, int i) { return s->inputs[i]->name; }
tg_tensor *symtab_input_value(const symtab *s, int i) { return s->inputs[i]->value; }
void symtab_set_input_value(symtab *s, int i, tg_tensor *t) { s->inputs[i]->value = t; }

const char *symtab_name_of(const symtab *s, const tg_tensor *t)
{
    for (symbol *sym = s->table; sym; sym = sym->hh.next)
        if (sym->value == t)
            return sym->name;
    return NULL;
}

const char *symtab_earlier_name_of(const symtab *s, const tg_tensor *t, int *rebinds)
{
    for (symbol *sym = s->table; sym; sym = sym->hh.next)
        for (int i = sym->n_earlier - 1; i >= 0; i--)
            if (sym->earlier[i] == t) {
                *rebinds = sym->n_earlier - i;
                return sym->name;
            }
    return NULL;
}

void symtab_begin_evaluation(symtab *s)
{
    for (symbol *sym = s->table; sym; sym = sym->hh.next) {
        sym->n_earlier = 0;
        sym->bound = false;
    }
}

/* Keeps sym's value of this evaluation as an earlier one before it is
 * rebound; false when memory runs out. */
static bool keep_earlier(symbol *sym)
{
    if (!sym->bound)
        return true;
    if (sym->n_earlier == sym->cap_earlier) {
        int cap = sym->cap_earlier ? 2 * sym->cap_earlier : 4;
        tg_tensor **grown = realloc(sym->earlier, (size_t)cap * sizeof *grown);
        if (!grown)
            return false;
        sym->earlier = grown;
        sym->cap_earlier = cap;
    }
    sym->earlier[sym->n_earlier++] = sym->value;
    return true;
}

bool symtab_assign(symtab *s, const char *name, tg_tensor *value, int offset, const char *src,
                   diag *d)
{
    symbol *sym = find(s, name);
    if (sym && sym->is_input) {
        diag_at(d, src, NULL, offset, "'%s' is an input variable; assign to another name", name);
        return false;
    }
    if (!sym) {
        if (!(sym = insert(s, name, strlen(name), d)))
            return false;
        warn_if_constant(name);
    }
    if (sym->value != value && !keep_earlier(sym)) {
        diag_plain(d, "out of memory");
        return false;
    }
    sym->value = value;
    sym->bound = true;
    return true;
}

/* ---- NAME=VALUE ----------------------------------------------------------- */

typedef struct {
    const char *text, *what;
    int pos;
    double *values;
    int64_t n, cap;
    int ndim;                    /* depth at which numbers sit; -1 until seen */
    int64_t shape[TG_MAX_DIMS];  /* 0 until the first list of a depth closes */
    diag *d;
} array_parser;

static void skip_space(array_parser *p)
{
    while (isspace((unsigned char)p->text[p->pos]))
        p->pos++;
}

static bool fail(array_parser *p, const char *message)
{
    diag_at(p->d, p->text, p->what, p->pos, "%s", message);
    return false;
}

static bool push_value(array_parser *p, double v)
{
    if (p->n == p->cap) {
        int64_t cap = p->cap ? 2 * p->cap : 16;
        double *grown = realloc(p->values, (size_t)cap * sizeof *grown);
        if (!grown)
            return fail(p, "out of memory");
        p->values = grown;
        p->cap = cap;
    }
    p->values[p->n++] = v;
    return true;
}

static bool parse_scalar(array_parser *p, int depth)
{
    if (p->ndim >= 0 && p->ndim != depth)
        return fail(p, "a number where a list was expected: every row must nest equally deep");
    p->ndim = depth;
    int sign = 1;
    if (p->text[p->pos] == '-' || p->text[p->pos] == '+')
        sign = p->text[p->pos++] == '-' ? -1 : 1;
    double v;
    int n = scan_number(p->text + p->pos, &v);
    if (n < 0)
        return fail(p, "number out of range");
    if (n == 0)
        return fail(p, "expected a number or '['");
    p->pos += n;
    return push_value(p, sign * v);
}

static bool parse_list(array_parser *p, int depth);

static bool parse_item(array_parser *p, int depth)
{
    skip_space(p);
    return p->text[p->pos] == '[' ? parse_list(p, depth) : parse_scalar(p, depth);
}

/* A list at depth holds items of depth + 1; its length must equal that of
 * every other list at the same depth. */
static bool parse_list(array_parser *p, int depth)
{
    if (depth >= TG_MAX_DIMS)
        return fail(p, "too deeply nested: tensors have at most 6 dimensions");
    if (p->ndim >= 0 && depth >= p->ndim)
        return fail(p, "a list where a number was expected: every row must nest equally deep");
    int start = p->pos++;
    skip_space(p);
    if (p->text[p->pos] == ']')
        return fail(p, "empty list: every dimension needs at least one element");
    int64_t count = 0;
    for (;;) {
        if (!parse_item(p, depth + 1))
            return false;
        count++;
        skip_space(p);
        if (p->text[p->pos] == ']')
            break;
        if (p->text[p->pos] != ',')
            return fail(p, "expected ',' or ']'");
        p->pos++;
    }
    if (p->shape[depth] && p->shape[depth] != count) {
        p->pos = start;
        return fail(p, "ragged array: this list's length differs from the one before it");
    }
    p->shape[depth] = count;
    p->pos++;
    return true;
}

tg_tensor *parse_array(const char *text, int *pos, const char *what, bool requires_grad,
                       diag *d)
{
    array_parser p = {.text = text, .what = what, .pos = *pos, .ndim = -1, .d = d};
    tg_tensor *t = NULL;
    if (parse_item(&p, 0)) {
        t = tg_tensor_new(TG_F64, p.ndim, p.shape, p.values, requires_grad);
        if (!t)
            diag_at(d, text, what, *pos, "%s", tg_last_error());
    }
    free(p.values);
    *pos = p.pos;
    return t;
}

static tg_tensor *parse_value(const char *text, const char *what, bool requires_grad, diag *d)
{
    int pos = 0;
    tg_tensor *t = parse_array(text, &pos, what, requires_grad, d);
    while (t && isspace((unsigned char)text[pos]))
        pos++;
    if (t && text[pos] != '\0') {
        diag_at(d, text, what, pos, "unexpected text after the value");
        return NULL;
    }
    return t;
}

bool symtab_add_input(symtab *s, const char *arg, bool requires_grad, diag *d)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (!eq || !is_identifier(arg, len)) {
        diag_at(d, arg, "argument", 0, "expected NAME=VALUE, NAME a letter or '_' followed by "
                "letters, digits or '_'");
        return false;
    }
    if (is_function_name(arg, len) || is_keyword(arg, len)) {
        diag_at(d, arg, "argument", 0, "'%.*s' is a function or keyword, not a variable name",
                (int)len, arg);
        return false;
    }
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)len, arg);
    if (len >= sizeof name) {
        diag_at(d, arg, "argument", 0, "name too long");
        return false;
    }
    if (find(s, name)) {
        diag_at(d, arg, "argument", 0, "variable '%s' given twice", name);
        return false;
    }
    tg_tensor *t = parse_value(eq + 1, "the value", requires_grad, d);
    if (!t) {
        d->text = arg; /* point into the whole argument */
        d->what = "argument";
        d->offset += (int)(eq + 1 - arg);
        return false;
    }
    if (s->n_inputs == s->cap_inputs) {
        int cap = s->cap_inputs ? 2 * s->cap_inputs : 8;
        symbol **grown = realloc(s->inputs, (size_t)cap * sizeof *grown);
        if (!grown) {
            diag_plain(d, "out of memory");
            return false;
        }
        s->inputs = grown;
        s->cap_inputs = cap;
    }
    symbol *sym = insert(s, name, len, d);
    if (!sym)
        return false;
    warn_if_constant(name);
    sym->value = t;
    sym->is_input = true;
    s->inputs[s->n_inputs++] = sym;
    return true;
}
