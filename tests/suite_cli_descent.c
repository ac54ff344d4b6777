/* suite_cli_descent.c -- the tg commands that take steps or check them, run
 * as programs: tg descend --batch (each sample's gradient, their average,
 * the update) and --plot, tg fit (a decay curve recovered from its CSV,
 * Mazur's network after one step), tg gradcheck EXPR (a table that passes,
 * one that fails at a kink), and their usage errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

typedef tu_output run_result;

/* Runs tg with args (a shell fragment), stdout and stderr together. */
static run_result run_tg(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", TG_BINARY, args);
    return tu_run_shell(cmd);
}

#define assert_has tu_assert_has

/* A scratch file of this test process: /tmp/tg-descent-PID-NAME. */
static const char *scratch(const char *name)
{
    static char path[8][256];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "/tmp/tg-descent-%ld-%s", (long)getpid(), name);
    return p;
}

static void write_text(const char *path, const char *text)
{
    tu_write_file(path, text, strlen(text));
}

/* The number after the first occurrence of prefix in out. */
static double number_after(const char *out, const char *prefix)
{
    const char *p = strstr(out, prefix);
    ck_assert_msg(p != NULL, "no \"%s\" in:\n%s", prefix, out);
    return strtod(p + strlen(prefix), NULL);
}

/* The numbers of the bracketed array after prefix, flattened. */
static int numbers_after(const char *out, const char *prefix, double *v, int max)
{
    const char *p = strstr(out, prefix);
    ck_assert_msg(p != NULL, "no \"%s\" in:\n%s", prefix, out);
    p += strlen(prefix);
    int n = 0;
    while (*p && *p != '\n' && n < max) {
        if (strchr("[], ", *p)) {
            p++;
            continue;
        }
        char *end;
        v[n++] = strtod(p, &end);
        ck_assert_ptr_ne(end, p);
        p = end;
    }
    return n;
}

/* ---- tg descend --batch and --plot ----------------------------------------- */

/* The notes' mini-batch rule: each sample's l_i and dl_i/dw, then
 * dL/dw = 1/B sum_i dl_i/dw and the update. A batch of all three samples is
 * full-batch descent, so it lands where descending mean(l_i) does. */
START_TEST(descend_batch_averages_the_samples_gradients)
{
    run_result r = run_tg("descend '(w*x - t)^2' w=0 'x=[1,2,3]' 't=[2,4,6]' --wrt w --lr 0.1 "
                          "--batch 3 --steps 1");
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "step 0: samples 0..2\n"
                  "  sample 0 (x = 1, t = 2): l = 4, dl/dw = -4\n"
                  "  sample 1 (x = 2, t = 4): l = 16, dl/dw = -16\n"
                  "  sample 2 (x = 3, t = 6): l = 36, dl/dw = -36\n"
                  "  L = 1/3 * sum_i l_i = 18.66666667\n"
                  "  dL/dw = 1/3 * sum_i dl_i/dw = 1/3 * -56 = -18.66666667\n"
                  "  w <- w - 0.1 * dL/dw = 0 - 0.1 * -18.66666667 = 1.866666667\n"
                  "step 1: all 3 samples\n");
    free(r.out);
    r = run_tg("descend 'mean((w*x - t)^2)' w=0 'x=[1,2,3]' 't=[2,4,6]' --wrt w --lr 0.1 "
               "--steps 1");
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "= 0 - 0.1 * -18.66666667 = 1.866666667\n");
    free(r.out);
}
END_TEST

/* SGD (a batch of one) from a CSV file: the steps walk through the rows in
 * order and wrap round; the columns are the samples, the command line's
 * variables learn. */
