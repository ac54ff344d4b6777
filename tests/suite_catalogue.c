/* suite_catalogue.c -- the op catalogue and every table keyed by it.
 *
 * Each test walks every op kind, so a table that lacks a row for one (the
 * library's rows, `tg explain`'s templates, the `tg` language's functions,
 * the docs' lists) fails here, naming the kind. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explain.h"
#include "testutil.h"
#include "tg.h"

static const tg_op_info *row_of(int k)
{
    const tg_op_info *row = tg_op_info_of((tg_op_kind)k);
    ck_assert_msg(row != NULL, "kind %d has no row: %s", k, tg_last_error());
    return row;
}

/* Ops that users call: every kind but the library's own and user ops. */
static bool callable(const tg_op_info *row)
{
    return !(row->flags & TG_OP_INTERNAL) && row->kind != TG_OP_USER;
}

START_TEST(every_kind_has_its_own_row)
{
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = row_of(k);
        ck_assert_msg(row->kind == (tg_op_kind)k, "the row at kind %d says kind %d", k,
                      row->kind);
        ck_assert_msg(row->name && strncmp(row->name, "tg_", 3) == 0, "kind %d: name %s", k,
                      row->name ? row->name : "NULL");
        ck_assert_msg(row->arity == TG_OP_VARIADIC || (row->arity >= 1 && row->arity <=
                                                       TG_MAX_INPUTS),
                      "%s: arity %d", row->name, row->arity);
        for (int j = 0; j < k; j++)
            ck_assert_msg(strcmp(row->name, row_of(j)->name) != 0, "%s named twice",
                          row->name);
        ck_assert_int_eq(tg_op_kind_named(row->name), k);
    }
    ck_assert_ptr_null(tg_op_info_of(TG_OP_COUNT));
    ck_assert_int_eq(tg_last_error_code(), TG_EVALUE);
    ck_assert_int_eq(tg_op_kind_named("sigmoid"), TG_OP_SIGMOID);
    ck_assert_int_eq(tg_op_kind_named("no_such_op"), TG_OP_NONE);
}
END_TEST

/* Every elementwise op of one or two tensor arguments stores its local
 * partials when it records a 0-d F64 result (the scalar fast path,
 * docs/tape.md), and they agree with its op-written rule, run by tg_vjp: a
 * row that forgets them, or gets them wrong, fails here. Ops that pass no
 * gradient store none, and their rule must give none. where and masked_fill
 * record a mask beside their arguments and keep the general path. */
START_TEST(every_elementwise_op_stores_the_partials_of_its_rule)
{
    uint64_t seed = 11;
    int checked = 0;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = row_of(k);
        if (!callable(row) || !(row->flags & TG_OP_ELEMENTWISE) || row->sample.n_inputs > 2 ||
            k == TG_OP_WHERE || k == TG_OP_MASKED_FILL)
            continue;
        tg_tensor *drawn[TG_MAX_INPUTS], *x[TG_MAX_INPUTS];
        ck_assert_int_eq(tg_op_sample_inputs(row, TG_F64, &seed, drawn), 0);
        for (int i = 0; i < row->sample.n_inputs; i++)
            x[i] = tg_var(tg_get(drawn[i], 0));
        tg_tensor *y = row->sample.call(x, NULL);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_op_num_inputs(y), row->sample.n_inputs);
        double p[TG_MAX_INPUTS];
        int n = tg_op_partials(y, p, TG_MAX_INPUTS);
        tg_tensor *rule[TG_MAX_INPUTS];
        ck_assert_int_eq(tg_vjp(y, tg_scalar(1), rule), 0);
        ck_assert_msg(n == 0 || n == row->sample.n_inputs, "%s: %d partials", row->name, n);
        for (int i = 0; i < row->sample.n_inputs; i++) {
            ck_assert_msg(n > 0 || !rule[i], "%s stores no partials, but its rule passes %g to "
                          "input %d", row->name, tg_item(rule[i]), i);
            double want = rule[i] ? tg_item(rule[i]) : 0;
            ck_assert_msg(n == 0 || fabs(p[i] - want) <= 1e-12 * (1 + fabs(want)),
                          "%s at input %d: partial %.17g, rule %.17g", row->name, i, p[i], want);
        }
        checked += n > 0;
        tg_tape_reset();
    }
    ck_assert_int_ge(checked, 50);
}
END_TEST

