/* cmd_grad.c -- `tg grad`: the value and the gradient with respect to each
 * variable, computed by tg_backward, as text or as JSON; with --hessian the
 * second derivatives too (cmd_jacobian.c). */

#include "tg.h"

static void print_json(const session *s, const hessian_table *h)
{
    printf("{\"value\": ");
    json_number(stdout, tg_item(s->prog.result));
    printf(", \"grad\": {");
    bool first = true;
    for (int i = 0; i < s->syms.n_inputs; i++) {
        tg_tensor *v = symtab_input_value(&s->syms, i);
        if (!tg_requires_grad(v))
            continue;
        printf("%s\"%s\": ", first ? "" : ", ", symtab_input_name(&s->syms, i));
        json_tensor(stdout, session_gradient(v));
        first = false;
    }
    putchar('}');
    if (h)
        hessian_print_json(s, h);
    printf("}\n");
}

static void print_text(const session *s, const hessian_table *h)
{
    const char *y = s->result_label;
    printf("%s = %.10g\n", y, tg_item(s->prog.result));
    for (int i = 0; i < s->syms.n_inputs; i++) {
        tg_tensor *v = symtab_input_value(&s->syms, i);
        if (!tg_requires_grad(v))
            continue;
        printf("d%s/d%s = ", y, symtab_input_name(&s->syms, i));
        text_tensor(stdout, session_gradient(v));
        putchar('\n');
    }
    if (h)
        hessian_print_text(s, h);
}

int cmd_grad(int argc, char **argv)
{
    static const char *const options[] = {"--json", "--wrt", "--hessian", NULL};
    cli_args a;
    session s = {0};
    diag d = {0};
    hessian_table h = {0};
    bool ok = parse_cli_args(argc, argv, "grad", options, &a, &d) &&
              session_open(&s, &a, &d) && session_backward(&s, &d) &&
              (!a.hessian || hessian_compute(&s, a.expr, &h, &d));
    if (!ok)
        diag_print(&d);
    else if (a.json)
        print_json(&s, a.hessian ? &h : NULL);
    else
        print_text(&s, a.hessian ? &h : NULL);
    hessian_free(&h);
    session_close(&s);
    cli_args_free(&a);
    return ok ? 0 : TG_EXIT_USAGE;
}