START_TEST(descend_batch_walks_the_csv_rows)
{
    const char *csv = scratch("line.csv");
    write_text(csv, "x,t\n1,2\n2,4\n\n3,6\n");
    char args[512];
    snprintf(args, sizeof args, "descend '(w*x + b - t)^2' w=0 b=0 --data %s --lr 0.05 "
                                "--batch 2 --steps 2", csv);
    run_result r = run_tg(args);
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "step 0: samples 0..1\n"
                  "  sample 0 (x = 1, t = 2): l = 4, dl/dw = -4, dl/db = -4\n"
                  "  sample 1 (x = 2, t = 4): l = 16, dl/dw = -16, dl/db = -8\n"
                  "  L = 1/2 * sum_i l_i = 10\n"
                  "  dL/dw = 1/2 * sum_i dl_i/dw = 1/2 * -20 = -10\n"
                  "  w <- w - 0.05 * dL/dw = 0 - 0.05 * -10 = 0.5\n"
                  "  dL/db = 1/2 * sum_i dl_i/db = 1/2 * -12 = -6\n"
                  "  b <- b - 0.05 * dL/db = 0 - 0.05 * -6 = 0.3\n"
                  "step 1: samples 2..0 (round the end)\n"
                  "  sample 2 (x = 3, t = 6): l = 17.64,");
    assert_has(r, "  w <- w - 0.05 * dL/dw = 0.5 - 0.05 * -13.8 = 1.19\n");
    assert_has(r, "step 2: all 3 samples\n  L = 1/3 * sum_i l_i = 1.5399\n");
    free(r.out);
    /* without --batch the columns are whole vectors */
    snprintf(args, sizeof args, "descend 'mean((w*x - t)^2)' w=0 --data %s --lr 0.1 --steps 1",
             csv);
    r = run_tg(args);
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "w <- w - 0.1 * dy/dw = 0 - 0.1 * -18.66666667 = 1.866666667\n");
    free(r.out);
    unlink(csv);
}
END_TEST

START_TEST(descend_batch_usage_errors)
{
    run_result r = run_tg("descend '(w*x - t)^2' w=0 'x=[1,2]' 't=[1,2]' --lr 0.1 --batch 1");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--batch needs samples: --data FILE.csv, or --wrt naming the variables");
    free(r.out);
    r = run_tg("descend '(w*x - t)^2' w=0 x=1 t=2 --wrt w --lr 0.1 --batch 1");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "each an array of one row per sample; 'x' has shape []");
    free(r.out);
    r = run_tg("descend '(w*x - t)^2' w=0 'x=[1,2]' 't=[1,2,3]' --wrt w --lr 0.1 --batch 1");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "'t' has shape [3]");
    free(r.out);
    r = run_tg("descend '(w*x - t)^2' w=0 'x=[1,2]' 't=[1,2]' --wrt w --lr 0.1 --batch 3");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--batch 3 is more than the 2 samples");
    free(r.out);
    r = run_tg("descend 'x^2' x=1 --lr 0.1 --batch 0");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--batch wants a number of samples from 1 to 100000, not '0'");
    free(r.out);
    const char *csv = scratch("bad.csv");
    write_text(csv, "x,t\n1,2\n2,zz\n");
    char args[512];
    snprintf(args, sizeof args, "descend '(w*x - t)^2' w=0 --data %s --lr 0.1 --batch 1", csv);
    r = run_tg(args);
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "bad.csv: line 3, column 2 (t): 'zz' is not a finite number");
    free(r.out);
    write_text(csv, "x,t\n1,2\n2\n");
    r = run_tg(args);
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "bad.csv: line 3 has 1 columns; the header names 2");
    free(r.out);
    unlink(csv);
}
END_TEST

/* The points of the n-th polyline of svg (from 0). */
static int polyline_points(const char *svg, int n, double *x, double *y, int max)
{
    const char *p = svg;
    for (int k = 0; k <= n; k++) {
        p = strstr(p, "<polyline");
        ck_assert_ptr_nonnull(p);
        p++;
    }
    p = strstr(p, "points=\"") + 8;
    int count = 0;
    while (*p != '"' && count < max) {
        char *end;
        x[count] = strtod(p, &end);
        y[count] = strtod(end + 1, &end);
        count++;
        p = end;
        while (*p == ' ')
            p++;
    }
    return count;
}

/* The loss in one panel and the trajectory in the other: for the notes'
 * x^2 - 10 at lr 1/4, x halves each step, so its curve's points fall by
 * halves towards the axis and the loss curve falls with them. */
