/* suite_cli_quiz.c -- tg quiz and tg check, run as programs: the answer
 * key graded by tg check scores 100% (scalars, tensors through a matmul, a
 * variable used twice), its gradients are tg grad's; a key with one wrong
 * local derivative, or one wrong upstream gradient, is pointed at that
 * node and the later blanks it spoils are named as carried; --blank and
 * --tol; bad input exits 2 with a message; the LaTeX worksheet compiles
 * with pdflatex (the test fails where pdflatex is missing). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define assert_has tu_assert_has
#define assert_lacks tu_assert_lacks

#define NET "'sum(sigmoid(W @ x + b))' 'W=[[1,2],[3,4]]' 'x=[1,-1]' 'b=[0.5,0]'"
#define CIRCUIT "'(x+y)*z' x=-2 y=5 z=-4"

/* Runs tg with args (a shell fragment), stdout and stderr together. */
static tu_output run_tg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static tu_output run_tg(const char *fmt, ...)
{
    char args[4096], cmd[4600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", TG_BINARY, args);
    return tu_run_shell(cmd);
}

/* A scratch file of this test process: /tmp/tg-quiz-PID-NAME. */
static const char *scratch(const char *name)
{
    static char path[8][256];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, sizeof path[0], "/tmp/tg-quiz-%ld-%s", (long)getpid(), name);
    return p;
}

static char *read_text(const char *path)
{
    size_t len = 0;
    unsigned char *bytes = tu_read_file(path, &len);
    ck_assert_msg(bytes != NULL, "cannot read %s", path);
    char *text = realloc(bytes, len + 1);
    ck_assert_ptr_nonnull(text);
    text[len] = '\0';
    return text;
}

static void write_text(const char *path, const char *text)
{
    tu_write_file(path, text, strlen(text));
}

/* The key at path with the line that starts with key replaced by
 * "key = value", written to out. */
static void replace_answer(const char *path, const char *key, const char *value, const char *out)
{
    char *text = read_text(path), *line = strstr(text, key);
    ck_assert_msg(line != NULL && (line == text || line[-1] == '\n'), "no line %s in:\n%s", key,
                  text);
    char *end = strchr(line, '\n');
    char edited[8192];
    snprintf(edited, sizeof edited, "%.*s%s = %s%s", (int)(line - text), text, key, value,
             end ? end : "");
    write_text(out, edited);
    free(text);
}

/* tg quiz ARGS --answers KEY, then tg check ARGS KEY: every blank right. */
static void assert_round_trip(const char *args, const char *score)
{
    const char *key = scratch("key.txt");
    tu_output r = run_tg("quiz %s --answers %s", args, key);
    ck_assert_msg(r.status == 0, "tg quiz %s: %s", args, r.out);
    assert_has(r, "____");
    assert_lacks(r, "Answer key"); /* it went to the file */
    free(r.out);
    r = run_tg("check %s %s", args, key);
    ck_assert_msg(r.status == 0, "tg check %s: %s", args, r.out);
    assert_has(r, score);
    assert_has(r, "Every blank is right.");
    assert_lacks(r, "wrong");
    free(r.out);
    unlink(key);
}

START_TEST(the_answer_key_scores_full_marks)
{
    assert_round_trip(CIRCUIT, "Score  8/8 (100%)");
    assert_round_trip(NET, "Score  10/10 (100%)");
    assert_round_trip("'x*x + x' x=3", "Score  6/6 (100%)");
    assert_round_trip("'sum(x^2 * 3)' 'x=[1,2]'", "Score  6/6 (100%)");
    assert_round_trip("'mse(W @ x, [0.1, 0.9])' 'W=[[0.15,0.2],[0.25,0.3]]' 'x=[0.05,0.1]'",
                      "(100%)");
}
END_TEST

/* The key's numbers are those of the sweep: the circuit's local
 * derivatives and upstream gradient as CS231n gives them, and every
 * variable's gradient as tg grad computes it (tg_backward, not the replay). */
