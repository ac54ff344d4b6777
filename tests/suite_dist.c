/* suite_dist.c -- tapegrad/dist.h under mpirun (CTest runs it with 1, 2
 * and 3 ranks; run alone it is one rank). N ranks with per-rank batches of
 * B/N reach the parameters one process reaches with batches of B; failures
 * on one rank fail every rank with the same message; the sampler shares
 * each batch; broadcast, agreement, evaluation and checkpoints.
 *
 * Not a Check suite: the tests are collective, and Check's fork per test
 * does not mix with MPI. A failed expectation prints rank, file and line and
 * ends the whole job with MPI_Abort, so no rank is left waiting.
 *
 * With the argument "kill-rank-1" it is the fault test's job instead: rank
 * 1 dies by SIGKILL in the middle of an epoch (tests/dist_fault.sh checks
 * that the job ends quickly, naming the rank and the step). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tapegrad/dist.h>
#include <tapegrad/function.h>
#include <tapegrad/tapegrad.h>

static tg_dist *dist;
static int rank, size;

#define EXPECT(cond, ...)                                                                       \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "suite_dist: rank %d: %s:%d: %s failed: ", rank, __FILE__,           \
                    __LINE__, #cond);                                                           \
            fprintf(stderr, __VA_ARGS__);                                                       \
            fprintf(stderr, " (last error: %s)\n", tg_last_error());                             \
            MPI_Abort(MPI_COMM_WORLD, 1);                                                       \
        }                                                                                       \
    } while (0)
#define EXPECT_OK(call) EXPECT((call) == 0, "%s", #call)

enum { SAMPLES = 100, FEATURES = 6, CLASSES = 3, BATCH = 12, EPOCHS = 2 };

/* Three noisy blobs; feature 0 is shifted by the sample's index / 1000, so
 * that a batch's first column tells its samples apart. */
static void make_blobs(tg_dataset *d)
{
    EXPECT_OK(tg_dataset_alloc(d, SAMPLES, FEATURES, true));
    tg_rng rng;
    tg_rng_seed(&rng, 42);
    for (int64_t i = 0; i < SAMPLES; i++) {
        int64_t c = i % CLASSES;
        d->labels[i] = c;
        for (int j = 0; j < FEATURES; j++)
            d->x[i * FEATURES + j] = (float)((j % CLASSES == c ? 2.0 : 0.0) + tg_rng_normal(&rng));
        d->x[i * FEATURES] = (float)i;
    }
    d->n_classes = CLASSES;
}

static tg_model *make_model(tg_dtype dtype, uint64_t seed)
{
    tg_model *m = tg_mlp_new(dtype, 4, (int64_t[]){FEATURES, 16, 8, CLASSES}, TG_ACT_TANH,
                             TG_ACT_LINEAR, seed);
    EXPECT(m != NULL, "tg_mlp_new");
    return m;
}

static tg_optim *make_optim(tg_model *m)
{
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    cfg.lr = 0.01;
    tg_optim *o = tg_optim_new(tg_model_params(m), &cfg);
    EXPECT(o != NULL, "tg_optim_new");
    return o;
}

/* The largest |a - b| / max(|a|, |b|, 1e-3) over every parameter value. */
static double max_relative_difference(tg_model *a, tg_model *b)
{
    tg_params *pa = tg_model_params(a), *pb = tg_model_params(b);
    double worst = 0;
    for (int k = 0; k < tg_params_count(pa); k++) {
        const tg_tensor *ta = tg_params_at(pa, k, NULL), *tb = tg_params_at(pb, k, NULL);
        for (int64_t i = 0; i < tg_numel(ta); i++) {
            double x = tg_get(ta, i), y = tg_get(tb, i);
            double scale = fmax(fmax(fabs(x), fabs(y)), 1e-3);
            worst = fmax(worst, fabs(x - y) / scale);
        }
    }
    return worst;
}

/* ---- the tests ------------------------------------------------------------ */