START_TEST(descend_plots_the_loss_and_the_trajectory)
{
    const char *plot = scratch("descent.svg");
    char args[512];
    snprintf(args, sizeof args, "descend 'x^2 - 10' x=4 --lr 0.25 --steps 4 --plot %s", plot);
    run_result r = run_tg(args);
    ck_assert_int_eq(r.status, 0);
    free(r.out);
    size_t len;
    char *svg = (char *)tu_read_file(plot, &len);
    ck_assert_ptr_nonnull(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    ck_assert_ptr_nonnull(strstr(svg, "<title>tg descend x^2 - 10</title>"));
    ck_assert_ptr_nonnull(strstr(svg, ">step</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">loss</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">x</text>")); /* the trajectory's legend */
    ck_assert_str_eq(strstr(svg, "</svg>"), "</svg>\n");
    double x[16], y[16];
    ck_assert_int_eq(polyline_points(svg, 0, x, y, 16), 5); /* the loss: steps 0..4 */
    for (int i = 1; i < 5; i++) {
        ck_assert(x[i] > x[i - 1]);
        ck_assert(y[i] > y[i - 1]); /* lower loss, larger SVG y */
    }
    ck_assert_int_eq(polyline_points(svg, 1, x, y, 16), 5); /* x: 4, 2, 1, 0.5, 0.25 */
    /* the value axis is linear, so the gaps between the points halve too */
    for (int i = 2; i < 5; i++)
        tu_assert_close((y[i] - y[i - 1]) / (y[i - 1] - y[i - 2]), 0.5, 0.02);
    ck_assert_ptr_null(strstr(svg, "nan"));
    free(svg);
    unlink(plot);
}
END_TEST

/* ---- tg fit ------------------------------------------------------------------- */

/* Only fit's first step parses the expression; the later ones run the ops
 * it recorded. Every kind of recorded op is here (a def's body, a literal,
 * a list and its picks, a slice, a bound number, unary minus, a
 * comparison, a matmul and a select), and plain SGD takes the update tg
 * descend takes after parsing at every step, so both end at the same w
 * with the same loss. */
START_TEST(fit_steps_run_the_recorded_ops_as_parsed)
{
    const char *expr = "'def sq(u) = u * u; p, q = chunk(w * x, 2); c = 2; sum(sq(p - [1, 2])) + "
                       "c * sum(q[0:1]) - -sum(where(x > 2, w * x, 0 * x)) + "
                       "(w @ [[1], [2], [0], [1]])[0]' 'x=[1,2,3,4]'";
    char args[1024];
    snprintf(args, sizeof args, "fit %s --params 'w=[0.5,-0.5,1,0.25]' --opt sgd --lr 0.01 "
                                "--steps 3", expr);
    run_result r = run_tg(args);
    ck_assert_msg(r.status == 0, "%s", r.out);
    assert_has(r, "step 3: loss = 13.35971876\nw = [0.5, -0.22336, 0.73, 0.1]\n");
    free(r.out);
    snprintf(args, sizeof args, "descend %s 'w=[0.5,-0.5,1,0.25]' --wrt w --lr 0.01 --steps 3",
             expr);
    r = run_tg(args);
    ck_assert_msg(r.status == 0, "%s", r.out);
    assert_has(r, "= [0.5, -0.22336, 0.73, 0.1]\nstep 3: y = 13.35971876\n");
    free(r.out);
}
END_TEST

/* Writes t,y rows of a exp(-b t) + c, plus noise of the given size drawn
 * from a fixed seed (a 64-bit LCG, uniform in [-noise, noise]). */
static void write_decay(const char *path, double a, double b, double c, double noise)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "t,y\n");
    uint64_t state = 12345;
    for (int i = 0; i < 60; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(state >> 11) / 9007199254740992.0 * 2 - 1;
        double t = i * 0.2;
        fprintf(f, "%.17g,%.17g\n", t, a * exp(-b * t) + c + noise * u);
    }
    ck_assert_int_eq(fclose(f), 0);
}

static void fit_decay(const char *csv, double *a, double *b, double *c, double *loss)
{
    char args[512];
    snprintf(args, sizeof args, "fit 'a*exp(-b*t) + c' --data %s --params a=1,b=0.1,c=0 "
                                "--target y --loss mse --opt adam --lr 0.05 --steps 2000", csv);
    run_result r = run_tg(args);
    ck_assert_msg(r.status == 0, "%s", r.out);
    assert_has(r, "fitting 3 parameters with adam, lr 0.05, 2000 steps, on 60 rows of");
    *loss = number_after(r.out, "step 2000: loss = ");
    *a = number_after(r.out, "\na = ");
    *b = number_after(r.out, "\nb = ");
    *c = number_after(r.out, "\nc = ");
    free(r.out);
}

/* A physicist's decay curve: without noise the fit recovers a, b and c to
 * many digits; with seeded noise of 0.02 it still lands within a few
 * hundredths, its loss about the noise's variance (0.02^2 / 3). */
