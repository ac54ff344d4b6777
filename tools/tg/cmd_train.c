/*
 * cmd_train.c -- `tg train`: an MLP trained on Fashion-MNIST or a CSV file,
 * a classifier (cross-entropy or binary cross-entropy) or a regressor (MSE,
 * SSE, L2 or Huber on real-valued targets), with mini-batches
 * (tg_train_epoch_loss), the learning rate
 * following a cosine from --lr down to 0 over the epochs. After every epoch
 * the test set is evaluated; at the end the checkpoint and the plot are
 * written. Ctrl-C ends the epoch after the current batch and the run still
 * evaluates, saves and plots what it learned.
 */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train_dist.h"
#include "trainer.h"

#define PROGRESS_INTERVAL 0.1 /* seconds between redraws of the progress bar */
#define BAR_WIDTH 16 /* so that the whole line fits 80 columns */

typedef struct {
    data_request data;
    architecture arch;
    const char *layers, *model, *act, *loss_name, *task, *opt, *dtype;
    tg_loss_kind loss;
    double lr; /* 0: the optimizer's default */
    int64_t batch, epochs;
    /* this invocation's own: where to write, and the state to resume */
    const char *save, *plot, *state, *resume;
    int64_t stop_after; /* end after this epoch; 0: after the last */
    /* the run's options: argv's, or the --resume file's (then owned) */
    int run_argc;
    char **run_argv;
    bool owns_run_argv;
    char *encoded_args; /* run_argv with --model's text, for --state */
} train_options;

/* --task (by default what the data holds: a CSV spec with :target= is a
 * regression) and --loss (by default ce or mse), checked against each other
 * and against the data. */
static bool parse_objective(train_options *o, diag *d)
{
    bool targets = names_targets(o->data.spec);
    const char *task = o->task ? o->task : targets ? "regression" : "classification";
    bool regression = strcmp(task, "regression") == 0;
    const char *name = o->loss_name ? o->loss_name : regression ? "mse" : "ce";
    if (!regression && strcmp(task, "classification") != 0)
        diag_plain(d, "tg train: --task wants classification or regression, not '%s'", task);
    else if (tg_loss_parse(name, &o->loss) < 0)
        diag_plain(d, "tg train: --loss: %s", tg_last_error());
    else if (tg_loss_is_regression(o->loss) != regression)
        diag_plain(d, "tg train: --loss %s is a %s loss and the task is %s; %s", name,
                   regression ? "classifier's" : "regression", task,
                   regression ? "a regression trains with mse, sse, l2 or huber"
                              : "a classifier trains with ce, bce or bce_logits (a regression "
                                "names its targets: csv:PATH:target=COL)");
    else if (regression != targets)
        diag_plain(d, "tg train: --task %s %s", task,
                   regression ? "needs real-valued targets: --data csv:PATH:target=COL[,COL...]"
                              : "reads class labels, and --data names regression targets "
                                "(:target=)");
    return !d->set;
}

/* The options that concern this invocation, not the run: a resumed run
 * takes all the others from its state file. */
static const char *const session_names[] = {"--save", "--plot", "--state", "--resume",
                                            "--stop-after"};

static bool is_session_option(const char *arg)
{
    size_t len = strcspn(arg, "=");
    for (size_t i = 0; i < sizeof session_names / sizeof *session_names; i++)
        if (strlen(session_names[i]) == len && strncmp(arg, session_names[i], len) == 0)
            return true;
    return false;
}

/* argv's options into the session's and the run's (each with its value);
 * both arrays have argc entries. */
static void split_options(int argc, char **argv, int *n_own, char **own, int *n_rest,
                          char **rest)
{
    *n_own = *n_rest = 0;
    for (int i = 0; i < argc; i++) {
        bool mine = is_session_option(argv[i]);
        bool with_value = strncmp(argv[i], "--", 2) == 0 && !strchr(argv[i], '=') && i + 1 < argc;
        for (int k = 0; k <= (int)with_value; k++) {
            if (mine)
                own[(*n_own)++] = argv[i + k];
            else
                rest[(*n_rest)++] = argv[i + k];
        }
        i += with_value;
    }
}

