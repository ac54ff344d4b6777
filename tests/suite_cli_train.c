/* suite_cli_train.c -- tg train and tg eval, run as programs: a CSV of three
 * Gaussian blobs written at test time is trained on, saved, evaluated back
 * to the same accuracy and plotted; a linear regression CSV trains to R^2
 * above 0.99 and a binary one with bce; bad input exits with 2 and one line;
 * Ctrl-C still saves; a terminal gets a progress bar and a pipe plain
 * lines; a small slice of Fashion-MNIST goes through the same path. */
#define _XOPEN_SOURCE 700 /* posix_openpt and friends, for the terminal test */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tapegrad/nn.h>

#include "testutil.h"

extern char **environ;

/* ---- fixtures ------------------------------------------------------------- */

static char dir[] = "/tmp/tg_train_XXXXXX";
static char blobs[64];

/* Three well separated Gaussian blobs in 3-d, 100 rows each, with a header
 * naming the label column "class"; drawn from a fixed seed. */
static void write_blobs(const char *path, int rows)
{
    static const double centers[3][3] = {{0, 0, 0}, {4, 4, 0}, {0, 4, 4}};
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    tg_rng rng;
    tg_rng_seed(&rng, 7);
    fputs("x,y,z,class\n", f);
    for (int i = 0; i < rows; i++) {
        const double *c = centers[i % 3];
        fprintf(f, "%.5f,%.5f,%.5f,%d\n", c[0] + 0.6 * tg_rng_normal(&rng),
                c[1] + 0.6 * tg_rng_normal(&rng), c[2] + 0.6 * tg_rng_normal(&rng), i % 3);
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* y = 3 x1 - 2 x2 + 1 + noise and z = x1 + x2 (noise of deviation 0.1,
 * x uniform in [-2, 2]), with a header, for regression; and the label
 * x1 + x2 > 0 for a binary classifier. */
static void write_lines(const char *path, int rows)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    tg_rng rng;
    tg_rng_seed(&rng, 11);
    fputs("x1,x2,y,z,positive\n", f);
    for (int i = 0; i < rows; i++) {
        double x1 = 4 * tg_rng_uniform(&rng) - 2, x2 = 4 * tg_rng_uniform(&rng) - 2;
        fprintf(f, "%.6f,%.6f,%.6f,%.6f,%d\n", x1, x2, 3 * x1 - 2 * x2 + 1 + 0.1 * tg_rng_normal(&rng),
                x1 + x2, x1 + x2 > 0);
    }
    ck_assert_int_eq(fclose(f), 0);
}

static char lines[64];

static void setup(void)
{
    strcpy(dir, "/tmp/tg_train_XXXXXX"); /* without fork, each test makes its own */
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(blobs, sizeof blobs, "%s/blobs.csv", dir);
    write_blobs(blobs, 300);
    snprintf(lines, sizeof lines, "%s/lines.csv", dir);
    write_lines(lines, 500);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir); /* our own mkdtemp directory only */
    ck_assert_int_eq(system(cmd), 0);
}

static char *path_in_dir(const char *name)
{
    static char paths[8][96];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", dir, name);
    return p;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, n;
    char buf[4096];
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        text = realloc(text, len + n + 1);
        ck_assert_ptr_nonnull(text);
        memcpy(text + len, buf, n);
        len += n;
    }
    fclose(f);
    if (!text)
        text = calloc(1, 1);
    text[len] = '\0';
    return text;
}

/* ---- running tg ----------------------------------------------------------- */

typedef struct {
    char *out, *err;
    int status; /* exit status, or -1 if tg was killed */
} run_result;

/* Runs tg with stdout on a pipe that is read here and stderr into a file
 * (so neither can block it). If interrupt_after is set, tg gets a SIGINT as
 * soon as its output contains that text. stderr_fd, if not -1, replaces the
 * file (for the terminal test, which reads it itself). */
/* How long after interrupt_after appears the signal is sent. */
static struct timespec interrupt_delay;