static void agreement_names_the_lowest_failing_rank(void)
{
    EXPECT(tg_dist_rank(dist) == rank && tg_dist_size(dist) == size, "rank and size");
    EXPECT_OK(tg_dist_agree(dist, TG_OK));
    int rc = rank == size - 1 ? tg_set_error(TG_EIO, "cannot read shard-%d.csv", rank) : TG_OK;
    EXPECT(tg_dist_agree(dist, rc) == TG_EIO, "agreed code");
    char want[64];
    snprintf(want, sizeof want, "rank %d: cannot read shard-%d.csv", size - 1, size - 1);
    EXPECT(strcmp(tg_last_error(), want) == 0, "message '%s'", tg_last_error());
    tg_clear_error();
    double sums[2] = {1, (double)rank};
    EXPECT_OK(tg_dist_sum(dist, sums, 2));
    EXPECT(sums[0] == size && sums[1] == size * (size - 1) / 2.0, "sums %g %g", sums[0], sums[1]);
    /* the job's ranks all run on this machine: together they must not
     * oversubscribe its cores, nor one rank its affinity mask */
    int threads = tg_dist_threads_per_rank(dist);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t allowed;
    EXPECT(sched_getaffinity(0, sizeof allowed, &allowed) == 0, "affinity");
    EXPECT(threads >= 1 && threads <= CPU_COUNT(&allowed), "threads %d", threads);
    EXPECT(size > online || (long)threads * size <= online, "%d ranks x %d threads on %ld cores",
           size, threads, online);
    EXPECT(size > 1 || threads == (online < CPU_COUNT(&allowed) ? online : CPU_COUNT(&allowed)),
           "one rank takes its whole machine: %d threads", threads);
}

static void broadcast_copies_rank_0s_values(void)
{
    tg_model *m = make_model(TG_F64, 100 + (uint64_t)rank), *ref = make_model(TG_F64, 100);
    EXPECT_OK(tg_dist_broadcast(dist, tg_model_params(m)));
    EXPECT(max_relative_difference(m, ref) == 0, "not rank 0's values");
    tg_model_free(m);
    tg_model_free(ref);
    /* a different model on the last rank fails everywhere, before copying */
    int64_t wide = rank == size - 1 && size > 1 ? 17 : 16;
    m = tg_mlp_new(TG_F64, 3, (int64_t[]){FEATURES, wide, CLASSES}, TG_ACT_TANH, TG_ACT_LINEAR, 1);
    int rc = tg_dist_broadcast(dist, tg_model_params(m));
    if (size > 1) {
        EXPECT(rc == TG_EVALUE, "rc %d", rc);
        EXPECT(strstr(tg_last_error(), "differ in names, dtypes or shapes (rank 0 has 4 tensors"),
               "message '%s'", tg_last_error());
        tg_clear_error();
    }
    tg_model_free(m);
}

