/*
 * tapegrad/dist.h -- data-parallel training across processes on MPI.
 *
 * A separate library, libtapegrad_dist (CMake: tapegrad::dist), built only
 * where MPI is found, so that libtapegrad itself never needs MPI. Every rank
 * (process) holds the whole model and trains on its part of each global
 * batch; after each backward the gradients are averaged across the ranks, so
 * that every rank takes the same optimizer step and the parameters stay
 * identical everywhere -- PyTorch's DistributedDataParallel, on MPI:
 *
 *     tg_dist *d = tg_dist_init(&argc, &argv);          (MPI_Init_thread)
 *     tg_set_num_threads(tg_dist_threads_per_rank(d));
 *     ... build the model from the same seed on every rank ...
 *     tg_dist_broadcast(d, params);                      (rank 0's values)
 *     tg_dist_attach(d, params, NULL);                   (gradient hooks)
 *     tg_dist_sampler *s = tg_dist_sampler_new(d, &train, 256, TG_BATCH_SHUFFLE, seed);
 *     for (epoch ...) tg_dist_train_epoch(d, model, optim, s, NULL, NULL, NULL, &stats);
 *     if (tg_dist_rank(d) == 0) print(stats);            (stats are global)
 *     tg_dist_checkpoint_save(d, params, path, meta);    (rank 0 writes)
 *     tg_dist_free(d);                                   (MPI_Finalize)
 *
 * Every function taking a tg_dist is collective unless it says otherwise:
 * all ranks call it, in the same order, with the same arguments (the
 * rank-local ones aside). A failure that some ranks see and others not (an
 * unreadable file on one machine) is turned into the same failure on every
 * rank by tg_dist_agree; the training functions do so themselves, so that
 * no rank waits forever for one that gave up.
 *
 * Gradient averaging. tg_dist_attach puts the parameters that require grad
 * into buckets of about bucket_bytes, in reverse registration order (the
 * order a backward sweep finishes them), and registers a hook on each. A
 * parameter's hook runs once the sweep has passed the last op that takes it
 * (tapegrad/hooks.h); it copies the gradient, weighted, into its bucket, and
 * when a bucket is complete its MPI_Iallreduce starts, while the sweep goes
 * on with the earlier layers (buckets start in order, the same on every
 * rank). tg_dist_sync, after the backward, waits for them and writes the
 * averages into the gradients. The weight of a rank's gradient is
 * local_count / global_count (tg_dist_set_batch): with a loss averaged over
 * each rank's samples the sum over ranks is then exactly the gradient of
 * the loss averaged over the global batch, also when the ranks' shares of a
 * batch differ by one. What is averaged is the parameter's gradient as the
 * backward leaves it (its grad plus this sweep's part), as in DDP.
 */
#ifndef TAPEGRAD_DIST_H
#define TAPEGRAD_DIST_H

#include <tapegrad/export.h>

#include <signal.h>

#include <mpi.h>

#include <tapegrad/nn.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_dist tg_dist;

/* Initializes MPI (MPI_Init_thread with MPI_THREAD_FUNNELED: only the
 * calling thread talks to MPI; the OpenMP threads of the ops do not) unless
 * it already is, and works over a duplicate of MPI_COMM_WORLD. argc and argv
 * may be NULL. Also installs a SIGTERM handler (where none is) that prints
 * "tg_dist: rank R terminated at step S" before the process ends: mpirun
 * terminates the surviving ranks that way when one dies, and names the dead
 * one itself. NULL on failure, with the error set. */
TG_API tg_dist *tg_dist_init(int *argc, char ***argv);
/* Works over a duplicate of comm, in an MPI the caller initialized (and
 * finalizes); installs no signal handler. */
TG_API tg_dist *tg_dist_from_comm(MPI_Comm comm);
/* Removes the hooks tg_dist_attach registered (tg_remove_hooks: every hook
 * of those parameters), frees d, and finalizes MPI if tg_dist_init
 * initialized it. Collective; NULL is ignored. */
