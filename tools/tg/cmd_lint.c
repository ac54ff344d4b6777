/* cmd_lint.c -- `tg lint`: the expression's tape read by tg_tape_lint
 * (tapegrad/lint.h), each hazard printed with its node, the values the rule
 * looked at and what to write instead. */
#include <string.h>

#include <tapegrad/inspect.h>
#include <tapegrad/lint.h>

#include "explain.h"

#define MAX_FINDINGS 64

static char *node_formula(labeler *names, const tg_tensor *node, char *buf, size_t size)
{
    formula_names n = formula_names_of(names, node);
    return op_formula(node, &n, NOTATION_TEXT, buf, size);
}

/* text at a six-space indent, wrapped at spaces before column 88 */
static void print_wrapped(const char *text)
{
    while (*text) {
        int n = (int)strlen(text);
        if (n > 82)
            for (n = 82; n > 0 && text[n] != ' '; n--)
                ;
        if (n == 0)
            n = (int)strcspn(text, " ");
        printf("      %.*s\n", n, text);
        text += n;
        while (*text == ' ')
            text++;
    }
}

static void print_finding(labeler *names, const tg_lint_finding *f)
{
    char formula[192], lo[32], hi[32];
    printf("\n  %s = %s   [%s]\n", label_of(names, f->node),
           node_formula(names, f->node, formula, sizeof formula), tg_lint_rule_name(f->rule));
    print_wrapped(tg_lint_advice(f->rule));
    printf("      %s: values %s .. %s", label_of(names, f->input),
           number_brief(f->lo, lo, sizeof lo), number_brief(f->hi, hi, sizeof hi));
    if (f->count)
        printf(", %lld element%s at fault", (long long)f->count, f->count == 1 ? "" : "s");
    printf("\n");
}

static int lint(session *s)
{
    tg_lint_finding found[MAX_FINDINGS];
    int64_t n = tg_tape_lint(found, MAX_FINDINGS);
    labeler *names = labeler_new(&s->syms, &s->prog);
    if (n < 0 || !names) {
        labeler_free(names);
        fprintf(stderr, "tg: error: %s\n", n < 0 ? tg_last_error() : "out of memory");
        return TG_EXIT_USAGE;
    }
    if (n == 0)
        printf("tg lint: no gradient hazards found\n");
    else
        printf("tg lint: %lld gradient hazard%s\n", (long long)n, n == 1 ? "" : "s");
    for (int64_t i = 0; i < n && i < MAX_FINDINGS; i++)
        print_finding(names, &found[i]);
    if (n > MAX_FINDINGS)
        printf("\n  ... and %lld more\n", (long long)(n - MAX_FINDINGS));
    labeler_free(names);
    return n ? TG_EXIT_FAILURE : 0;
}

int cmd_lint(int argc, char **argv)
{
    static const char *const options[] = {"--wrt", NULL};
    cli_args a;
    session s = {0};
    diag d = {0};
    int rc = TG_EXIT_USAGE;
    if (parse_cli_args(argc, argv, "lint", options, &a, &d) && session_open(&s, &a, &d))
        rc = lint(&s);
    else
        diag_print(&d);
    session_close(&s);
    cli_args_free(&a);
    return rc;
}
