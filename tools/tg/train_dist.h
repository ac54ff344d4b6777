/*
 * train_dist.h -- `tg train` as one process or as one rank of an mpirun job
 * (tapegrad/dist.h, where tg was built with MPI). The run calls these
 * instead of the batcher and the single-process epoch; each dispatches.
 *
 * A job is recognized by the variables its launcher sets (mpirun's
 * OMPI_COMM_WORLD_SIZE, or PMI_SIZE / PMIX_RANK for srun and other MPIs);
 * tg then initializes MPI, runs tg_dist_threads_per_rank threads unless
 * OMP_NUM_THREADS says otherwise, and prints only on rank 0: the other
 * ranks' standard output goes to /dev/null.
 */
#ifndef TG_TRAIN_DIST_H
#define TG_TRAIN_DIST_H

#include <tapegrad/nn.h>

#include "tg.h"

typedef struct distributed distributed; /* NULL: one process */

/* The job's tg_dist if tg runs under a launcher, else NULL. Fails (false,
 * d set) if MPI cannot start. */
bool distributed_start(distributed **out, diag *d);
void distributed_end(distributed *dist);
bool distributed_is_root(const distributed *dist); /* rank 0, or one process */

/* ok on every rank, or false everywhere with the first failing rank's
 * message in d (ranks fail the same way; a set-up one rank could not do --
 * an unreadable file -- stops them all). One process: ok as it is. */
bool distributed_agree(distributed *dist, bool ok, diag *d);

/* Makes the batches of a run: a batcher, or rank 0's parameters on every
 * rank, the gradient hooks and a sampler of global batches of batch. A job
 * of ranks trains with cross-entropy only (tg_dist_train_epoch's loss):
 * another loss is refused here, before any training. */
bool distributed_prepare(distributed *dist, tg_model *model, const tg_dataset *train,
                         int64_t batch, uint64_t seed, tg_loss_kind loss, diag *d);
int distributed_train_epoch(distributed *dist, tg_model *model, tg_optim *optim,
                            tg_loss_kind loss, const volatile sig_atomic_t *stop,
                            tg_batch_callback on_batch, void *user, tg_epoch_stats *stats);
int distributed_evaluate(distributed *dist, tg_model *model, const tg_dataset *data,
                         tg_loss_kind loss, tg_epoch_stats *stats);

/* Where the batches stand (epochs done, batches into the next; the same on
 * every rank), and a move there, for --state and --resume. Local. */
bool distributed_position(const distributed *dist, int64_t *epoch, int64_t *batch, diag *d);
bool distributed_seek(distributed *dist, int64_t epoch, int64_t batch, diag *d);
/* This process's rank and the job's size: 0 and 1 for one process. */
int distributed_rank(const distributed *dist);
int distributed_size(const distributed *dist);
/* Every rank's n words, rank after rank, into all (size n words); for one
 * process, its own. Collective. */
bool distributed_gather(distributed *dist, const uint64_t *mine, int n, uint64_t *all, diag *d);

#endif