/* An elementwise op computes a 0-d F64 result from doubles with its row's
 * value entry (the scalar fast path and a program's flat replay) and a
 * tensor with its kernel: the two are made from one formula (ops/kernel.h,
 * TG_UNARY_FORMULA) and must give the same bits, at every element of the
 * row's sample, so that a scalar graph and the same graph on 1-element
 * tensors agree. A row with partials but no value entry crashes here. */
START_TEST(every_elementwise_value_is_its_kernels_bits)
{
    uint64_t seed = 13;
    int checked = 0;
    const int64_t one = 1;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = row_of(k);
        if (!callable(row) || !(row->flags & TG_OP_ELEMENTWISE) || row->sample.n_inputs > 2 ||
            k == TG_OP_WHERE || k == TG_OP_MASKED_FILL)
            continue;
        int n = row->sample.n_inputs;
        tg_tensor *drawn[TG_MAX_INPUTS];
        ck_assert_int_eq(tg_op_sample_inputs(row, TG_F64, &seed, drawn), 0);
        int64_t points = 0;
        for (int i = 0; i < n; i++)
            points = tg_numel(drawn[i]) > points ? tg_numel(drawn[i]) : points;
        for (int64_t e = 0; e < points; e++) {
            tg_tensor *scalar[TG_MAX_INPUTS], *vector[TG_MAX_INPUTS];
            double x[TG_MAX_INPUTS] = {0};
            for (int i = 0; i < n; i++) {
                x[i] = tg_get(drawn[i], e % tg_numel(drawn[i]));
                scalar[i] = tg_var(x[i]);
                vector[i] = tg_full(TG_F64, 1, &one, x[i], true);
            }
            tg_tensor *by_value = row->sample.call(scalar, NULL);
            tg_tensor *by_kernel = row->sample.call(vector, NULL);
            tu_assert_ok(by_value);
            tu_assert_ok(by_kernel);
            double v = tg_get(by_value, 0), w = tg_get(by_kernel, 0);
            ck_assert_msg(memcmp(&v, &w, sizeof v) == 0,
                          "%s at (%.17g, %.17g): value %.17g, kernel %.17g", row->name, x[0],
                          x[1], v, w);
        }
        checked++;
        tg_tape_reset();
    }
    ck_assert_int_ge(checked, 60);
}
END_TEST

/* The sample of each row really calls its own op: the result it records is
 * of the row's kind, with the arguments the row declares. */
START_TEST(every_sample_calls_its_own_op)
{
    uint64_t seed = 7;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = row_of(k);
        if (!callable(row)) {
            ck_assert_ptr_null(row->sample.call);
            continue;
        }
        ck_assert_msg(row->sample.call != NULL, "%s has no sample", row->name);
        ck_assert(row->sample.n_inputs >= 1 && row->sample.n_inputs <= TG_MAX_INPUTS);
        tg_tensor *in[TG_MAX_INPUTS];
        ck_assert_int_eq(tg_op_sample_inputs(row, TG_F64, &seed, in), 0);
        tg_tensor *y = row->sample.call(in, NULL);
        tu_assert_ok(y);
        ck_assert_msg(tg_op_kind_of(y) == (tg_op_kind)k, "the sample of %s records %s",
                      row->name, tg_op_name(y) ? tg_op_name(y) : "nothing");
        int extra = (row->flags & TG_OP_HELPER_INPUT) ? 1 : 0;
        int arity = row->arity == TG_OP_VARIADIC ? row->sample.n_inputs : row->arity;
        ck_assert_int_eq(tg_op_num_inputs(y), arity + extra);
        double c;
        ck_assert(tg_op_constant(y, &c) == ((row->flags & TG_OP_CONSTANT) != 0));
        ck_assert((tg_op_axis(y) >= 0) == ((row->flags & TG_OP_AXIS) != 0));
        tg_clear_error();
        tg_tape_reset();
    }
}
END_TEST

START_TEST(samples_are_reproducible_and_in_range)
{
    const tg_op_info *row = tg_op_info_of(TG_OP_LOG);
    uint64_t a = 3, b = 3;
    tg_tensor *x, *y;
    ck_assert_int_eq(tg_op_sample_inputs(row, TG_F64, &a, &x), 0);
    ck_assert_int_eq(tg_op_sample_inputs(row, TG_F64, &b, &y), 0);
    ck_assert_int_eq(tg_numel(x), tg_numel(y));
    for (int64_t i = 0; i < tg_numel(x); i++) {
        ck_assert(tg_get(x, i) == tg_get(y, i));
        ck_assert(tg_get(x, i) >= 0.5 && tg_get(x, i) <= 2); /* TG_SAMPLE_POSITIVE */
    }
    tg_tensor *bad[1];
    ck_assert_int_eq(tg_op_sample_inputs(tg_op_info_of(TG_OP_USER), TG_F64, &a, bad), TG_EVALUE);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "tg_apply has no sample"));
}
END_TEST