START_TEST(the_key_holds_the_sweeps_numbers)
{
    tu_output r = run_tg("quiz %s", CIRCUIT);
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "\n      local df/dz = d/dz (v1 * z) = ____\n");
    assert_has(r, "\n      upstream df/dv1 = ____   (what v1 received from f)\n");
    assert_has(r, "\nAnswer key\n\n# tg check '(x+y)*z' x=-2 y=5 z=-4 FILE\n"
                  "local df/dv1 = -4    # d/dv1 (v1 * z) = z\n"
                  "local df/dz = 3    # d/dz (v1 * z) = v1\n"
                  "upstream df/dv1 = -4\n"
                  "local dv1/dx = 1    # d/dx (x + y) = 1\n"
                  "local dv1/dy = 1    # d/dy (x + y) = 1\n"
                  "gradient df/dx = -4\ngradient df/dy = -4\ngradient df/dz = 3\n");
    free(r.out);
    r = run_tg("quiz %s", NET);
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "local dv3/dv2 = [0.2350037122, 0.1966119332]");
    assert_has(r, "      W receives dy/dv1 @ x^T\n");
    assert_has(r, "gradient dy/dW = [[0.2350037122, -0.2350037122], "
                  "[0.1966119332, -0.1966119332]]\n");
    assert_has(r, "gradient dy/dx = [0.8248395119, 1.256455157]\n");
    free(r.out);
    r = run_tg("grad %s", NET);
    assert_has(r, "dy/dx = [0.8248395119, 1.256455157]");
    free(r.out);
}
END_TEST

START_TEST(a_wrong_local_derivative_is_pointed_at)
{
    const char *key = scratch("key.txt"), *answers = scratch("answers.txt");
    tu_output r = run_tg("quiz %s --answers %s", NET, key);
    ck_assert_int_eq(r.status, 0);
    free(r.out);
    /* the student took sigmoid's derivative to be sigmoid itself: the
     * forward values, and carried them down the sweep */
    replace_answer(key, "local dv3/dv2", "[0.3775, 0.2689]", answers);
    replace_answer(answers, "upstream dy/dv2", "[0.3775, 0.2689]", answers);
    replace_answer(answers, "upstream dy/dv1", "[0.3775, 0.2689]", answers);
    replace_answer(answers, "gradient dy/dW", "[[0.3775, -0.3775], [0.2689, -0.2689]]", answers);
    replace_answer(answers, "gradient dy/dx", "[0.3775, 0.2689]", answers);
    r = run_tg("check %s %s", NET, answers);
    ck_assert_int_eq(r.status, 1);
    assert_has(r, "      local dv3/dv2 = [0.3775, 0.2689]\n"
                  "          wrong at every element (the key: [0.235004, 0.196612])\n");
    assert_has(r, "Score  5/10 (50%)");
    assert_has(r, "\nFirst wrong node: v3 = sigmoid(v2)\n"
                  "  its local derivative d/dv2 (sigmoid(v2)) is wrong: [0.3775, 0.2689], the key "
                  "[0.235004, 0.196612]\n  its upstream gradient dy/dv3 was right\n");
    /* dy/dW = dy/dv1 @ x^T follows from the wrong dy/dv1; dy/dx does not
     * (the student's own dy/dv1 gives W^T @ [0.3775, 0.2689]) */
    assert_has(r, "\nWrong because an earlier node was wrong (your own numbers carry the error "
                  "down):\n  upstream dy/dv2\n  upstream dy/dv1\n  gradient dy/dW\n"
                  "Wrong on their own:\n  gradient dy/dx\n");
    free(r.out);
    unlink(key);
    unlink(answers);
}
END_TEST