START_TEST(fit_recovers_a_decay_curve)
{
    const char *csv = scratch("decay.csv");
    double a, b, c, loss;
    write_decay(csv, 2.5, 0.7, 0.3, 0);
    fit_decay(csv, &a, &b, &c, &loss);
    tu_assert_close(a, 2.5, 1e-6);
    tu_assert_close(b, 0.7, 1e-6);
    tu_assert_close(c, 0.3, 1e-6);
    ck_assert(loss < 1e-12);
    write_decay(csv, 2.5, 0.7, 0.3, 0.02);
    fit_decay(csv, &a, &b, &c, &loss);
    ck_assert_msg(fabs(a - 2.5) < 0.03 && fabs(b - 0.7) < 0.03 && fabs(c - 0.3) < 0.03,
                  "a = %g, b = %g, c = %g", a, b, c);
    ck_assert_msg(loss > 0.5 * 0.02 * 0.02 / 3 && loss < 1.5 * 0.02 * 0.02 / 3, "loss %g", loss);
    unlink(csv);
}
END_TEST

/* Mazur's "A Step by Step Backpropagation Example": the 2-2-2 sigmoid
 * network with his initial weights, inputs 0.05 and 0.1, biases 0.35 and
 * 0.6 (not trained, as in his post), targets 0.01 and 0.99, the error
 * sum 1/2 (target - out)^2 and lr 0.5. His published numbers: E_total =
 * 0.298371109 before the step, and after it w5..w8 = 0.35891648,
 * 0.408666186, 0.511301270, 0.561370121 and w1..w4 = 0.149780716,
 * 0.19956143, 0.24975114, 0.29950229. His w1 w2 / w3 w4 are the rows of
 * W1 (net_h1 = w1 i1 + w2 i2 + b1), w5 w6 / w7 w8 those of W2. */
START_TEST(fit_reproduces_mazur_after_one_step)
{
    static const char *const forms[] = {
        /* the expression is the loss */
        "fit 'h = sigmoid(W1 @ x + b1); o = sigmoid(W2 @ h + b2); l2(o, t)' 'x=[0.05,0.1]' "
        "'t=[0.01,0.99]' b1=0.35 b2=0.6 "
        "--params 'W1=[[0.15,0.2],[0.25,0.3]],W2=[[0.4,0.45],[0.5,0.55]]' --opt sgd --lr 0.5 "
        "--steps 1",
        /* the expression is the network, compared with the target by --loss */
        "fit 'sigmoid(W2 @ sigmoid(W1 @ x + b1) + b2)' 'x=[0.05,0.1]' 't=[0.01,0.99]' b1=0.35 "
        "b2=0.6 --params 'W1=[[0.15,0.2],[0.25,0.3]],W2=[[0.4,0.45],[0.5,0.55]]' --target t "
        "--loss l2 --opt sgd --lr 0.5 --steps 1"};
    const double w1[4] = {0.149780716, 0.19956143, 0.24975114, 0.29950229};
    const double w2[4] = {0.35891648, 0.408666186, 0.511301270, 0.561370121};
    for (int f = 0; f < 2; f++) {
        run_result r = run_tg(forms[f]);
        ck_assert_msg(r.status == 0, "%s", r.out);
        tu_assert_close(number_after(r.out, "step 0: loss = "), 0.298371109, 1e-9);
        double got[8];
        ck_assert_int_eq(numbers_after(r.out, "\nW1 = ", got, 8), 4);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(fabs(got[i] - w1[i]) < 5e-9, "w%d = %.10g, Mazur %.9g", i + 1, got[i],
                          w1[i]);
        ck_assert_int_eq(numbers_after(r.out, "\nW2 = ", got, 8), 4);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(fabs(got[i] - w2[i]) < 5e-9, "w%d = %.10g, Mazur %.9g", i + 5, got[i],
                          w2[i]);
        free(r.out);
    }
}
END_TEST