/* Every global batch, gathered from the ranks, is the batcher's. */
static void sampler_shares_the_batchers_batches(void)
{
    tg_dataset d = {0};
    make_blobs(&d);
    tg_batcher *b = tg_batcher_new(&d, BATCH, TG_BATCH_SHUFFLE, 7);
    tg_dist_sampler *s = tg_dist_sampler_new(dist, &d, BATCH, TG_BATCH_SHUFFLE, 7);
    EXPECT(b && s, "made");
    EXPECT(tg_dist_sampler_batches(s) == tg_batcher_batches(b), "batch counts");
    for (int epoch = 0; epoch < 2; epoch++) {
        tg_tensor *x, *y;
        int64_t count, global, whole;
        while (tg_dist_sampler_next(s, TG_F64, &x, NULL, &count, &global) > 0) {
            EXPECT(tg_batcher_next(b, TG_F64, &y, NULL, &whole) == 1 && whole == global, "size");
            EXPECT(count >= global / size && count <= global / size + 1, "share %lld",
                   (long long)count);
            int counts[16], offsets[16];
            double mine[BATCH], all[BATCH];
            int n = (int)count;
            for (int r = 0; r < n; r++)
                mine[r] = tg_get(x, r * FEATURES);
            MPI_Allgather(&n, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
            for (int r = 0, at = 0; r < size; at += counts[r++])
                offsets[r] = at;
            MPI_Allgatherv(mine, n, MPI_DOUBLE, all, counts, offsets, MPI_DOUBLE, MPI_COMM_WORLD);
            for (int64_t r = 0; r < whole; r++)
                EXPECT(all[r] == tg_get(y, r * FEATURES), "sample %lld", (long long)r);
            tg_tape_reset();
        }
        EXPECT(tg_batcher_next(b, TG_F64, &x, NULL, &whole) == 0, "the batcher's epoch ended");
        EXPECT(tg_dist_sampler_epoch(s) == epoch + 1, "epoch");
    }
    tg_dist_sampler_free(s);
    tg_batcher_free(b);
    tg_dataset_free(&d);
}

/* A sampler put where another stands (1 epoch and 3 batches in, as
 * tg_dist_sampler_position reports) gives the same shares from there on,
 * across the next epoch's reshuffle. */
static void sampler_seek_continues_the_same_batches(void)
{
    tg_dataset d = {0};
    make_blobs(&d);
    tg_dist_sampler *a = tg_dist_sampler_new(dist, &d, BATCH, TG_BATCH_SHUFFLE, 9);
    tg_dist_sampler *b = tg_dist_sampler_new(dist, &d, BATCH, TG_BATCH_SHUFFLE, 9);
    EXPECT(a && b, "made");
    tg_tensor *x, *y;
    int64_t epoch, batch, n = tg_dist_sampler_batches(a);
    for (int64_t k = 0; k < n + 3 + 1; k++) /* one epoch's batches and its end, then 3 */
        EXPECT(tg_dist_sampler_next(a, TG_F64, &x, NULL, NULL, NULL) >= 0, "next");
    EXPECT_OK(tg_dist_sampler_position(a, &epoch, &batch));
    EXPECT(epoch == 1 && batch == 3, "position %lld, %lld", (long long)epoch, (long long)batch);
    EXPECT_OK(tg_dist_sampler_seek(b, epoch, batch));
    for (int64_t k = 0; k < n + 2; k++) {
        int64_t ca, cb;
        int ra = tg_dist_sampler_next(a, TG_F64, &x, NULL, &ca, NULL);
        int rb = tg_dist_sampler_next(b, TG_F64, &y, NULL, &cb, NULL);
        EXPECT(ra == rb && ca == cb, "batch %lld: %d/%d", (long long)k, ra, rb);
        for (int64_t r = 0; ra > 0 && r < ca; r++)
            EXPECT(tg_get(x, r * FEATURES) == tg_get(y, r * FEATURES), "sample %lld", (long long)r);
        tg_tape_reset();
    }
    EXPECT(tg_dist_sampler_seek(b, 0, n) == TG_EVALUE, "a batch past the epoch");
    tg_clear_error();
    tg_dist_sampler_free(a);
    tg_dist_sampler_free(b);
    tg_dataset_free(&d);
}

typedef struct {
    tg_model *model;
    tg_optim *optim;
    tg_epoch_stats last;
} run;

/* EPOCHS epochs of one process with the batcher: the reference. */
static run train_alone(const tg_dataset *d, tg_dtype dtype)
{
    run r = {.model = make_model(dtype, 3)};
    r.optim = make_optim(r.model);
    tg_batcher *b = tg_batcher_new(d, BATCH, TG_BATCH_SHUFFLE, 5);
    EXPECT(b != NULL, "batcher");
    for (int e = 0; e < EPOCHS; e++)
        EXPECT_OK(tg_train_epoch(r.model, r.optim, b, NULL, NULL, NULL, &r.last));
    tg_batcher_free(b);
    return r;
}

/* The same across the ranks; a fresh tg_dist for each set of options. */
static run train_together(const tg_dataset *d, tg_dtype dtype, const tg_dist_options *options)
{
    tg_dist *group = tg_dist_from_comm(MPI_COMM_WORLD);
    EXPECT(group != NULL, "tg_dist_from_comm");
    /* every rank starts from a different model: broadcast makes them rank 0's */
    run r = {.model = make_model(dtype, rank == 0 ? 3 : 1000 + (uint64_t)rank)};
    r.optim = make_optim(r.model);
    EXPECT_OK(tg_dist_broadcast(group, tg_model_params(r.model)));
    EXPECT_OK(tg_dist_attach(group, tg_model_params(r.model), options));
    tg_dist_sampler *s = tg_dist_sampler_new(group, d, BATCH, TG_BATCH_SHUFFLE, 5);
    EXPECT(s != NULL, "sampler");
    for (int e = 0; e < EPOCHS; e++)
        EXPECT_OK(tg_dist_train_epoch(group, r.model, r.optim, s, NULL, NULL, NULL, &r.last));
    tg_dist_stats stats;
    EXPECT_OK(tg_dist_stats_get(group, &stats));
    EXPECT(stats.syncs == EPOCHS * tg_dist_sampler_batches(s), "syncs %lld", (long long)stats.syncs);
    tg_dist_sampler_free(s);
    tg_dist_free(group);
    return r;
}

/* A model with batch norm: each rank normalizes by its own samples'
 * statistics (as DDP without SyncBatchNorm), and after every step rank 0's
 * running statistics are every rank's. */
static void batch_norm_buffers_are_rank_0s(void)
{
    tg_dataset d = {0};
    make_blobs(&d);
    tg_dist *group = tg_dist_from_comm(MPI_COMM_WORLD);
    tg_rng rng;
    tg_rng_seed(&rng, 8);
    tg_model *m = tg_model_new(TG_F64);
    EXPECT(group && m, "made");
    EXPECT_OK(tg_model_add_dense(m, FEATURES, 8, TG_INIT_HE_UNIFORM, &rng));
    EXPECT_OK(tg_model_add_batch_norm(m, 0.1, 1e-5, true));
    EXPECT_OK(tg_model_add_activation(m, TG_ACT_RELU, 0));
    EXPECT_OK(tg_model_add_dense(m, 8, CLASSES, TG_INIT_HE_UNIFORM, &rng));
    tg_optim *o = make_optim(m);
    EXPECT_OK(tg_dist_broadcast(group, tg_model_params(m)));
    EXPECT_OK(tg_dist_attach(group, tg_model_params(m), NULL));
    /* the last batch, 4 samples, would leave 3 ranks one each, and batch
     * norm (like PyTorch's) needs two per channel in training */
    tg_dist_sampler *s = tg_dist_sampler_new(group, &d, BATCH, TG_BATCH_SHUFFLE |
                                             TG_BATCH_DROP_LAST, 5);
    tg_epoch_stats st;
    EXPECT_OK(tg_dist_train_epoch(group, m, o, s, NULL, NULL, NULL, &st));
    const char *names[] = {"1.running_mean", "1.running_var", "1.num_batches_tracked"};
    for (int k = 0; k < 3; k++) {
        tg_tensor *t = tg_params_get(tg_model_params(m), names[k]);
        double mine = tg_get(t, 0), first = mine;
        MPI_Bcast(&first, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
        EXPECT(mine == first, "%s: %.17g on this rank, %.17g on rank 0", names[k], mine, first);
        EXPECT(k != 0 || mine != 0, "the statistics moved");
    }
    tg_dist_sampler_free(s);
    tg_dist_free(group);
    tg_optim_free(o);
    tg_model_free(m);
    tg_dataset_free(&d);
}

static void run_free(run *r)
{
    tg_optim_free(r->optim);
    tg_model_free(r->model);
}

static double compare_runs(tg_dtype dtype, const tg_dist_options *options)
{
    tg_dataset d = {0};
    make_blobs(&d);
    run alone = train_alone(&d, dtype), together = train_together(&d, dtype, options);
    double worst = max_relative_difference(alone.model, together.model);
    EXPECT(together.last.samples == SAMPLES, "samples %lld", (long long)together.last.samples);
    EXPECT(fabs(together.last.loss - alone.last.loss) <= 1e-6 * alone.last.loss, "loss %.17g %.17g",
           together.last.loss, alone.last.loss);
    /* every rank holds the same parameters, bit for bit */
    double spread[2] = {worst, -worst};
    MPI_Allreduce(MPI_IN_PLACE, spread, 2, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
    EXPECT(spread[0] == -spread[1], "ranks differ");
    run_free(&alone);
    run_free(&together);
    tg_dataset_free(&d);
    return worst;
}

/* The documented tolerances (docs/distributed.md): float64 1e-12 relative;
 * float32 what reordering the sums of 2 and 3 ranks measured over these
 * EPOCHS (17 Adam steps), with a margin. */
#define F64_TOLERANCE 1e-12
#define F32_TOLERANCE 1e-4

static void n_ranks_match_one_process(void)
{
    tg_dist_options one_bucket = tg_dist_defaults();
    tg_dist_options small = {.bucket_bytes = 200, .overlap = true};
    tg_dist_options after = {.bucket_bytes = 200, .overlap = false};
    double f64 = compare_runs(TG_F64, &one_bucket);
    double f64_buckets = compare_runs(TG_F64, &small);
    double f64_after = compare_runs(TG_F64, &after);
    double f32 = compare_runs(TG_F32, &small);
    if (rank == 0)
        printf("suite_dist: %d ranks vs one process after %d steps, largest relative difference: "
               "float64 %.3g (buckets %.3g, no overlap %.3g), float32 %.3g\n", size,
               EPOCHS * 9, f64, f64_buckets, f64_after, f32);
    EXPECT(f64 <= F64_TOLERANCE && f64_buckets <= F64_TOLERANCE && f64_after <= F64_TOLERANCE,
           "float64 %g %g %g", f64, f64_buckets, f64_after);
    EXPECT(f32 <= F32_TOLERANCE, "float32 %g", f32);
}

/* w1 reaches the loss on every rank, w2 on rank 0 only. */
static void a_parameter_without_gradient_fails_every_rank(void)
{
    if (size == 1)
        return;
    tg_dist *group = tg_dist_from_comm(MPI_COMM_WORLD);
    tg_params *p = tg_params_new();
    EXPECT(group && p, "made");
    EXPECT_OK(tg_params_add(p, "w1", tg_param(TG_F64, 1, (int64_t[]){3}, (double[]){1, 2, 3})));
    EXPECT_OK(tg_params_add(p, "w2", tg_param(TG_F64, 1, (int64_t[]){3}, (double[]){1, 2, 3})));
    EXPECT_OK(tg_dist_attach(group, p, NULL));
    tg_tensor *w1 = tg_params_get(p, "w1"), *w2 = tg_params_get(p, "w2");
    EXPECT_OK(tg_backward(tg_sum(rank == 0 ? tg_mul(w1, w2) : w1)));
    EXPECT(tg_dist_sync(group) == TG_ESTATE, "sync");
    EXPECT(strcmp(tg_last_error(), "rank 1: tg_dist_sync: step 1: parameter 'w2' received no "
                                   "gradient on rank 1; every rank must reach every parameter") == 0,
           "message '%s'", tg_last_error());
    tg_clear_error();
    tg_tape_reset();
    tg_params_zero_grad(p);
    /* the next step works again */
    EXPECT_OK(tg_backward(tg_sum(tg_mul(w1, w2))));
    EXPECT_OK(tg_dist_sync(group));
    EXPECT(tg_grad_get(w1, 0) == 1 && tg_dist_step(group) == 3, "step 2");
    tg_tape_reset();
    tg_dist_free(group);
    tg_params_free(p);
}

/* Bad labels on the last rank: its loss fails, and so does every rank's
 * epoch, with its message. */
static void bad_data_on_one_rank_fails_every_rank(void)
{
    tg_dataset d = {0};
    make_blobs(&d);
    if (rank == size - 1)
        for (int64_t i = 0; i < d.n; i++)
            d.labels[i] = 7;
    tg_dist *group = tg_dist_from_comm(MPI_COMM_WORLD);
    tg_model *m = make_model(TG_F32, 3);
    tg_optim *o = make_optim(m);
    EXPECT_OK(tg_dist_attach(group, tg_model_params(m), NULL));
    tg_dist_sampler *s = tg_dist_sampler_new(group, &d, BATCH, 0, 0);
    tg_epoch_stats st;
    EXPECT(tg_dist_train_epoch(group, m, o, s, NULL, NULL, NULL, &st) < 0, "epoch failed");
    char want[48];
    snprintf(want, sizeof want, "rank %d: tg_cross_entropy", size - 1);
    EXPECT(strncmp(tg_last_error(), want, strlen(want)) == 0, "message '%s'", tg_last_error());
    tg_clear_error();
    tg_tape_reset();
    tg_dist_sampler_free(s);
    tg_dist_free(group); /* before the model: it removes the parameters' hooks */
    tg_optim_free(o);
    tg_model_free(m);
    tg_dataset_free(&d);
}

/* A stop request on the last rank ends every rank's epoch after the batch. */
static void a_stop_on_one_rank_stops_all(void)
{
    tg_dataset d = {0};
    make_blobs(&d);
    tg_dist *group = tg_dist_from_comm(MPI_COMM_WORLD);
    tg_model *m = make_model(TG_F32, 3);
    tg_optim *o = make_optim(m);
    EXPECT_OK(tg_dist_attach(group, tg_model_params(m), NULL));
    tg_dist_sampler *s = tg_dist_sampler_new(group, &d, BATCH, 0, 0);
    volatile sig_atomic_t stop = rank == size - 1;
    tg_epoch_stats st;
    EXPECT_OK(tg_dist_train_epoch(group, m, o, s, &stop, NULL, NULL, &st));
    EXPECT(st.stopped && st.samples == BATCH, "stopped %d after %lld", st.stopped,
           (long long)st.samples);
    tg_dist_sampler_free(s);
    tg_dist_free(group); /* before the model: it removes the parameters' hooks */
    tg_optim_free(o);
    tg_model_free(m);
    tg_dataset_free(&d);
}

static void evaluation_and_checkpoint(void)
{
    tg_dataset d = {0};
    make_blobs(&d);
    tg_model *m = make_model(TG_F64, 3);
    tg_epoch_stats alone, together;
    EXPECT_OK(tg_evaluate(m, &d, 1000, &alone, NULL));
    EXPECT_OK(tg_dist_evaluate(dist, m, &d, 1000, &together));
    EXPECT(together.samples == SAMPLES && together.accuracy == alone.accuracy, "accuracy");
    EXPECT(fabs(together.loss - alone.loss) <= 1e-12 * alone.loss, "loss %.17g %.17g",
           together.loss, alone.loss);
    char path[64];
    snprintf(path, sizeof path, "/tmp/suite_dist_%d.safetensors", (int)getppid());
    EXPECT_OK(tg_dist_checkpoint_save(dist, tg_model_params(m), path, NULL));
    if (rank == 0) {
        tg_model *back = make_model(TG_F64, 99);
        EXPECT_OK(tg_checkpoint_load(tg_model_params(back), path));
        EXPECT(max_relative_difference(m, back) == 0, "restored");
        tg_model_free(back);
        unlink(path);
    }
    EXPECT(tg_dist_checkpoint_save(dist, tg_model_params(m), "/nonexistent/x.safetensors", NULL) ==
               TG_EIO && strncmp(tg_last_error(), "rank 0: tg_checkpoint_save", 26) == 0,
           "message '%s'", tg_last_error());
    tg_clear_error();
    tg_model_free(m);
    tg_dataset_free(&d);
}

/* ---- the fault test's job ---------------------------------------------------- */

static void die_on_batch_5(int64_t done, int64_t total, const tg_epoch_stats *so_far, void *user)
{
    (void)total, (void)so_far, (void)user;
    if (rank == 1 && done == 5)
        raise(SIGKILL);
}

static int kill_rank_1(void)
{
    tg_dataset d = {0};
    make_blobs(&d);
    tg_model *m = make_model(TG_F32, 3);
    tg_optim *o = make_optim(m);
    EXPECT_OK(tg_dist_attach(dist, tg_model_params(m), NULL));
    tg_dist_sampler *s = tg_dist_sampler_new(dist, &d, BATCH, 0, 0);
    tg_epoch_stats st;
    for (int e = 0; e < 1000; e++)
        EXPECT_OK(tg_dist_train_epoch(dist, m, o, s, NULL, die_on_batch_5, NULL, &st));
    fprintf(stderr, "suite_dist: rank %d was not stopped\n", rank);
    return 1;
}

int main(int argc, char **argv)
{
    dist = tg_dist_init(&argc, &argv);
    if (!dist) {
        fprintf(stderr, "suite_dist: %s\n", tg_last_error());
        return 1;
    }
    rank = tg_dist_rank(dist);
    size = tg_dist_size(dist);
    if (argc > 1 && strcmp(argv[1], "kill-rank-1") == 0)
        return kill_rank_1();
    tg_set_num_threads(tg_dist_threads_per_rank(dist));
    agreement_names_the_lowest_failing_rank();
    broadcast_copies_rank_0s_values();
    sampler_shares_the_batchers_batches();
    sampler_seek_continues_the_same_batches();
    batch_norm_buffers_are_rank_0s();
    n_ranks_match_one_process();
    a_parameter_without_gradient_fails_every_rank();
    bad_data_on_one_rank_fails_every_rank();
    a_stop_on_one_rank_stops_all();
    evaluation_and_checkpoint();
    if (rank == 0)
        printf("suite_dist: %d ranks: all tests passed\n", size);
    tg_dist_free(dist);
    tg_tape_destroy();
    return 0;
}