static run_result run_tg(const char *const *args, const char *interrupt_after, int stderr_fd)
{
    const char *err_path = path_in_dir("stderr.txt");
    int out_pipe[2];
    ck_assert_int_eq(pipe(out_pipe), 0);
    int err_fd = stderr_fd >= 0 ? stderr_fd : open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(err_fd, 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
    posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
    pid_t pid;
    int rc = posix_spawn(&pid, TG_BINARY, &fa, NULL, (char *const *)args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out_pipe[1]);
    if (stderr_fd < 0)
        close(err_fd);
    ck_assert_msg(rc == 0, "cannot run %s: %s", TG_BINARY, strerror(rc));
    run_result r = {calloc(1, 1), NULL, -1};
    size_t len = 0;
    char buf[4096];
    ssize_t n;
    bool signalled = false;
    while ((n = read(out_pipe[0], buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        ck_assert_int_gt(n, 0);
        r.out = realloc(r.out, len + (size_t)n + 1);
        memcpy(r.out + len, buf, (size_t)n);
        r.out[len += (size_t)n] = '\0';
        if (interrupt_after && !signalled && strstr(r.out, interrupt_after)) {
            nanosleep(&interrupt_delay, NULL);
            signalled = kill(pid, SIGINT) == 0;
        }
    }
    close(out_pipe[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = stderr_fd >= 0 ? calloc(1, 1) : read_file(err_path);
    return r;
}

#define TG(...) run_tg((const char *const[]){TG_BINARY, __VA_ARGS__, NULL}, NULL, -1)

static void free_result(run_result *r)
{
    free(r->out);
    free(r->err);
}

/* The "(correct/total), mean loss L" that tg train and tg eval both end with. */
static const char *score_of(const char *out, const char *prefix)
{
    const char *line = strstr(out, prefix);
    ck_assert_msg(line != NULL, "no '%s' in:\n%s", prefix, out);
    return strchr(line, '(');
}

static bool same_line_from(const char *a, const char *b)
{
    size_t n = strcspn(a, "\n");
    return n == strcspn(b, "\n") && strncmp(a, b, n) == 0;
}

/* ---- training and evaluation ------------------------------------------------- */

static const char *blobs_spec(void)
{
    static char spec[96];
    snprintf(spec, sizeof spec, "csv:%s:label=class", blobs);
    return spec;
}

START_TEST(csv_checkpoint_evaluates_to_the_printed_accuracy)
{
    const char *model = path_in_dir("blobs.safetensors");
    run_result t = TG("train", "--data", blobs_spec(), "--layers", "3,16,3", "--epochs", "15",
                      "--opt", "momentum", "--save", model);
    ck_assert_msg(t.status == 0, "%s%s", t.out, t.err);
    ck_assert_ptr_nonnull(strstr(t.out, "240 training and 60 test samples"));
    run_result e = TG("eval", "--model", model, "--data", blobs_spec(), "--val", "0.2");
    ck_assert_msg(e.status == 0, "%s%s", e.out, e.err);
    const char *trained = score_of(t.out, "test accuracy "), *measured = score_of(e.out, "accuracy ");
    ck_assert_msg(same_line_from(trained, measured), "train: %s\neval: %s", trained, measured);
    int correct = atoi(trained + 1);
    ck_assert_int_ge(correct, 55); /* the blobs are far apart: at least 55 of 60 */
    ck_assert_ptr_nonnull(strstr(e.out, "confusion matrix"));
    ck_assert_ptr_nonnull(strstr(e.out, "3-16-3 relu f32"));
    free_result(&t);
    free_result(&e);
    /* the whole file, its label column given by index */
    char by_index[96];
    snprintf(by_index, sizeof by_index, "csv:%s:label=3:header", blobs);
    e = TG("eval", "--model", model, "--data", by_index);
    ck_assert_msg(e.status == 0, "%s", e.err);
    ck_assert_ptr_nonnull(strstr(e.out, "/300)"));
    free_result(&e);
}
END_TEST

/* The spec of the lines file: with suffix ":target=y", ":label=positive". */
static const char *lines_spec(const char *suffix)
{
    static char spec[2][128];
    static int next;
    char *p = spec[next++ % 2];
    snprintf(p, sizeof spec[0], "csv:%s%s", lines, suffix);
    return p;
}

/* The number after prefix in out. */
static double number_after(const char *out, const char *prefix)
{
    const char *at = strstr(out, prefix);
    ck_assert_msg(at != NULL, "no '%s' in:\n%s", prefix, out);
    return atof(at + strlen(prefix));
}

/* Columns one to two features, a linear output: what the notes' "Reg ->
 * linear" row says, reported with MSE and R^2, by tg train and tg eval
 * alike on the held-out part. */
START_TEST(regression_from_csv_reaches_r2_and_evaluates_alike)
{
    const char *model = path_in_dir("lines.safetensors");
    run_result t = TG("train", "--data", lines_spec(":target=y:header"), "--layers", "4,1",
                      "--epochs", "30", "--opt", "sgd", "--lr", "0.05", "--save", model);
    ck_assert_msg(t.status == 0, "%s%s", t.out, t.err);
    ck_assert_ptr_nonnull(strstr(t.out, "train mse "));
    const char *summary = strstr(t.out, "\ntest mse ");
    ck_assert_msg(summary != NULL, "%s", t.out);
    double r2 = number_after(summary, "R2 ");
    ck_assert_msg(r2 > 0.99, "R2 %g\n%s", r2, t.out);
    ck_assert_double_lt(number_after(summary, "test mse "), 0.05); /* the noise's 0.01, nearly */
    /* "positive" and z are features here: 4 of them */
    run_result e = TG("eval", "--model", model, "--data", lines_spec(":target=y:header"), "--val",
                      "0.2");
    ck_assert_msg(e.status == 0, "%s%s", e.out, e.err);
    ck_assert_double_eq_tol(number_after(e.out, "R2 "), r2, 1e-6);
    ck_assert_ptr_null(strstr(e.out, "confusion"));
    free_result(&e);
    /* two targets, by name */
    run_result two = TG("train", "--data", lines_spec(":target=y,z"), "--layers", "3,8,2",
                        "--epochs", "30", "--lr", "0.02", "--task", "regression", "--loss",
                        "huber");
    ck_assert_msg(two.status == 0, "%s%s", two.out, two.err);
    ck_assert_ptr_nonnull(strstr(two.out, "\ntest mse "));
    ck_assert_msg(number_after(strstr(two.out, "\ntest mse "), "R2 ") > 0.95, "%s", two.out);
    free_result(&two);
    free_result(&t);
}
END_TEST

/* One logit against labels 0 and 1, through a sigmoid (bce) or fused
 * (bce_logits); eval prints the 2 x 2 confusion matrix. */
START_TEST(binary_classifier_with_bce)
{
    const char *losses[] = {"bce", "bce_logits"};
    for (int k = 0; k < 2; k++) {
        const char *model = path_in_dir("binary.safetensors");
        run_result t = TG("train", "--data", lines_spec(":label=positive"), "--layers", "4,8,1",
                          "--epochs", "20", "--lr", "0.05", "--loss", losses[k], "--save", model);
        ck_assert_msg(t.status == 0, "%s%s", t.out, t.err);
        ck_assert_ptr_nonnull(strstr(t.out, "\ntest accuracy "));
        ck_assert_msg(number_after(strstr(t.out, "\ntest accuracy "), "test accuracy ") > 95, "%s",
                      t.out);
        run_result e = TG("eval", "--model", model, "--data", lines_spec(":label=positive"),
                          "--val", "0.2");
        ck_assert_msg(e.status == 0, "%s%s", e.out, e.err);
        const char *trained = score_of(t.out, "test accuracy "), *measured = score_of(e.out, "accuracy ");
        ck_assert_msg(same_line_from(trained, measured), "train: %s\neval: %s", trained, measured);
        ck_assert_ptr_nonnull(strstr(e.out, "confusion matrix"));
        ck_assert_ptr_nonnull(strstr(e.out, "\n1 "));
        ck_assert_ptr_null(strstr(e.out, "\n2 "));
        free_result(&t);
        free_result(&e);
    }
}
END_TEST

START_TEST(plot_is_an_svg_with_a_curve_per_series)
{
    const char *plot = path_in_dir("curves.svg");
    run_result t = TG("train", "--data", blobs_spec(), "--layers", "3,8,3", "--epochs", "4",
                      "--act", "tanh", "--opt", "sgd", "--plot", plot);
    ck_assert_msg(t.status == 0, "%s", t.err);
    char *svg = read_file(plot);
    ck_assert_msg(strncmp(svg, "<?xml", 5) == 0 || strncmp(svg, "<svg", 4) == 0, "%.80s", svg);
    ck_assert_ptr_nonnull(strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    int curves = 0;
    for (const char *p = svg; (p = strstr(p, "<polyline")); p++)
        curves++;
    ck_assert_int_eq(curves, 4); /* training and test loss, training and test accuracy */
    const char *last = strstr(svg, "</svg>");
    ck_assert_ptr_nonnull(last);
    ck_assert_str_eq(last, "</svg>\n");
    ck_assert_ptr_nonnull(strstr(svg, ">epoch</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">accuracy (%)</text>"));
    ck_assert_ptr_nonnull(strstr(svg, ">test</text>"));
    ck_assert_ptr_null(strstr(svg, "nan"));
    free(svg);
    free_result(&t);
}
END_TEST

START_TEST(plain_lines_per_epoch_when_not_a_terminal)
{
    run_result t = TG("train", "--data", blobs_spec(), "--layers", "3,3", "--epochs", "3",
                      "--batch", "32", "--lr", "0.01");
    ck_assert_int_eq(t.status, 0);
    for (int epoch = 1; epoch <= 3; epoch++) {
        char line[32];
        snprintf(line, sizeof line, "\nepoch %d/3  train loss ", epoch);
        ck_assert_msg(strstr(t.out, line) != NULL, "no '%s' in\n%s", line + 1, t.out);
    }
    ck_assert_ptr_null(strchr(t.out, '\r'));
    ck_assert_str_eq(t.err, "");
    free_result(&t);
}
END_TEST

/* A terminal on stderr gets the progress bar, redrawn in place. */
START_TEST(progress_bar_on_a_terminal)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(master, 0);
    ck_assert_int_eq(grantpt(master), 0);
    ck_assert_int_eq(unlockpt(master), 0);
    int terminal = open(ptsname(master), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(terminal, 0);
    run_result t = run_tg((const char *const[]){TG_BINARY, "train", "--data", blobs_spec(),
                                                "--layers", "3,3", "--epochs", "2", NULL},
                          NULL, terminal);
    close(terminal);
    char screen[65536];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof screen - 1 && (n = read(master, screen + len, sizeof screen - 1 - len)) > 0)
        len += (size_t)n; /* ends with EIO once the terminal's last user is gone */
    screen[len] = '\0';
    close(master);
    ck_assert_int_eq(t.status, 0);
    ck_assert_ptr_nonnull(strstr(screen, "\r2/2 ["));
    ck_assert_ptr_nonnull(strstr(screen, "] 100% loss "));
    ck_assert_ptr_nonnull(strstr(screen, " samples/s ETA "));
    ck_assert_ptr_nonnull(strstr(t.out, "epoch 2/2 "));
    free_result(&t);
}
END_TEST

/* Ctrl-C after the first epoch: the run stops, says so, exits with 130 and
 * still writes a checkpoint that tg eval reads. */
START_TEST(interrupt_stops_and_still_saves)
{
    const char *model = path_in_dir("interrupted.safetensors"), *plot = path_in_dir("i.svg");
    run_result t = run_tg((const char *const[]){TG_BINARY, "train", "--data", blobs_spec(),
                                                "--layers", "3,8,3", "--epochs", "1000000",
                                                "--batch", "1", "--save", model, "--plot", plot,
                                                NULL},
                          "\nepoch 1/", -1);
    ck_assert_msg(t.status == 130, "status %d\n%s%s", t.status, t.out, t.err);
    ck_assert_ptr_nonnull(strstr(t.err, "interrupted by Ctrl-C"));
    /* the signal lands within an epoch or between two; either way it stops */
    ck_assert_ptr_nonnull(strstr(t.out, "saved "));
    run_result e = TG("eval", "--model", model, "--data", blobs_spec(), "--val", "0.2");
    ck_assert_msg(e.status == 0, "%s", e.err);
    ck_assert_msg(same_line_from(score_of(t.out, "test accuracy "), score_of(e.out, "accuracy ")),
                  "%s\n%s", t.out, e.out);
    struct stat st;
    ck_assert_int_eq(stat(plot, &st), 0);
    free_result(&t);
    free_result(&e);
}
END_TEST

/* ---- bad input -------------------------------------------------------------- */

/* tg must exit with 2 and print exactly one line, "tg: error: ..." naming
 * the fault. */
static void assert_usage_error(const char *const *args, const char *expected)
{
    run_result r = run_tg(args, NULL, -1);
    ck_assert_msg(r.status == 2, "%s %s: status %d\n%s", args[1], args[2], r.status, r.err);
    ck_assert_msg(strncmp(r.err, "tg: error: ", 11) == 0 && strchr(r.err, '\n') &&
                      strchr(r.err, '\n')[1] == '\0',
                  "not one error line: %s", r.err);
    ck_assert_msg(strstr(r.err, expected) != NULL, "'%s' not in: %s", expected, r.err);
    free_result(&r);
}

#define ASSERT_USAGE_ERROR(expected, ...) \
    assert_usage_error((const char *const[]){TG_BINARY, __VA_ARGS__, NULL}, expected)

START_TEST(bad_flags_and_data_exit_with_two)
{
    const char *d = blobs_spec();
    ASSERT_USAGE_ERROR("unknown option '--learning-rate'", "train", "--learning-rate", "1");
    ASSERT_USAGE_ERROR("--data and one of --layers and --model are required", "train", "--data", d);
    ASSERT_USAGE_ERROR("needs a value", "train", "--data", d, "--layers");
    ASSERT_USAGE_ERROR("--layers wants", "train", "--data", d, "--layers", "3,,3");
    ASSERT_USAGE_ERROR("--layers wants", "train", "--data", d, "--layers", "3");
    ASSERT_USAGE_ERROR("--layers wants", "train", "--data", d, "--layers", "3,-2,3");
    ASSERT_USAGE_ERROR("the data has 3 features but the model's first layer takes 4", "train",
                       "--data", d, "--layers", "4,3");
    ASSERT_USAGE_ERROR("the data has 3 classes (labels 0..2) but the model's last layer has 2",
                       "train", "--data", d, "--layers", "3,2");
    ASSERT_USAGE_ERROR("--epochs wants a whole number", "train", "--data", d, "--layers", "3,3",
                       "--epochs", "0");
    ASSERT_USAGE_ERROR("--lr wants a positive number", "train", "--data", d, "--layers", "3,3",
                       "--lr", "fast");
    ASSERT_USAGE_ERROR("--opt wants sgd, momentum or adam", "train", "--data", d, "--layers",
                       "3,3", "--opt", "rmsprop");
    ASSERT_USAGE_ERROR("--loss mse is a regression loss and the task is classification", "train",
                       "--data", d, "--layers", "3,3", "--loss", "mse");
    ASSERT_USAGE_ERROR("unknown loss 'mae'", "train", "--data", d, "--layers", "3,3", "--loss",
                       "mae");
    ASSERT_USAGE_ERROR("--task wants classification or regression", "train", "--data", d,
                       "--layers", "3,3", "--task", "ranking");
    ASSERT_USAGE_ERROR("--task regression needs real-valued targets", "train", "--data", d,
                       "--layers", "3,3", "--task", "regression");
    const char *reg = lines_spec(":target=y:header");
    ASSERT_USAGE_ERROR("--loss ce is a classifier's loss and the task is regression", "train",
                       "--data", reg, "--layers", "4,1", "--loss", "ce");
    ASSERT_USAGE_ERROR("--task classification reads class labels", "train", "--data", reg,
                       "--layers", "4,1", "--task", "classification");
    ASSERT_USAGE_ERROR("the data has 1 targets but the model's last layer has 2 outputs", "train",
                       "--data", reg, "--layers", "4,2");
    ASSERT_USAGE_ERROR("--loss bce trains a binary classifier (labels 0 and 1) and the data has 3 "
                       "classes", "train", "--data", d, "--layers", "3,1", "--loss", "bce");
    ASSERT_USAGE_ERROR("--loss bce_logits wants one output", "train", "--data",
                       lines_spec(":label=positive"), "--layers", "4,2", "--loss", "bce_logits");
    ASSERT_USAGE_ERROR("--data wants fashion-mnist or csv:PATH", "train", "--data",
                       lines_spec(":label=positive:target=y"), "--layers", "3,1");
    ASSERT_USAGE_ERROR("no column named \"w\"", "train", "--data", lines_spec(":target=w"),
                       "--layers", "4,1");
    ASSERT_USAGE_ERROR("unknown activation \"swish\"", "train", "--data", d, "--layers", "3,3",
                       "--act", "swish");
    ASSERT_USAGE_ERROR("cannot train a hidden layer", "train", "--data", d, "--layers", "3,3",
                       "--act", "step");
    ASSERT_USAGE_ERROR("--data wants fashion-mnist or csv:PATH", "train", "--data", "iris",
                       "--layers", "3,3");
    ASSERT_USAGE_ERROR("cannot open", "train", "--data", "csv:/nonexistent/x.csv", "--layers",
                       "3,3");
    char no_such_column[96];
    snprintf(no_such_column, sizeof no_such_column, "csv:%s:label=colour", blobs);
    ASSERT_USAGE_ERROR("colour", "train", "--data", no_such_column, "--layers", "3,3");
    ASSERT_USAGE_ERROR("--save /nonexistent/m.st: cannot write", "train", "--data", d,
                       "--layers", "3,3", "--save", "/nonexistent/m.st");
    ASSERT_USAGE_ERROR("--val splits CSV data", "train", "--data", "fashion-mnist", "--layers",
                       "784,10", "--val", "0.1");
    ASSERT_USAGE_ERROR("unexpected argument 'model.st'", "eval", "model.st");
    ASSERT_USAGE_ERROR("--model and --data are required", "eval", "--data", d);
    ASSERT_USAGE_ERROR("cannot open", "eval", "--model", "/nonexistent/m.st", "--data", d);
}
END_TEST

/* A file that is not a checkpoint, a truncated one, one without tg train's
 * metadata, and one for other data: each is one error line from the model
 * or the data check. */
START_TEST(corrupt_or_foreign_checkpoints_exit_with_two)
{
    const char *model = path_in_dir("m.safetensors");
    run_result t = TG("train", "--data", blobs_spec(), "--layers", "3,3", "--epochs", "1",
                      "--save", model);
    ck_assert_int_eq(t.status, 0);
    free_result(&t);
    ASSERT_USAGE_ERROR("tg_checkpoint_open: ", "eval", "--model", blobs, "--data",
                       blobs_spec());
    ck_assert_int_eq(truncate(model, 100), 0);
    ASSERT_USAGE_ERROR("tg_checkpoint_open: ", "eval", "--model", model, "--data",
                       blobs_spec());

    tg_model *m = tg_mlp_new(TG_F32, 2, (int64_t[]){3, 3}, TG_ACT_RELU, TG_ACT_LINEAR, 1);
    tu_assert_ok(m);
    ck_assert_int_eq(tg_checkpoint_save(tg_model_params(m), model, NULL), 0);
    ASSERT_USAGE_ERROR("was not written by tg train", "eval", "--model", model, "--data",
                       blobs_spec());
    const char *const wrong_sizes[] = {"layers", "3,1,3", "activation", "relu", "dtype", "f32",
                                       "normalization", "global", "mean", "0", "std", "1",
                                       "data", "x", NULL};
    ck_assert_int_eq(tg_checkpoint_save(tg_model_params(m), model, wrong_sizes), 0);
    ASSERT_USAGE_ERROR("tg_checkpoint_apply: ", "eval", "--model", model, "--data", blobs_spec());
    const char *const bad_std[] = {"layers", "3,3", "activation", "relu", "dtype", "f32",
                                   "normalization", "global", "mean", "0", "std", "-1",
                                   "data", "x", NULL};
    ck_assert_int_eq(tg_checkpoint_save(tg_model_params(m), model, bad_std), 0);
    ASSERT_USAGE_ERROR("metadata \"std\" has a bad value '-1'", "eval", "--model", model,
                       "--data", blobs_spec());
    /* a small file whose metadata claims a huge model: refused before any
     * of it is built */
    const char *const huge[] = {"layers", "3,100000,100000,3", "activation", "relu", "dtype",
                                "f32", "normalization", "global", "mean", "0", "std", "1",
                                "data", "x", NULL};
    ck_assert_int_eq(tg_checkpoint_save(tg_model_params(m), model, huge), 0);
    ASSERT_USAGE_ERROR("its metadata describes 10000800003 parameters, more than its", "eval",
                       "--model", model, "--data", blobs_spec());
    tg_model_free(m);
}
END_TEST

/* ---- Fashion-MNIST, a small slice ------------------------------------------ */

START_TEST(fashion_mnist_slice_trains_and_evaluates)
{
    const char *model = path_in_dir("fashion.safetensors");
    run_result t = TG("train", "--data", "fashion-mnist", "--layers", "784,32,10", "--epochs",
                      "2", "--limit", "2000", "--save", model);
    ck_assert_msg(t.status == 0, "%s", t.err);
    ck_assert_ptr_nonnull(strstr(t.out, "2000 training and 2000 test samples"));
    run_result e = TG("eval", "--model", model, "--data", "fashion-mnist", "--limit", "2000");
    ck_assert_msg(e.status == 0, "%s", e.err);
    const char *trained = score_of(t.out, "test accuracy "), *measured = score_of(e.out, "accuracy ");
    ck_assert_msg(same_line_from(trained, measured), "train: %s\neval: %s", trained, measured);
    ck_assert_int_ge(atoi(trained + 1), 1400); /* over 70% after two short epochs */
    ck_assert_ptr_nonnull(strstr(e.out, "9 Ankle boot"));
    free_result(&t);
    free_result(&e);
}
END_TEST

/* A --model description: a small CNN over the images' [1, 28, 28] shape,
 * saved and rebuilt by tg eval from the description in the metadata. */
START_TEST(described_cnn_trains_and_evaluates)
{
    const char *model = path_in_dir("cnn.safetensors"), *text = path_in_dir("cnn.txt");
    FILE *f = fopen(text, "w");
    ck_assert_ptr_nonnull(f);
    fputs("# a file may hold the description, with comments\n"
          "conv2d(4, 3, pad=1) relu maxpool(2)\nconv2d(8,3,stride=2) silu dropout(0.25) "
          "flatten dense(10)\n", f);
    ck_assert_int_eq(fclose(f), 0);
    char at_file[128];
    snprintf(at_file, sizeof at_file, "@%s", text);
    run_result t = TG("train", "--data", "fashion-mnist", "--model", at_file, "--epochs", "2",
                      "--limit", "1000", "--save", model);
    ck_assert_msg(t.status == 0, "%s", t.err);
    ck_assert_ptr_nonnull(strstr(t.out, "conv2d(4,3,pad=1) relu maxpool(2) conv2d(8,3,stride=2) "
                                        "silu dropout(0.25) flatten dense(10) (f32) on "
                                        "fashion-mnist"));
    run_result e = TG("eval", "--model", model, "--data", "fashion-mnist", "--limit", "1000");
    ck_assert_msg(e.status == 0, "%s", e.err);
    const char *trained = score_of(t.out, "test accuracy "), *measured = score_of(e.out, "accuracy ");
    ck_assert_msg(same_line_from(trained, measured), "train: %s\neval: %s", trained, measured);
    ck_assert_int_ge(atoi(trained + 1), 300); /* two short epochs: 3 times chance */
    free_result(&t);
    free_result(&e);
}
END_TEST

/* A description that does not fit is refused before training, the caret
 * under the layer at fault. */
static void assert_model_refused(const char *description, const char *expected, int column)
{
    run_result r = TG("train", "--data", blobs_spec(), "--model", description);
    ck_assert_msg(r.status == 2, "%s: status %d\n%s", description, r.status, r.err);
    ck_assert_msg(strstr(r.err, expected) != NULL, "'%s' not in: %s", expected, r.err);
    char caret[128];
    snprintf(caret, sizeof caret, "\n  %*s^\n", column, "");
    if (column >= 0) /* else a fault of the whole model: no caret */
        ck_assert_msg(strstr(r.err, caret) != NULL, "no caret at column %d in:\n%s", column,
                      r.err);
    free_result(&r);
}

START_TEST(descriptions_that_do_not_fit_name_the_layer)
{
    assert_model_refused("dense(8) relu conv2d(4,3) dense(3)", "layer 2 (conv2d, 4 channels, "
                         "kernel 3x3) does not fit the shape [8]", 14);
    assert_model_refused("dense(8) relu dense(3) pool(2)", "unknown layer 'pool'", 23);
    assert_model_refused("dense(8) dropout(1) dense(3)", "dropout's p is from 0 to 1", 9);
    assert_model_refused("dense(8) relu maxpool(2) dense(3)", "layer 2 (max_pool2d) does not "
                         "fit the shape [8]", 14);
    assert_model_refused("dense(8, 3)", "too many numbers for this layer", 9);
    assert_model_refused("conv2d(4)", "this layer needs out_channels and a kernel size", 0);
    assert_model_refused("dense(8) relu dense(3", "expected ',' or ')'", 21);
    assert_model_refused("dense(8,stride=2)", "this layer takes no such key (it takes: bias)", 8);
    assert_model_refused("input(1,3,1) conv2d(2,1) dense(3)",
                         "layer 1 (dense) gets samples of shape [2,3,1]; put flatten before it",
                         25);
    assert_model_refused("input(2,2) dense(3)", "the data has 3 features but the model's "
                         "input(...) takes 4", -1);
    run_result r = TG("train", "--data", blobs_spec(), "--model", "dense(3)", "--layers", "3,3");
    ck_assert_int_eq(r.status, 2);
    free_result(&r);
}
END_TEST

/* ---- resuming ----------------------------------------------------------------- */

/* Whether the two files hold the same bytes. */
static bool same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    ck_assert_msg(fa && fb, "cannot open %s or %s", a, b);
    int ca, cb;
    do {
        ca = getc(fa);
        cb = getc(fb);
    } while (ca == cb && ca != EOF);
    fclose(fa);
    fclose(fb);
    return ca == cb;
}

/* 3 epochs, then 2 more from the state file, save exactly what 5 epochs in
 * one run save: weights, batch norm's statistics, Adam's moments, dropout's
 * generator and the shuffles all continue. The resumed run's checkpoint is
 * byte for byte the uninterrupted one's (its metadata holds the test
 * accuracy, which is the same too). */
START_TEST(resume_after_three_epochs_equals_five_in_one_run)
{
    char full[128], state[128], resumed[128]; /* path_in_dir's slots are reused by run_tg */
    snprintf(full, sizeof full, "%s", path_in_dir("full.safetensors"));
    snprintf(state, sizeof state, "%s", path_in_dir("state.safetensors"));
    snprintf(resumed, sizeof resumed, "%s", path_in_dir("resumed.safetensors"));
    const char *model = "conv2d(4,3,pad=1) batchnorm relu maxpool(2) flatten dropout(0.2) "
                        "dense(16) relu dense(10)";
    const char *opts[][2] = {{"--opt", "adam"}, {"--opt", "momentum"}};
    for (int k = 0; k < 2; k++) {
        run_result a = TG("train", "--data", "fashion-mnist", "--limit", "300", "--epochs", "5",
                          "--model", model, opts[k][0], opts[k][1], "--save", full);
        ck_assert_msg(a.status == 0, "%s", a.err);
        run_result b = TG("train", "--data", "fashion-mnist", "--limit", "300", "--epochs", "5",
                          "--model", model, opts[k][0], opts[k][1], "--stop-after", "3",
                          "--state", state);
        ck_assert_msg(b.status == 0 && strstr(b.out, "epoch 3/5") && !strstr(b.out, "epoch 4/5"),
                      "%s%s", b.out, b.err);
        run_result c = TG("train", "--resume", state, "--save", resumed);
        ck_assert_msg(c.status == 0, "%s", c.err);
        ck_assert_msg(strstr(c.out, "resumed from ") && strstr(c.out, "at epoch 4, batch 0") &&
                          strstr(c.out, "epoch 5/5") && !strstr(c.out, "epoch 3/5"),
                      "%s", c.out);
        ck_assert_msg(same_bytes(full, resumed), "%s: resumed differs from 5 epochs\n%s\n%s",
                      opts[k][1], a.out, c.out);
        /* tg eval reads a state file too */
        run_result e = TG("eval", "--model", state, "--data", "fashion-mnist", "--limit", "300");
        ck_assert_msg(e.status == 0 && same_line_from(score_of(e.out, "accuracy "),
                                                      score_of(c.out, "test accuracy ")),
                      "%s%s", e.out, e.err);
        free_result(&a);
        free_result(&b);
        free_result(&c);
        free_result(&e);
    }
}
END_TEST

/* Ctrl-C inside an epoch: the state file holds the batch it stopped at,
 * and the resumed run ends where an uninterrupted one does, bit for bit.
 * The signal goes 0.1 s after epoch 1's line, inside epoch 2 (3000
 * single-sample steps take about 0.3 s here); wherever it lands, the
 * result must be the same. */
START_TEST(resume_after_ctrl_c_mid_epoch_equals_one_run)
{
    char full[128], state[128], resumed[128]; /* path_in_dir's slots are reused by run_tg */
    snprintf(full, sizeof full, "%s", path_in_dir("full.safetensors"));
    snprintf(state, sizeof state, "%s", path_in_dir("state.safetensors"));
    snprintf(resumed, sizeof resumed, "%s", path_in_dir("resumed.safetensors"));
#define RUN_ARGS "train", "--data", "fashion-mnist", "--limit", "3000", "--layers", "784,16,10", \
                 "--epochs", "3", "--batch", "1"
    run_result a = TG(RUN_ARGS, "--save", full);
    ck_assert_msg(a.status == 0, "%s", a.err);
    interrupt_delay.tv_nsec = 100000000;
    run_result b = run_tg((const char *const[]){TG_BINARY, RUN_ARGS, "--state", state, NULL},
                          "\nepoch 1/", -1);
    interrupt_delay.tv_nsec = 0;
#undef RUN_ARGS
    ck_assert_msg(b.status == 130, "status %d\n%s%s", b.status, b.out, b.err);
    run_result c = TG("train", "--resume", state, "--save", resumed);
    ck_assert_msg(c.status == 0, "%s", c.err);
    if (!strstr(b.out, "(interrupted after")) /* landed between epochs: still a valid run */
        fprintf(stderr, "resume_after_ctrl_c_mid_epoch: the signal landed between epochs\n");
    ck_assert_msg(same_bytes(full, resumed), "resumed differs\n%s\n%s\n%s", a.out, b.out, c.out);
    free_result(&a);
    free_result(&b);
    free_result(&c);
}
END_TEST

START_TEST(resume_refuses_what_it_cannot_continue)
{
    char state[128], plain[128]; /* path_in_dir's slots are reused by run_tg */
    snprintf(state, sizeof state, "%s", path_in_dir("state.safetensors"));
    snprintf(plain, sizeof plain, "%s", path_in_dir("plain.safetensors"));
    run_result a = TG("train", "--data", blobs_spec(), "--layers", "3,8,3", "--epochs", "2",
                      "--state", state, "--save", plain);
    ck_assert_msg(a.status == 0, "%s", a.err);
    ASSERT_USAGE_ERROR("the run has done all its 2 epochs", "train", "--resume", state);
    ASSERT_USAGE_ERROR("takes the run's options from the file; only --save, --plot, --state and "
                       "--stop-after may be given", "train", "--resume", state, "--epochs", "9");
    ASSERT_USAGE_ERROR("no metadata key \"train.args\"", "train", "--resume", plain);
    ASSERT_USAGE_ERROR("--stop-after", "train", "--data", blobs_spec(), "--layers", "3,3",
                       "--stop-after", "0");
    free_result(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_train");
    TCase *train = tu_tcase("train");
    tcase_add_checked_fixture(train, setup, teardown);
    tcase_add_test(train, csv_checkpoint_evaluates_to_the_printed_accuracy);
    tcase_add_test(train, regression_from_csv_reaches_r2_and_evaluates_alike);
    tcase_add_test(train, binary_classifier_with_bce);
    tcase_add_test(train, plot_is_an_svg_with_a_curve_per_series);
    tcase_add_test(train, plain_lines_per_epoch_when_not_a_terminal);
    tcase_add_test(train, progress_bar_on_a_terminal);
    tcase_add_test(train, interrupt_stops_and_still_saves);
    tcase_add_test(train, fashion_mnist_slice_trains_and_evaluates);
    tcase_add_test(train, described_cnn_trains_and_evaluates);
    tcase_add_test(train, resume_after_three_epochs_equals_five_in_one_run);
    tcase_add_test(train, resume_after_ctrl_c_mid_epoch_equals_one_run);
    suite_add_tcase(s, train);
    TCase *errors = tu_tcase("errors");
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(errors, bad_flags_and_data_exit_with_two);
    tcase_add_test(errors, corrupt_or_foreign_checkpoints_exit_with_two);
    tcase_add_test(errors, descriptions_that_do_not_fit_name_the_layer);
    tcase_add_test(errors, resume_refuses_what_it_cannot_continue);
    suite_add_tcase(s, errors);
    return tu_run(s);
}