START_TEST(a_wrong_upstream_gradient_is_pointed_at)
{
    const char *key = scratch("key.txt"), *answers = scratch("answers.txt");
    tu_output r = run_tg("quiz %s --answers %s", CIRCUIT, key);
    ck_assert_int_eq(r.status, 0);
    free(r.out);
    replace_answer(key, "upstream df/dv1", "4", answers); /* the sign lost */
    r = run_tg("check %s %s", CIRCUIT, answers);
    ck_assert_int_eq(r.status, 1);
    assert_has(r, "      upstream df/dv1          = 4              wrong (the key: -4)\n");
    assert_has(r, "Score  7/8 (88%)");
    assert_has(r, "\nFirst wrong node: v1 = x + y\n  its upstream gradient df/dv1 is wrong: 4, "
                  "the key -4\n  everything before it in the sweep was right: it is what v1 "
                  "received from f,\n  so the product upstream gradient * local derivative went "
                  "wrong\n");
    /* the key's gradients of x and y are right, whatever the student's
     * upstream: nothing later is wrong */
    assert_lacks(r, "Wrong on their own");
    free(r.out);
    replace_answer(answers, "gradient df/dx", "4", answers);
    r = run_tg("check %s %s", CIRCUIT, answers);
    ck_assert_int_eq(r.status, 1);
    assert_has(r, "      gradient df/dx           = 4              wrong (the key: -4): carried "
                  "from an earlier error\n");
    free(r.out);
    /* a variable's gradient, the first wrong blank, of the wrong shape */
    replace_answer(key, "gradient df/dz", "[3, 3]", answers);
    r = run_tg("check %s %s", CIRCUIT, answers);
    ck_assert_int_eq(r.status, 1);
    assert_has(r, "      gradient df/dz           = [3, 3]         wrong: shape 2, the key's is "
                  "scalar\n");
    assert_has(r, "\nFirst wrong node: the variable z\n  its gradient df/dz is wrong: [3, 3], the "
                  "key 3\n  everything before it in the sweep was right: it is what z received "
                  "from f,\n");
    free(r.out);
    unlink(key);
    unlink(answers);
}
END_TEST

/* --blank local gives the upstream gradients and asks for the local
 * derivatives, --blank upstream the other way round; tg check grades the
 * same set. Spaces anywhere in a line, comments and answers to four
 * significant digits pass; --tol tightens. */
START_TEST(blank_sets_spacing_and_tolerance)
{
    const char *key = scratch("key.txt"), *answers = scratch("answers.txt");
    tu_output r = run_tg("quiz %s --blank local --answers %s", NET, key);
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "      upstream dy/dv2 = [0.235004, 0.196612]   (what v2 received from v3)\n");
    assert_has(r, "      local dv3/dv2 = d/dv2 (sigmoid(v2)) = ____  (shape 2)\n");
    free(r.out);
    char *text = read_text(key);
    ck_assert_ptr_null(strstr(text, "upstream"));
    ck_assert_ptr_null(strstr(text, "gradient"));
    free(text);
    r = run_tg("check %s %s --blank local", NET, key);
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "Score  4/4 (100%)");
    free(r.out);
    r = run_tg("check %s %s", NET, key); /* --blank all wants the upstream gradients too */
    ck_assert_int_eq(r.status, 1);
    assert_has(r, "      upstream dy/dv3          =                not answered (the key: "
                  "[1, 1])\n");
    free(r.out);

    r = run_tg("quiz %s --blank upstream", CIRCUIT);
    ck_assert_int_eq(r.status, 0);
    assert_has(r, "      local df/dz = d/dz (v1 * z) = 3\n");
    assert_has(r, "      upstream df/dv1 = ____");
    free(r.out);

    write_text(answers, "# my answers\n\n  local   dv3/dv2=[0.2350, 0.1966]   # sigma(1-sigma)\n"
                        "local dy/dv3 = [1,1]\nlocal dv2/dv1 = [ 1 , 1 ]\nlocal dv2/db=[1,1]\n");
    r = run_tg("check %s %s --blank local", NET, answers);
    ck_assert_int_eq(r.status, 0);
    free(r.out);
    write_text(scratch("one.txt"), "local dv3/dv2 = [0.2350, 0.19]\nlocal dy/dv3 = [1, 1]\n"
                                   "local dv2/dv1 = [1, 1]\nlocal dv2/db = [1, 1]\n");
    r = run_tg("check %s %s --blank local", NET, scratch("one.txt"));
    ck_assert_int_eq(r.status, 1);
    assert_has(r, "      local dv3/dv2 = [0.235, 0.19]\n"
                  "          wrong at [1] (the key: [0.235004, 0.196612])\n");
    free(r.out);
    unlink(scratch("one.txt"));
    r = run_tg("check %s %s --blank local --tol 1e-5", NET, answers);
    ck_assert_int_eq(r.status, 1);
    assert_has(r, "      local dv3/dv2 = [0.235, 0.1966]\n"
                  "          wrong at every element (the key: [0.235004, 0.196612])\n");
    free(r.out);
    unlink(key);
    unlink(answers);
}
END_TEST