START_TEST(fit_usage_errors)
{
    run_result r = run_tg("fit 'a*x' x=1");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--params NAME=VALUE,... is required");
    free(r.out);
    r = run_tg("fit 'a*x' x=1 --params a=1 --loss mse");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--loss compares the expression with --target NAME");
    free(r.out);
    r = run_tg("fit 'a*x' x=1 y=2 --params a=1 --target y --loss hinge");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--loss wants mse, sse, l2, bce, bce_logits or ce, not 'hinge'");
    free(r.out);
    r = run_tg("fit 'a*x' x=1 --params a=1 --target z");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--target names 'z', which is neither a column of the data nor a variable");
    free(r.out);
    r = run_tg("fit 'a*x' x=1 y=2 --params a=1 --target y --opt lbfgs");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "tg fit: --opt wants sgd, momentum or adam, not 'lbfgs'");
    free(r.out);
    r = run_tg("fit 'a*x' 'x=[1,2]' --params a=1");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "the loss has shape 2; fitting needs a single number");
    free(r.out);
    r = run_tg("fit 'a*x' x=1 --params a=1 --steps 0");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "--steps wants a whole number from 1 to 10000000, not '0'");
    free(r.out);
    r = run_tg("fit 'a^2 * x' x=1 --params a=1 --opt sgd --lr 10 --steps 1000");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "try a smaller --lr");
    free(r.out);
}
END_TEST

/* ---- tg gradcheck EXPR ------------------------------------------------------ */

START_TEST(gradcheck_of_an_expression_passes_elementwise)
{
    run_result r = run_tg("gradcheck 'sum(x^2 * w)' 'x=[1,2]' 'w=[[3,4],[5,6]]'");
    ck_assert_msg(r.status == 0, "%s", r.out);
    assert_has(r, "variable   element          analytic         numeric    abs err    rel err  ok\n");
    assert_has(r, "\nx          [0]                    16              16 ");
    assert_has(r, "\nx          [1]                    40              40 ");
    assert_has(r, "\nw          [1, 1]                  4     4.000000004 ");
    assert_has(r, "\n6 of 6 entries agree: |analytic - numeric| <= 1e-05 + 0.001 |numeric|");
    ck_assert_ptr_null(strstr(r.out, "FAIL"));
    free(r.out);
    r = run_tg("gradcheck 'x*y' x=1 y=2 --wrt y");
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "\ny          -                       1               1 ");
    assert_has(r, "1 of 1 entries agree");
    free(r.out);
}
END_TEST

/* relu at its kink: the library's gradient there is 0, as PyTorch's, but
 * the central difference straddles the kink and sees the slope 1/2. */
START_TEST(gradcheck_of_an_expression_flags_a_kink)
{
    run_result r = run_tg("gradcheck 'relu(x) + y^2' x=0 y=2");
    ck_assert_int_eq(r.status, 1);
    const char *row = strstr(r.out, "\nx          -  ");
    ck_assert_ptr_nonnull(row);
    double analytic, numeric, abs_err, rel_err;
    ck_assert_int_eq(sscanf(row, "\nx - %lf %lf %lf %lf", &analytic, &numeric, &abs_err, &rel_err),
                     4);
    ck_assert(analytic == 0);
    tu_assert_close(numeric, 0.5, 1e-6);
    tu_assert_close(abs_err, 0.5, 1e-3);
    ck_assert_ptr_nonnull(strstr(row, "  FAIL\n"));
    assert_has(r, "\ny          -                       4               4 ");
    assert_has(r, "1 of 2 entries agree");
    free(r.out);
    r = run_tg("gradcheck 'x' 'x=[1,2]'");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "gradients need a single number");
    free(r.out);
    r = run_tg("gradcheck 'x' x=1 --seed 3");
    ck_assert_int_eq(r.status, 2);
    assert_has(r, "unknown option '--seed'");
    free(r.out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_descent");
    TCase *tc = tu_tcase("cli_descent");
    tcase_add_test(tc, descend_batch_averages_the_samples_gradients);
    tcase_add_test(tc, descend_batch_walks_the_csv_rows);
    tcase_add_test(tc, descend_batch_usage_errors);
    tcase_add_test(tc, descend_plots_the_loss_and_the_trajectory);
    tcase_add_test(tc, fit_recovers_a_decay_curve);
    tcase_add_test(tc, fit_reproduces_mazur_after_one_step);
    tcase_add_test(tc, fit_usage_errors);
    tcase_add_test(tc, fit_steps_run_the_recorded_ops_as_parsed);
    tcase_add_test(tc, gradcheck_of_an_expression_passes_elementwise);
    tcase_add_test(tc, gradcheck_of_an_expression_flags_a_kink);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