TG_API void tg_dist_free(tg_dist *d);

/* Local (not collective). */
TG_API int tg_dist_rank(const tg_dist *d);    /* 0 .. size - 1; -1 for NULL */
TG_API int tg_dist_size(const tg_dist *d);    /* number of ranks; 0 for NULL */
TG_API MPI_Comm tg_dist_comm(const tg_dist *d);
/* Gradient synchronizations done, counting the one in progress: the step
 * that messages name. */
TG_API int64_t tg_dist_step(const tg_dist *d);
/* Threads each rank should run so that the ranks on one machine do not
 * oversubscribe its cores: the cores this process may run on (its affinity
 * mask, which mpirun may have narrowed) but at most the machine's cores
 * divided by the ranks on it (OMPI_COMM_WORLD_LOCAL_SIZE, or the size of
 * the shared-memory group of the communicator), and at least 1. */
TG_API int tg_dist_threads_per_rank(const tg_dist *d);

/* Agreement on success: returns TG_OK where rc is TG_OK on every rank;
 * otherwise every rank returns the code of the lowest-numbered rank whose rc
 * is negative, with that rank's tg_last_error() as its own message, prefixed
 * "rank R: ". Collective. */
TG_API int tg_dist_agree(tg_dist *d, int rc);

/* Sums n doubles elementwise across the ranks, in place, every rank getting
 * the sums (metrics). Collective. */
TG_API int tg_dist_sum(tg_dist *d, double *values, int n);

/* Copies the values of every tensor of params (parameters and buffers)
 * from rank 0 to the others. Fails on every rank, before copying, if the
 * ranks' registries differ in names, dtypes or shapes. Collective. */
TG_API int tg_dist_broadcast(tg_dist *d, tg_params *params);

/* ---- gradient averaging ------------------------------------------------------ */

typedef struct {
    /* a bucket's gradient bytes, at least; 0: 25 MiB, DDP's default. One
     * parameter larger than this is a bucket of its own */
    size_t bucket_bytes;
    /* start each bucket's allreduce from the hooks, during the sweep; false
     * starts them all in tg_dist_sync, after it (to measure what overlap
     * gains) */
    bool overlap;
} tg_dist_options;

TG_API tg_dist_options tg_dist_defaults(void); /* 25 MiB buckets, overlap on */

/* Buckets the parameters of params that require grad and registers their
 * hooks. Once per tg_dist; params must outlive d (or tg_dist_free) and must
 * not gain parameters meanwhile. options NULL: tg_dist_defaults(). */
TG_API int tg_dist_attach(tg_dist *d, tg_params *params, const tg_dist_options *options);

/* The samples of the next backward on this rank and in the global batch:
 * this rank's gradient is weighted local / global. Until it is called the
 * weight is 1 / size (a plain average). Local. */
TG_API int tg_dist_set_batch(tg_dist *d, int64_t local, int64_t global);

/* After a backward: completes the buckets' allreduces and replaces each
 * attached parameter's gradient by the weighted sum over the ranks. Fails on
 * every rank (with the step in the message) if a parameter received no
 * gradient on some rank, or some rank called tg_dist_fail_step. Allocates
 * nothing. */
TG_API int tg_dist_sync(tg_dist *d);

/* For a rank whose step failed before its tg_dist_sync (its error set): takes
 * its part in the step's allreduces with a mark of failure, so that the
 * other ranks' tg_dist_sync fails instead of waiting, then returns
 * tg_dist_agree's code. Every rank must then call tg_dist_agree(d, rc) with
 * its own failure. Collective with the other ranks' tg_dist_sync. */
TG_API int tg_dist_fail_step(tg_dist *d);