START_TEST(bad_input_exits_2_with_a_message)
{
    const char *key = scratch("key.txt"), *answers = scratch("answers.txt");
    tu_output r = run_tg("quiz %s --answers %s", CIRCUIT, key);
    free(r.out);
    static const struct {
        const char *file, *message;
    } files[] = {
        {"local df/dq = 3\n", "line 1 of "},
        {"local df/dq = 3\n", ": 'local df/dq' is no blank of this sweep; the blanks are: "
                              "local df/dv1, local df/dz, upstream df/dv1"},
        {"\nlocal df/dv1 = [3,\n", "tg: error at column 19 of line 2 of "},
        {"local df/dv1 3\n", "expected KEY = VALUE"},
        {"local df/dv1 = 3\nlocal df/dv1 = 4\n", "'local df/dv1' is answered already on line 1"},
        {"local df/dv1 = 3 4\n", "unexpected text after the value"},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        write_text(answers, files[i].file);
        r = run_tg("check %s %s", CIRCUIT, answers);
        ck_assert_msg(r.status == 2, "%s: status %d", files[i].file, r.status);
        assert_has(r, files[i].message);
        free(r.out);
    }
    static const struct {
        const char *args, *message;
    } commands[] = {
        {"check " CIRCUIT " /nonexistent/answers",
         "cannot read the answers '/nonexistent/answers'"},
        {"check " CIRCUIT, "tg check: missing ANSWERS"},
        {"check " CIRCUIT " /tmp", "cannot read the answers '/tmp': Is a directory"},
        {"check " CIRCUIT " KEY --tol 0", "--tol must be a relative tolerance between 0 and 1"},
        {"check " CIRCUIT " KEY --blank some",
         "--blank must be local, upstream or all, not 'some'"},
        {"check " CIRCUIT " KEY --blank local", "'upstream df/dv1' is given on this --blank's "
                                                 "sheet, not a blank"},
        {"check 'x+' x=1 KEY", "tg: error at column 3"},
        {"quiz " CIRCUIT " --format markdown", "--format must be text, latex or html, not "
                                               "'markdown'"},
        {"quiz " CIRCUIT " --blank none", "--blank must be local, upstream or all"},
        {"quiz " CIRCUIT " --answers /nonexistent/key",
         "--answers: cannot write '/nonexistent/key'"},
        {"quiz 'x' 'x=[1,2]'", "gradients need a single number"},
        {"quiz " CIRCUIT " --tol 1e-3", "tg quiz: unknown option '--tol'"},
    };
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        char args[512];
        const char *at = strstr(commands[i].args, "KEY");
        snprintf(args, sizeof args, "%.*s%s%s", at ? (int)(at - commands[i].args) : 512,
                 commands[i].args, at ? key : "", at ? at + 3 : "");
        r = run_tg("%s", args);
        ck_assert_msg(r.status == 2, "%s: status %d\n%s", args, r.status, r.out);
        assert_has(r, commands[i].message);
        free(r.out);
    }
    unlink(key);
    unlink(answers);
}
END_TEST