static bool parse_session_options(int argc, char **argv, train_options *o, diag *d)
{
    const option_spec specs[] = {
        {"--save", parse_text, &o->save},     {"--plot", parse_text, &o->plot},
        {"--state", parse_text, &o->state},   {"--resume", parse_text, &o->resume},
        {"--stop-after", parse_positive_int, &o->stop_after},
    };
    return parse_options(argc, argv, "train", specs, (int)(sizeof specs / sizeof *specs), d);
}

/* A resumed run's options: those its state file saved. */
static bool resumed_options(train_options *o, int n_given, diag *d)
{
    if (n_given) {
        diag_plain(d, "tg train: --resume %s takes the run's options from the file; only --save, "
                      "--plot, --state and --stop-after may be given with it", o->resume);
        return false;
    }
    char *text = read_state_args(o->resume, d);
    bool ok = text && decode_args(text, &o->run_argc, &o->run_argv);
    if (text && !ok)
        diag_plain(d, "tg train: --resume %s: metadata \"%s\" is damaged", o->resume,
                   TRAIN_STATE_KEY);
    o->owns_run_argv = ok;
    if (!o->state)
        o->state = o->resume; /* a run resumed again continues from its latest place */
    free(text);
    return ok;
}

/* The run's options as --state saves them: --model @FILE as the text read. */
static bool encode_run_options(train_options *o, diag *d)
{
    char **copy = malloc(((size_t)o->run_argc + 1) * sizeof *copy);
    char *model = o->model ? malloc(strlen(o->arch.text) + 9) : NULL;
    if (model)
        sprintf(model, "--model=%s", o->arch.text);
    int n = 0;
    for (int i = 0; copy && i < o->run_argc; i++) {
        bool is_model = strncmp(o->run_argv[i], "--model", 7) == 0 &&
                        (o->run_argv[i][7] == '=' || o->run_argv[i][7] == '\0');
        copy[n++] = is_model ? model : o->run_argv[i];
        i += is_model && o->run_argv[i][7] == '\0';
    }
    o->encoded_args = copy && (model || !o->model) ? encode_args(n, copy) : NULL;
    free(copy);
    free(model);
    if (!o->encoded_args)
        diag_plain(d, "out of memory");
    return o->encoded_args != NULL;
}

static bool parse_run_options(train_options *o, diag *d)
{
    const option_spec specs[] = {
        {"--data", parse_text, &o->data.spec},       {"--layers", parse_text, &o->layers},
        {"--model", parse_text, &o->model},
        {"--act", parse_text, &o->act},              {"--loss", parse_text, &o->loss_name},
        {"--task", parse_text, &o->task},
        {"--opt", parse_text, &o->opt},              {"--lr", parse_positive_number, &o->lr},
        {"--batch", parse_positive_int, &o->batch},  {"--epochs", parse_positive_int, &o->epochs},
        {"--seed", parse_seed, &o->data.seed},       {"--val", parse_fraction, &o->data.val},
        {"--limit", parse_positive_int, &o->data.limit},
        {"--dtype", parse_text, &o->dtype},
    };
    if (!parse_options(o->run_argc, o->run_argv, "train", specs,
                       (int)(sizeof specs / sizeof *specs), d))
        return false;
    if (!o->data.spec || !o->layers == !o->model) {
        diag_plain(d, "tg train: --data and one of --layers and --model are required (see tg "
                      "help train)");
        return false;
    }
    o->arch.text[0] = '\0';
    return parse_objective(o, d) &&
           (o->model ? parse_model(o->model, &o->arch, d)
                     : parse_layers(o->layers, &o->arch, "train", d)) &&
           parse_hidden_activation(o->act, &o->arch.act, d) &&
           parse_dtype(o->dtype, &o->arch.dtype, d);
}