START_TEST(kind_of_leaves_and_user_ops)
{
    tg_tensor *x = tg_var(2), *c = tg_scalar(1);
    ck_assert_int_eq(tg_op_kind_of(x), TG_OP_NONE);
    ck_assert_int_eq(tg_op_kind_of(c), TG_OP_NONE);
    ck_assert_int_eq(tg_op_kind_of(tg_mul(c, c)), TG_OP_NONE); /* nothing to record */
    ck_assert_int_eq(tg_op_kind_of(tg_mul(x, c)), TG_OP_MUL);
    ck_assert_int_eq(tg_op_kind_of(NULL), TG_OP_NONE);
    ck_assert_int_eq(tg_op_info_of(TG_OP_USER)->arity, TG_OP_VARIADIC);
}
END_TEST

/* `tg explain` can write every op's formula and local derivative. */
START_TEST(explain_has_a_rule_for_every_kind)
{
    for (int k = 0; k < TG_OP_COUNT; k++)
        ck_assert_msg(explain_has_rule((tg_op_kind)k), "tg explain has no rule for %s",
                      row_of(k)->name);
}
END_TEST

/* `tg explain --mode forward` can write every op's tangent. */
START_TEST(explain_has_a_tangent_for_every_kind)
{
    for (int k = 0; k < TG_OP_COUNT; k++)
        ck_assert_msg(explain_has_tangent((tg_op_kind)k),
                      "tg explain has no tangent for %s (tools/tg/explain_tangents.c)",
                      row_of(k)->name);
}
END_TEST

/* The `tg` language reaches every op or says why not. */
START_TEST(language_spells_every_kind)
{
    for (int k = 0; k < TG_OP_COUNT; k++)
        ck_assert_msg(language_spelling((tg_op_kind)k) != NULL,
                      "the tg language has no row for %s", row_of(k)->name);
}
END_TEST

static char *read_doc(const char *relative)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", TG_SOURCE_DIR, relative);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

/* Whether doc names name in code: `name`, `name(...)` or `name ...`, not as
 * the start of a longer name (`tg_erfc` does not list tg_erf). */
static bool mentions(const char *doc, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = strchr(doc, '`'); p; p = strchr(p + 1, '`'))
        if (strncmp(p + 1, name, len) == 0 && strchr("`( ,", p[1 + len]))
            return true;
    return false;
}

/* docs/ops.md documents every op users call, as `tg_name`. */
START_TEST(ops_doc_lists_every_op)
{
    const char *doc = read_doc("docs/ops.md");
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const tg_op_info *row = row_of(k);
        if (!callable(row))
            continue;
        ck_assert_msg(mentions(doc, row->name), "docs/ops.md does not list %s", row->name);
    }
}
END_TEST

/* docs/tg/tg.md names every function of the language. */
START_TEST(tg_doc_lists_every_function)
{
    const char *doc = read_doc("docs/tg/tg.md");
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const char *name = language_spelling((tg_op_kind)k);
        if (!name || !is_function_name(name, strlen(name)))
            continue;
        ck_assert_msg(mentions(doc, name), "docs/tg/tg.md does not list %s", name);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("catalogue");
    TCase *tc = tu_tcase("catalogue");
    tcase_add_test(tc, every_kind_has_its_own_row);
    tcase_add_test(tc, every_sample_calls_its_own_op);
    tcase_add_test(tc, samples_are_reproducible_and_in_range);
    tcase_add_test(tc, kind_of_leaves_and_user_ops);
    tcase_add_test(tc, every_elementwise_op_stores_the_partials_of_its_rule);
    tcase_add_test(tc, every_elementwise_value_is_its_kernels_bits);
    tcase_add_test(tc, explain_has_a_rule_for_every_kind);
    tcase_add_test(tc, explain_has_a_tangent_for_every_kind);
    tcase_add_test(tc, language_spells_every_kind);
    tcase_add_test(tc, ops_doc_lists_every_op);
    tcase_add_test(tc, tg_doc_lists_every_function);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