typedef struct {
    int64_t syncs;          /* tg_dist_sync calls that succeeded */
    int buckets;            /* number of buckets */
    int64_t bytes_per_sync; /* gradient bytes each rank sends into an allreduce */
    double wait_seconds;    /* spent in tg_dist_sync waiting for allreduces */
    double hook_seconds;    /* spent in the hooks (copies, starts, progress) */
} tg_dist_stats;

/* This rank's counters since tg_dist_attach. Local. */
TG_API int tg_dist_stats_get(const tg_dist *d, tg_dist_stats *out);

/* ---- data sharding ------------------------------------------------------------- */

/* A distributed sampler: the batcher of tapegrad/data.h split across ranks.
 * Every rank draws the same permutation of the data set per epoch (the same
 * one a tg_batcher of the same seed draws, so one rank reproduces a
 * single-process run) and takes its part of each global batch of
 * global_batch samples: rank r of N gets positions [r c / N, (r + 1) c / N)
 * of a batch of c samples, so the shares differ by at most one. The last,
 * smaller batch of an epoch is kept unless TG_BATCH_DROP_LAST is given, or
 * it has fewer samples than there are ranks (then it is dropped: some rank
 * would have none). flags: TG_BATCH_SHUFFLE, TG_BATCH_DROP_LAST. */
typedef struct tg_dist_sampler tg_dist_sampler;

TG_API tg_dist_sampler *tg_dist_sampler_new(const tg_dist *d, const tg_dataset *data,
                                            int64_t global_batch, unsigned flags, uint64_t seed);
TG_API void tg_dist_sampler_free(tg_dist_sampler *s); /* NULL is ignored */
/* As tg_batcher_next, with this rank's part of the batch; *global_count (may
 * be NULL) receives the samples of the whole batch. Local. */
TG_API int tg_dist_sampler_next(tg_dist_sampler *s, tg_dtype dtype, tg_tensor **x,
                                const int64_t **labels, int64_t *count, int64_t *global_count);
TG_API int64_t tg_dist_sampler_batches(const tg_dist_sampler *s); /* per epoch */
TG_API int64_t tg_dist_sampler_epoch(const tg_dist_sampler *s);   /* epochs completed */
/* Where the sampler stands and a move there, as tg_batcher_position and
 * tg_batcher_seek: for resuming a run. Local. */
TG_API int tg_dist_sampler_position(const tg_dist_sampler *s, int64_t *epoch, int64_t *batch);
TG_API int tg_dist_sampler_seek(tg_dist_sampler *s, int64_t epoch, int64_t batch);

/* ---- training ------------------------------------------------------------------ */

/* tg_train_epoch across ranks: this rank's part of each global batch through
 * model, cross-entropy averaged over it, backward, tg_dist_sync, optimizer
 * step, and then rank 0's buffers (batch norm's running statistics, which
 * each rank updates from its own samples) copied to every rank, as DDP's
 * broadcast_buffers does. stats are the global ones (loss and accuracy over every rank's
 * samples, samples summed; seconds this rank's). on_batch, if not NULL,
 * sees this rank's running statistics. If *stop becomes non-zero on any rank
 * the epoch ends on every rank after the same batch. A failure on one rank
 * fails all of them with that rank's message. d must be attached. */
TG_API int tg_dist_train_epoch(tg_dist *d, tg_model *model, tg_optim *optim,
                               tg_dist_sampler *sampler, const volatile sig_atomic_t *stop,
                               tg_batch_callback on_batch, void *user, tg_epoch_stats *stats);

/* tg_evaluate of each rank's contiguous share of data, the sums reduced. */
TG_API int tg_dist_evaluate(tg_dist *d, tg_model *model, const tg_dataset *data,
                            int64_t batch_size, tg_epoch_stats *stats);

/* tg_checkpoint_save on rank 0 only (atomic as there); every rank returns
 * its result. The parameters are the same on every rank, so one file is the
 * whole state. */
TG_API int tg_dist_checkpoint_save(tg_dist *d, const tg_params *params, const char *path,
                                   const char *const *metadata);

#ifdef __cplusplus
}
#endif
#endif