static bool parse_train_options(int argc, char **argv, train_options *o, diag *d)
{
    *o = (train_options){.data.seed = 1, .act = "relu", .opt = "adam",
                         .dtype = "f32", .batch = 64, .epochs = 10};
    char **own = malloc(((size_t)argc + 1) * sizeof *own);
    o->run_argv = malloc(((size_t)argc + 1) * sizeof *o->run_argv);
    if (!own || !o->run_argv) {
        free(own);
        diag_plain(d, "out of memory");
        return false;
    }
    int n_own;
    split_options(argc, argv, &n_own, own, &o->run_argc, o->run_argv);
    bool ok = parse_session_options(n_own, own, o, d);
    free(own);
    if (ok && o->resume) {
        free(o->run_argv);
        o->run_argv = NULL;
        ok = resumed_options(o, o->run_argc, d);
    }
    return ok && parse_run_options(o, d) && (!o->state || encode_run_options(o, d));
}

static void free_train_options(train_options *o)
{
    if (o->owns_run_argv)
        free_args(o->run_argc, o->run_argv);
    else
        free(o->run_argv);
    free(o->encoded_args);
}

/* ---- Ctrl-C --------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int signal_number)
{
    (void)signal_number;
    interrupted = 1;
}

/* SA_RESETHAND: a second Ctrl-C kills tg as usual, for someone who does not
 * want to wait for the save. */
static void catch_interrupt(struct sigaction *previous)
{
    struct sigaction action = {0};
    action.sa_handler = on_interrupt;
    action.sa_flags = SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &action, previous);
}

/* ---- progress ------------------------------------------------------------- */

typedef struct {
    int64_t epoch, epochs, samples_per_epoch;
    bool regression; /* show R^2 instead of the accuracy */
    double last_draw;
} progress;

