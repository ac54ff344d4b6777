/* train_dist.c -- tg train's batches and epochs, in one process or across
 * the ranks of an MPI job (train_dist.h). */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <tapegrad/function.h>

#include "train_dist.h"
#include "trainer.h"

#ifdef TG_HAVE_DIST
#include <tapegrad/dist.h>
#endif

struct distributed {
#ifdef TG_HAVE_DIST
    tg_dist *dist;
    tg_dist_sampler *sampler;
#endif
    tg_batcher *batcher; /* one process */
};

/* The single-process run keeps a distributed too, for its batcher. */
static distributed single;

static bool launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

bool distributed_start(distributed **out, diag *d)
{
    *out = &single;
#ifdef TG_HAVE_DIST
    if (!launched_by_mpi())
        return true;
    distributed *dist = calloc(1, sizeof *dist);
    if (!dist || !(dist->dist = tg_dist_init(NULL, NULL))) {
        diag_plain(d, "tg train: %s", dist ? tg_last_error() : "out of memory");
        free(dist);
        return false;
    }
    if (!getenv("OMP_NUM_THREADS"))
        tg_set_num_threads(tg_dist_threads_per_rank(dist->dist));
    if (tg_dist_rank(dist->dist) != 0 && !freopen("/dev/null", "w", stdout))
        diag_plain(d, "tg train: rank %d: cannot silence the standard output",
                   tg_dist_rank(dist->dist));
    *out = dist;
    return !d->set;
#else
    (void)d;
    if (launched_by_mpi())
        fprintf(stderr, "tg train: started by an MPI launcher, but this tg was built without "
                        "MPI: every rank trains a model of its own\n");
    return true;
#endif
}

void distributed_end(distributed *dist)
{
    tg_batcher_free(dist->batcher);
    dist->batcher = NULL;
#ifdef TG_HAVE_DIST
    if (dist == &single)
        return;
    tg_dist_sampler_free(dist->sampler);
    tg_dist_free(dist->dist);
    free(dist);
#endif
}

bool distributed_is_root(const distributed *dist)
{
#ifdef TG_HAVE_DIST
    return dist == &single || tg_dist_rank(dist->dist) == 0;
#else
    (void)dist;
    return true;
#endif
}

bool distributed_agree(distributed *dist, bool ok, diag *d)
{
#ifdef TG_HAVE_DIST
    if (dist == &single)
        return ok;
    /* tg's own checks report through d, the library's through its error */
    if (!ok && d->set) {
        tg_clear_error();
        tg_set_error(TG_EVALUE, "%s", d->message);
    }
    if (tg_dist_agree(dist->dist, ok ? TG_OK : tg_last_error_code() ? tg_last_error_code()
                                                                    : TG_EVALUE) == 0)
        return true;
    d->set = false;
    return library_failed(d);
#else
    (void)dist, (void)d;
    return ok;
#endif
}

bool distributed_prepare(distributed *dist, tg_model *model, const tg_dataset *train,
                         int64_t batch, uint64_t seed, tg_loss_kind loss, diag *d)
{
#ifdef TG_HAVE_DIST
    if (dist != &single && loss != TG_LOSS_CE) {
        diag_plain(d, "tg train: under mpirun the ranks train with --loss ce only; --loss %s "
                      "trains in one process", tg_loss_name(loss));
        return false;
    }
    if (dist != &single) {
        tg_params *params = tg_model_params(model);
        int rc = tg_dist_broadcast(dist->dist, params);
        if (rc == 0)
            rc = tg_dist_attach(dist->dist, params, NULL);
        if (rc == 0 && !(dist->sampler = tg_dist_sampler_new(dist->dist, train, batch,
                                                              TG_BATCH_SHUFFLE, seed)))
            rc = tg_last_error_code();
        return distributed_agree(dist, rc == 0, d);
    }
#else
    (void)loss;
#endif
    dist->batcher = tg_batcher_new(train, batch, TG_BATCH_SHUFFLE, seed);
    return dist->batcher ? true : library_failed(d);
}

int distributed_train_epoch(distributed *dist, tg_model *model, tg_optim *optim,
                            tg_loss_kind loss, const volatile sig_atomic_t *stop,
                            tg_batch_callback on_batch, void *user, tg_epoch_stats *stats)
{
#ifdef TG_HAVE_DIST
    if (dist != &single)
        return tg_dist_train_epoch(dist->dist, model, optim, dist->sampler, stop, on_batch, user,
                                   stats);
#endif
    return tg_train_epoch_loss(model, optim, dist->batcher, loss, stop, on_batch, user, stats);
}

int distributed_evaluate(distributed *dist, tg_model *model, const tg_dataset *data,
                         tg_loss_kind loss, tg_epoch_stats *stats)
{
#ifdef TG_HAVE_DIST
    if (dist != &single)
        return tg_dist_evaluate(dist->dist, model, data, EVAL_BATCH, stats);
#endif
    return tg_evaluate_loss(model, data, EVAL_BATCH, loss, stats, NULL);
}

bool distributed_position(const distributed *dist, int64_t *epoch, int64_t *batch, diag *d)
{
#ifdef TG_HAVE_DIST
    if (dist != &single)
        return tg_dist_sampler_position(dist->sampler, epoch, batch) == 0 || library_failed(d);
#endif
    return tg_batcher_position(dist->batcher, epoch, batch) == 0 || library_failed(d);
}

bool distributed_seek(distributed *dist, int64_t epoch, int64_t batch, diag *d)
{
#ifdef TG_HAVE_DIST
    if (dist != &single) /* local: the ranks seek to one place, and fail alike */
        return tg_dist_sampler_seek(dist->sampler, epoch, batch) == 0 || library_failed(d);
#endif
    return tg_batcher_seek(dist->batcher, epoch, batch) == 0 || library_failed(d);
}

int distributed_rank(const distributed *dist)
{
#ifdef TG_HAVE_DIST
    if (dist != &single)
        return tg_dist_rank(dist->dist);
#endif
    (void)dist;
    return 0;
}

int distributed_size(const distributed *dist)
{
#ifdef TG_HAVE_DIST
    if (dist != &single)
        return tg_dist_size(dist->dist);
#endif
    (void)dist;
    return 1;
}

bool distributed_gather(distributed *dist, const uint64_t *mine, int n, uint64_t *all, diag *d)
{
#ifdef TG_HAVE_DIST
    if (dist != &single) {
        int mrc = MPI_Allgather(mine, n, MPI_UINT64_T, all, n, MPI_UINT64_T,
                                tg_dist_comm(dist->dist));
        if (mrc == MPI_SUCCESS)
            return true;
        diag_plain(d, "tg train: rank %d: MPI_Allgather failed (%d)", tg_dist_rank(dist->dist),
                   mrc);
        return false;
    }
#endif
    (void)d;
    memcpy(all, mine, (size_t)n * sizeof *all);
    return true;
}