/* The LaTeX worksheet is a document pdflatex compiles, with one box per
 * blank; without --answers the key follows on a page of its own. A
 * missing pdflatex fails the test (tools/bootstrap.sh installs it). */
START_TEST(the_latex_worksheet_compiles)
{
    char dir[256], tex[300];
    snprintf(dir, sizeof dir, "/tmp/tg-quiz-%ld-latex", (long)getpid());
    snprintf(tex, sizeof tex, "%s/sheet.tex", dir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    tu_output r = tu_run_shell(cmd);
    ck_assert_int_eq(r.status, 0);
    free(r.out);
    r = run_tg("quiz %s --format latex > %s", NET, tex);
    ck_assert_int_eq(r.status, 0);
    free(r.out);
    char *text = read_text(tex);
    int boxes = 0;
    for (const char *p = text; (p = strstr(p, "&= \\blank")); p++)
        boxes++;
    ck_assert_int_eq(boxes, 10);
    ck_assert_ptr_nonnull(strstr(text, "\\section*{Answer key}"));
    ck_assert_ptr_nonnull(strstr(text, "local dv3/dv2 = [0.2350037122, 0.1966119332]"));
    free(text);
    snprintf(cmd, sizeof cmd, "cd %s && pdflatex -interaction=nonstopmode -halt-on-error sheet.tex "
             "2>&1", dir);
    r = tu_run_shell(cmd);
    ck_assert_msg(r.status == 0, "pdflatex failed (is it installed?):\n%s", r.out);
    assert_has(r, "Output written on sheet.pdf (");
    free(r.out);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    r = tu_run_shell(cmd);
    free(r.out);
}
END_TEST

/* The HTML worksheet is one page with nothing to fetch: a box per blank
 * in sweep order, the key embedded for its Check button (the browser test,
 * tests/browser/quiz_page.mjs, presses it). */
START_TEST(the_html_worksheet_holds_a_box_per_blank_and_the_key)
{
    tu_output r = run_tg("quiz %s --format html", NET);
    ck_assert_int_eq(r.status, 0);
    int boxes = 0;
    for (const char *p = r.out; (p = strstr(p, "<input class=\"blank\"")); p++)
        boxes++;
    ck_assert_int_eq(boxes, 10);
    /* the page is longer than Check's messages: assert without quoting it */
    static const char *const parts[] = {
        "      local dv3/dv2 = d/dv2 (sigmoid(v2)) = <input class=\"blank\" id=\"blank2\"",
        "{\"key\": \"local dv3/dv2\", \"node\": \"v3 = sigmoid(v2)\", \"kind\": \"local\", "
        "\"value\": [0.23500371220159449, 0.19661193324148185]}",
        "{\"key\": \"gradient dy/dx\", \"node\": \"the variable x\", \"kind\": \"gradient\", "
        "\"value\": [0.8248395119260401, 1.2564551573691163]},\n",
    };
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        ck_assert_msg(strstr(r.out, parts[i]) != NULL, "the page lacks %s", parts[i]);
    ck_assert_msg(strstr(r.out, "http") == NULL && strstr(r.out, "src=") == NULL,
                  "the page fetches something");
    ck_assert_ptr_null(strstr(r.out, "Answer key"));
    free(r.out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_quiz");
    TCase *tc = tu_tcase("cli_quiz");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, the_answer_key_scores_full_marks);
    tcase_add_test(tc, the_key_holds_the_sweeps_numbers);
    tcase_add_test(tc, a_wrong_local_derivative_is_pointed_at);
    tcase_add_test(tc, a_wrong_upstream_gradient_is_pointed_at);
    tcase_add_test(tc, blank_sets_spacing_and_tolerance);
    tcase_add_test(tc, bad_input_exits_2_with_a_message);
    tcase_add_test(tc, the_latex_worksheet_compiles);
    tcase_add_test(tc, the_html_worksheet_holds_a_box_per_blank_and_the_key);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