static char *duration_text(double seconds, char *buf, size_t size)
{
    long s = isfinite(seconds) && seconds < 1e7 ? lround(seconds) : 0;
    if (s >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

/* The bar, the running loss and accuracy (R^2), the rate and the time left for
 * the whole run at this epoch's rate, redrawn in place on stderr. */
static void draw_progress(int64_t done, int64_t total, const tg_epoch_stats *so_far, void *user)
{
    progress *p = user;
    double now = tg_perf_counter(); /* the clock of so_far->seconds */
    if (now - p->last_draw < PROGRESS_INTERVAL && done < total)
        return;
    p->last_draw = now;
    char bar[BAR_WIDTH + 1], eta[32];
    int filled = (int)(BAR_WIDTH * done / total);
    memset(bar, '#', (size_t)filled);
    memset(bar + filled, '.', (size_t)(BAR_WIDTH - filled));
    bar[BAR_WIDTH] = '\0';
    double rate = so_far->seconds > 0 ? (double)so_far->samples / so_far->seconds : 0;
    double left = (double)((p->epochs - p->epoch + 1) * p->samples_per_epoch - so_far->samples);
    fprintf(stderr, "\r%lld/%lld [%s] %3d%% loss %.3f %s %.1f%% %.0f samples/s ETA %s\033[K",
            (long long)p->epoch, (long long)p->epochs, bar, (int)(100 * done / total),
            so_far->loss, p->regression ? "R2" : "acc",
            100 * (p->regression ? so_far->r2 : so_far->accuracy), rate,
            rate > 0 ? duration_text(left / rate, eta, sizeof eta) : "?");
    fflush(stderr);
}

/* ---- the run -------------------------------------------------------------- */

typedef struct {
    tg_dataset train, test;
    normalization norm;
    tg_model *model;
    tg_optim *optim;
    distributed *dist; /* the batches: one process's, or this rank's */
    double base_lr; /* --lr, where the cosine starts */
    tg_optim_config cfg;
    epoch_record *records;
    int n_records, cap_records;
    tg_epoch_stats test_stats;
    int64_t first_epoch;     /* 1, or the epoch a resumed run continues */
    int64_t skipped_samples; /* of first_epoch, trained before it was resumed */
} run;

static bool add_record(run *r, const epoch_record *rec, diag *d)
{
    if (r->n_records == r->cap_records) {
        int cap = r->cap_records ? 2 * r->cap_records : 16;
        epoch_record *grown = realloc(r->records, (size_t)cap * sizeof *grown);
        if (!grown) {
            diag_plain(d, "out of memory");
            return false;
        }
        r->records = grown;
        r->cap_records = cap;
    }
    r->records[r->n_records++] = *rec;
    return true;
}

/* A file that cannot be written is reported before the training, not after
 * it has been spent. */
static bool check_writable(const char *path, const char *option, diag *d)
{
    char *copy = strdup(path);
    if (!copy) {
        diag_plain(d, "out of memory");
        return false;
    }
    const char *dir = dirname(copy);
    if (access(dir, W_OK) != 0)
        diag_plain(d, "tg train: %s %s: cannot write into %s: %s", option, path, dir,
                   strerror(errno));
    free(copy);
    return !d->set;
}

static bool set_up(run *r, train_options *o, diag *d)
{
    tg_optim_config cfg;
    if ((o->save && !check_writable(o->save, "--save", d)) ||
        (o->plot && !check_writable(o->plot, "--plot", d)) ||
        !optimizer_named("train", o->opt, o->lr, &cfg, d) ||
        !load_training_data(&o->data, &r->train, &r->test, &r->norm, d) ||
        !set_input_shape(&o->arch, r->train.dim, is_fashion_mnist(o->data.spec), "train", d) ||
        !(r->model = build_model(&o->arch, o->data.seed, d)) ||
        !check_fits_data(&o->arch, r->model, &r->train, o->loss, true, "train", d))
        return false;
    r->base_lr = cfg.lr;
    r->cfg = cfg;
    r->first_epoch = 1;
    r->optim = tg_optim_new(tg_model_params(r->model), &cfg);
    return r->optim ? true : library_failed(d);
}

/* The run picks up where the state file left it: weights, buffers,
 * optimizer, generators, the batcher's place and the epochs' records. */
static bool resume_run(run *r, const train_options *o, diag *d)
{
    train_state st = {.model = r->model, .optim = r->optim, .cfg = &r->cfg,
                      .rank = distributed_rank(r->dist), .ranks = distributed_size(r->dist)};
    if (!restore_train_state(o->resume, &st, d))
        return false;
    free(r->records);
    r->records = st.records;
    r->n_records = r->cap_records = st.n_records;
    if (st.epoch >= o->epochs) {
        diag_plain(d, "tg train: --resume %s: the run has done all its %lld epochs", o->resume,
                   (long long)o->epochs);
        return false;
    }
    r->first_epoch = st.epoch + 1;
    r->skipped_samples = st.batch * o->batch;
    printf("resumed from %s at epoch %lld, batch %lld\n", o->resume, (long long)r->first_epoch,
           (long long)st.batch);
    return distributed_seek(r->dist, st.epoch, st.batch, d);
}

/* --state's folder is checked before any training; --resume continues. */
static bool prepare_state(run *r, const train_options *o, diag *d)
{
    return (!o->state || check_writable(o->state, "--state", d)) && (!o->resume || resume_run(r, o, d));
}

static run_facts facts_of(const run *r, const train_options *o, char *epochs, size_t size)
{
    snprintf(epochs, size, "%g", r->n_records ? r->records[r->n_records - 1].epoch : 0.0);
    return (run_facts){o->data.spec, epochs, o->loss, &r->test_stats};
}

/* Every rank takes part (their generators are gathered); rank 0 writes. */
static bool save_state(const run *r, const train_options *o, diag *d)
{
    int ranks = distributed_size(r->dist), n = model_rng_layers(r->model);
    uint64_t *mine = malloc((size_t)(4 * n + 1) * sizeof *mine);
    uint64_t *all = malloc((size_t)(4 * n * ranks + 1) * sizeof *all);
    train_state st = {r->model, r->optim, &r->cfg, 0, 0, r->records, r->n_records,
                      distributed_rank(r->dist), ranks, all};
    char epochs[32];
    run_facts facts = facts_of(r, o, epochs, sizeof epochs);
    if (!mine || !all)
        diag_plain(d, "out of memory");
    bool ok = distributed_agree(r->dist, mine && all, d); /* before the collective gather */
    if (ok) {
        model_rng_words(r->model, mine);
        ok = distributed_gather(r->dist, mine, 4 * n, all, d) &&
             distributed_position(r->dist, &st.epoch, &st.batch, d) &&
             (!distributed_is_root(r->dist) ||
              save_train_state(o->state, o->encoded_args, &st, &o->arch, &r->norm, &facts, d));
        ok = distributed_agree(r->dist, ok, d);
    }
    free(mine);
    free(all);
    return ok;
}

/* "train acc 91.20%" or, for a regression, "train mse 0.0123  train R2 0.9871". */
static void print_scores(const char *set, const tg_epoch_stats *s, bool regression)
{
    if (regression)
        printf("  %s mse %.4g  %s R2 %.4f", set, s->mse, set, s->r2);
    else
        printf("  %s acc %.2f%%", set, 100 * s->accuracy);
}

static void print_epoch(int64_t epoch, const run *r, const tg_epoch_stats *train,
                        const train_options *o)
{
    bool regression = tg_loss_is_regression(o->loss);
    printf("epoch %lld/%lld  train loss %.4f", (long long)epoch, (long long)o->epochs,
           train->loss);
    print_scores("train", train, regression);
    printf("  test loss %.4f", r->test_stats.loss);
    print_scores("test", &r->test_stats, regression);
    printf("  %.1f s", train->seconds);
    if (train->stopped)
        printf("  (interrupted after %lld of %lld samples)", (long long)train->samples,
               (long long)r->train.n);
    putchar('\n');
    fflush(stdout);
}

/* One epoch: train, evaluate, record, report. */
static bool run_epoch(run *r, const train_options *o, int64_t epoch, bool tty, diag *d)
{
    bool regression = tg_loss_is_regression(o->loss);
    progress bar = {epoch, o->epochs, r->train.n, regression, 0};
    tg_epoch_stats train;
    tg_optim_set_lr(r->optim, tg_lr_cosine(r->base_lr, 0, epoch - 1, o->epochs));
    if (distributed_train_epoch(r->dist, r->model, r->optim, o->loss, &interrupted,
                                tty ? draw_progress : NULL, &bar, &train) < 0 ||
        distributed_evaluate(r->dist, r->model, &r->test, o->loss, &r->test_stats) < 0)
        return library_failed(d);
    if (tty)
        fputs("\r\033[K", stderr);
    int64_t samples = train.samples + (epoch == r->first_epoch ? r->skipped_samples : 0);
    epoch_record rec = {(double)(epoch - 1) + (double)samples / (double)r->train.n,
                        train.loss, r->test_stats.loss,
                        regression ? train.r2 : train.accuracy,
                        regression ? r->test_stats.r2 : r->test_stats.accuracy};
    print_epoch(epoch, r, &train, o);
    return add_record(r, &rec, d) && (!o->state || save_state(r, o, d));
}

static bool train_epochs(run *r, const train_options *o, diag *d)
{
    bool tty = isatty(STDERR_FILENO) && distributed_is_root(r->dist);
    char arch[ARCH_TEXT_MAX];
    printf("%s on %s: %lld training and %lld test samples, %s, batch %lld, lr %g\n",
           architecture_text(&o->arch, arch, sizeof arch), o->data.spec, (long long)r->train.n,
           (long long)r->test.n, o->opt, (long long)o->batch, r->base_lr);
    fflush(stdout);
    int64_t last = o->stop_after && o->stop_after < o->epochs ? o->stop_after : o->epochs;
    for (int64_t epoch = r->first_epoch; epoch <= last && !interrupted; epoch++)
        if (!run_epoch(r, o, epoch, tty, d))
            return false;
    return true;
}

static void print_test_scores(const run *r, bool regression)
{
    const tg_epoch_stats *s = &r->test_stats;
    if (regression) {
        printf("test mse %.6g, R2 %.6f (%lld samples), mean loss %.4f\n", s->mse, s->r2,
               (long long)r->test.n, s->loss);
        return;
    }
    int64_t correct = llround(s->accuracy * (double)r->test.n);
    printf("test accuracy %.2f%% (%lld/%lld), mean loss %.4f\n", 100 * s->accuracy,
           (long long)correct, (long long)r->test.n, s->loss);
}

static bool finish(run *r, const train_options *o, diag *d)
{
    bool regression = tg_loss_is_regression(o->loss);
    print_test_scores(r, regression);
    char epochs[32], arch[ARCH_TEXT_MAX], title[ARCH_TEXT_MAX + 300], loss_label[64];
    run_facts facts = facts_of(r, o, epochs, sizeof epochs);
    /* the ranks' parameters are the same: rank 0 writes them */
    bool root = distributed_is_root(r->dist);
    if (o->save && !distributed_agree(r->dist, !root || save_checkpoint(r->model, o->save, &o->arch,
                                                                         &r->norm, &facts, d), d))
        return false;
    if (o->save)
        printf("saved %s\n", o->save);
    snprintf(title, sizeof title, "tg train: %s, %s, %s",
             architecture_text(&o->arch, arch, sizeof arch), o->opt, o->data.spec);
    snprintf(loss_label, sizeof loss_label, "loss (%s)",
             o->loss == TG_LOSS_CE ? "cross-entropy" : tg_loss_name(o->loss));
    if (o->plot && root &&
        !write_plot(o->plot, title, loss_label, regression ? "R2 (%)" : "accuracy (%)",
                    r->records, r->n_records, d))
        return false;
    if (o->plot)
        printf("plot %s\n", o->plot);
    return true;
}

static void tear_down(run *r)
{
    if (r->dist)
        distributed_end(r->dist); /* before the model, whose hooks it removes */
    tg_optim_free(r->optim);
    tg_model_free(r->model);
    tg_dataset_free(&r->train);
    tg_dataset_free(&r->test);
    normalization_free(&r->norm);
    free(r->records);
}

int cmd_train(int argc, char **argv)
{
    train_options o;
    run r = {0};
    diag d = {0};
    int status = TG_EXIT_USAGE;
    struct sigaction previous;
    if (parse_train_options(argc, argv, &o, &d) && distributed_start(&r.dist, &d) &&
        distributed_agree(r.dist, set_up(&r, &o, &d), &d) &&
        distributed_prepare(r.dist, r.model, &r.train, o.batch, o.data.seed, o.loss, &d) &&
        distributed_agree(r.dist, prepare_state(&r, &o, &d), &d)) {
        catch_interrupt(&previous);
        bool trained = train_epochs(&r, &o, &d);
        sigaction(SIGINT, &previous, NULL);
        if (interrupted)
            fprintf(stderr, "tg train: interrupted by Ctrl-C; the model as trained so far is "
                            "evaluated and saved\n");
        if (!trained)
            status = TG_EXIT_FAILURE; /* the library failed, not the input */
        else if (finish(&r, &o, &d))
            status = interrupted ? TG_EXIT_INTERRUPTED : 0;
    }
    if (d.set && (!r.dist || distributed_is_root(r.dist)))
        diag_print(&d); /* the ranks fail alike: one says it */
    tear_down(&r);
    free_train_options(&o);
    return status;
}
