/* dist.c -- data-parallel training on MPI (tapegrad/dist.h): the
 * communicator, agreement on failures, broadcast, bucketed gradient
 * averaging overlapped with the sweep, the distributed sampler and the
 * distributed training epoch. Built into libtapegrad_dist, on the public API
 * of libtapegrad only. */
#define _GNU_SOURCE /* sched_getaffinity and CPU_COUNT */
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tapegrad/dist.h>
#include <tapegrad/hooks.h>
#include <tapegrad/function.h>

/* Each bucket ends with these counters, summed with the gradients by the
 * same allreduce, so that a step's success, a failure on some rank and a
 * request to stop reach every rank at no extra message. */
enum { MARK_COMPLETE, MARK_FAILED, MARK_STOP, N_MARKS };

#define DEFAULT_BUCKET_BYTES ((size_t)25 << 20)
#define MESSAGE_MAX 512

typedef struct {
    tg_dist *dist;   /* for the hook, which gets the slot */
    tg_tensor *param;
    const char *name;
    int bucket;
    int64_t offset;  /* of its first gradient value in the bucket */
    int64_t round;   /* the last round its gradient entered; -1 before */
} slot;

typedef struct {
    tg_dtype dtype;
    void *data;      /* count gradient values, then N_MARKS counters */
    int64_t count;
    int n_params, ready;
    bool started, done;
    MPI_Request request;
} bucket;

struct tg_dist {
    MPI_Comm comm;
    int rank, size, local_size;
    bool owns_mpi;
    int64_t round;   /* synchronizations completed */
    double weight;   /* of this rank's gradient in the sum */
    bool failing, stop_requested, stop_agreed;
    tg_dist_options options;
    slot *slots;
    bucket *buckets;
    int n_slots, n_buckets;
    int next_start;  /* the first bucket of this round not started */
    int next_done;   /* the first started bucket not known to be done */
    tg_dist_stats stats;
};

/* ---- the communicator ------------------------------------------------------ */

/* Fails with a message naming the rank, the step and MPI's reason. */
static int mpi_failed(const tg_dist *d, const char *fn, const char *call, int code)
{
    char reason[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, reason, &len) != MPI_SUCCESS)
        snprintf(reason, sizeof reason, "MPI error %d", code);
    return tg_set_error(TG_EIO, "%s: rank %d, step %lld: %s failed: %s", fn, d->rank,
                        (long long)tg_dist_step(d), call, reason);
}

static int shared_memory_size(MPI_Comm comm)
{
    MPI_Comm local;
    int size = 1;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local) ==
        MPI_SUCCESS) {
        MPI_Comm_size(local, &size);
        MPI_Comm_free(&local);
    }
    return size;
}

static tg_dist *dist_over(MPI_Comm comm, const char *fn)
{
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
        tg_set_error(TG_ESTATE, "%s: MPI is not initialized", fn);
        return NULL;
    }
    tg_dist *d = tg_mem_alloc(sizeof *d);
    if (!d) {
        tg_set_error(TG_ENOMEM, "%s: out of memory", fn);
        return NULL;
    }
    *d = (tg_dist){.options = tg_dist_defaults()};
    int rc = MPI_Comm_dup(comm, &d->comm);
    if (rc != MPI_SUCCESS) {
        mpi_failed(d, fn, "MPI_Comm_dup", rc);
        tg_mem_free(d, sizeof *d);
        return NULL;
    }
    /* errors come back as codes, for messages naming the rank and step */
    MPI_Comm_set_errhandler(d->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(d->comm, &d->rank);
    MPI_Comm_size(d->comm, &d->size);
    d->local_size = shared_memory_size(d->comm);
    d->weight = 1.0 / d->size;
    return d;
}

/* What the SIGTERM handler reports; one tg_dist per process makes sense. */
static volatile sig_atomic_t term_rank = -1;
static volatile int64_t term_step;

static size_t format_int(char *buf, int64_t v)
{
    char digits[24];
    size_t n = 0, len = 0;
    if (v < 0) {
        buf[len++] = '-';
        v = -v;
    }
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (n > 0)
        buf[len++] = digits[--n];
    return len;
}

/* Async-signal-safe: write(2) of a message formatted by hand, then the
 * default action. */
static void on_terminate(int signal_number)
{
    char msg[96] = "tg_dist: rank ";
    size_t len = strlen(msg);
    len += format_int(msg + len, term_rank);
    memcpy(msg + len, " terminated at step ", 20);
    len += 20;
    len += format_int(msg + len, term_step);
    msg[len++] = '\n';
    ssize_t written = write(STDERR_FILENO, msg, len);
    (void)written;
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

static void report_termination(const tg_dist *d)
{
    struct sigaction current;
    if (sigaction(SIGTERM, NULL, &current) != 0 || current.sa_handler != SIG_DFL)
        return;
    term_rank = d->rank;
    term_step = 1;
    struct sigaction action = {0};
    action.sa_handler = on_terminate;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
}

tg_dist *tg_dist_init(int *argc, char ***argv)
{
    int initialized = 0, provided = 0;
    MPI_Initialized(&initialized);
    if (!initialized && MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        tg_set_error(TG_EIO, "tg_dist_init: MPI_Init_thread failed");
        return NULL;
    }
    tg_dist *d = dist_over(MPI_COMM_WORLD, "tg_dist_init");
    if (!d) {
        if (!initialized)
            MPI_Finalize();
        return NULL;
    }
    d->owns_mpi = !initialized;
    report_termination(d);
    return d;
}

tg_dist *tg_dist_from_comm(MPI_Comm comm) { return dist_over(comm, "tg_dist_from_comm"); }

static size_t dtype_size(tg_dtype dtype) { return dtype == TG_F32 ? sizeof(float) : sizeof(double); }

static MPI_Datatype mpi_type(tg_dtype dtype) { return dtype == TG_F32 ? MPI_FLOAT : MPI_DOUBLE; }

static void free_buckets(tg_dist *d)
{
    for (int b = 0; b < d->n_buckets; b++)
        tg_mem_free(d->buckets[b].data,
                    (size_t)(d->buckets[b].count + N_MARKS) * dtype_size(d->buckets[b].dtype));
    for (int k = 0; k < d->n_slots; k++)
        tg_remove_hooks(d->slots[k].param);
    tg_mem_free(d->buckets, (size_t)d->n_slots * sizeof *d->buckets);
    tg_mem_free(d->slots, (size_t)d->n_slots * sizeof *d->slots);
    d->buckets = NULL;
    d->slots = NULL;
    d->n_buckets = d->n_slots = 0;
}

void tg_dist_free(tg_dist *d)
{
    if (!d)
        return;
    free_buckets(d);
    MPI_Comm_free(&d->comm);
    bool finalize = d->owns_mpi;
    tg_mem_free(d, sizeof *d);
    if (finalize)
        MPI_Finalize();
}

int tg_dist_rank(const tg_dist *d) { return d ? d->rank : -1; }
int tg_dist_size(const tg_dist *d) { return d ? d->size : 0; }
MPI_Comm tg_dist_comm(const tg_dist *d) { return d ? d->comm : MPI_COMM_NULL; }
int64_t tg_dist_step(const tg_dist *d) { return d ? d->round + 1 : 0; }

int tg_dist_threads_per_rank(const tg_dist *d)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    long local = env ? strtol(env, NULL, 10) : 0;
    if (local < 1)
        local = d ? d->local_size : 1;
    long threads = online / local;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) < threads)
        threads = CPU_COUNT(&allowed);
    return threads < 1 ? 1 : (int)threads;
}

/* ---- agreement ------------------------------------------------------------- */

int tg_dist_agree(tg_dist *d, int rc)
{
    if (!d)
        return tg_set_error(TG_ENULL, "tg_dist_agree: d is NULL");
    int mine = rc < 0 ? d->rank : d->size, first = d->size;
    int mrc = MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, d->comm);
    if (mrc != MPI_SUCCESS)
        return mpi_failed(d, "tg_dist_agree", "MPI_Allreduce", mrc);
    if (first == d->size)
        return TG_OK;
    char message[MESSAGE_MAX] = "";
    int code = rc;
    if (d->rank == first)
        snprintf(message, sizeof message, "%s", tg_last_error());
    if ((mrc = MPI_Bcast(message, MESSAGE_MAX, MPI_CHAR, first, d->comm)) != MPI_SUCCESS ||
        (mrc = MPI_Bcast(&code, 1, MPI_INT, first, d->comm)) != MPI_SUCCESS)
        return mpi_failed(d, "tg_dist_agree", "MPI_Bcast", mrc);
    tg_clear_error();
    return tg_set_error(code, "rank %d: %s", first, message);
}

int tg_dist_sum(tg_dist *d, double *values, int n)
{
    if (!d || !values)
        return tg_set_error(TG_ENULL, "tg_dist_sum: %s is NULL", d ? "values" : "d");
    if (n < 1)
        return tg_set_error(TG_EVALUE, "tg_dist_sum: %d values (must be positive)", n);
    int rc = MPI_Allreduce(MPI_IN_PLACE, values, n, MPI_DOUBLE, MPI_SUM, d->comm);
    return rc == MPI_SUCCESS ? TG_OK : mpi_failed(d, "tg_dist_sum", "MPI_Allreduce", rc);
}

/* ---- broadcast ------------------------------------------------------------- */

static uint64_t fnv_bytes(uint64_t h, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h;
}

/* A hash of every name, dtype and shape, in order: equal on every rank
 * exactly when the registries have the same layout (up to collisions). */
static uint64_t layout_hash(const tg_params *params)
{
    uint64_t h = 14695981039346656037u;
    for (int k = 0; k < tg_params_count(params); k++) {
        const char *name;
        const tg_tensor *t = tg_params_at(params, k, &name);
        int ndim = tg_ndim(t);
        tg_dtype dtype = tg_dtype_of(t);
        h = fnv_bytes(h, name, strlen(name) + 1);
        h = fnv_bytes(h, &dtype, sizeof dtype);
        h = fnv_bytes(h, &ndim, sizeof ndim);
        h = fnv_bytes(h, tg_shape(t), (size_t)ndim * sizeof(int64_t));
    }
    return h;
}

static int check_same_layout(tg_dist *d, const tg_params *params)
{
    uint64_t h = layout_hash(params), range[2] = {h, ~h}; /* min of h, max of h */
    int64_t facts[2] = {tg_params_count(params), tg_params_numel(params)};
    int rc = MPI_Allreduce(MPI_IN_PLACE, range, 2, MPI_UINT64_T, MPI_MIN, d->comm);
    if (rc == MPI_SUCCESS)
        rc = MPI_Bcast(facts, 2, MPI_INT64_T, 0, d->comm);
    if (rc != MPI_SUCCESS)
        return mpi_failed(d, "tg_dist_broadcast", "MPI_Allreduce", rc);
    if (range[0] != ~range[1])
        return tg_set_error(TG_EVALUE,
                            "tg_dist_broadcast: the ranks' parameters differ in names, dtypes or "
                            "shapes (rank 0 has %lld tensors of %lld values); every rank must "
                            "build the same model",
                            (long long)facts[0], (long long)facts[1]);
    return TG_OK;
}

int tg_dist_broadcast(tg_dist *d, tg_params *params)
{
    if (!d || !params)
        return tg_set_error(TG_ENULL, "tg_dist_broadcast: %s is NULL", d ? "params" : "d");
    int rc = check_same_layout(d, params);
    for (int k = 0; rc == 0 && k < tg_params_count(params); k++) {
        tg_tensor *t = tg_params_at(params, k, NULL);
        if (tg_numel(t) > INT_MAX)
            return tg_set_error(TG_EVALUE, "tg_dist_broadcast: a tensor of %lld values is more "
                                "than one MPI message holds", (long long)tg_numel(t));
        int mrc = MPI_Bcast(tg_data(t), (int)tg_numel(t), mpi_type(tg_dtype_of(t)), 0, d->comm);
        if (mrc != MPI_SUCCESS)
            rc = mpi_failed(d, "tg_dist_broadcast", "MPI_Bcast", mrc);
    }
    return rc;
}

/* ---- buckets ---------------------------------------------------------------- */

tg_dist_options tg_dist_defaults(void)
{
    return (tg_dist_options){.bucket_bytes = DEFAULT_BUCKET_BYTES, .overlap = true};
}

/* Slots for the parameters that require grad, last registered first. */
static int collect_slots(tg_dist *d, tg_params *params)
{
    int n = 0;
    for (int k = 0; k < tg_params_count(params); k++)
        n += tg_requires_grad(tg_params_at(params, k, NULL));
    if (n == 0)
        return tg_set_error(TG_EVALUE, "tg_dist_attach: no parameter requires grad");
    d->slots = tg_mem_alloc((size_t)n * sizeof *d->slots);
    d->buckets = tg_mem_alloc((size_t)n * sizeof *d->buckets);
    if (!d->slots || !d->buckets) {
        tg_mem_free(d->slots, (size_t)n * sizeof *d->slots);
        tg_mem_free(d->buckets, (size_t)n * sizeof *d->buckets);
        d->slots = NULL;
        d->buckets = NULL;
        return tg_set_error(TG_ENOMEM, "tg_dist_attach: out of memory for %d parameters", n);
    }
    d->n_slots = n;
    for (int k = tg_params_count(params) - 1, s = 0; k >= 0; k--) {
        const char *name;
        tg_tensor *t = tg_params_at(params, k, &name);
        if (tg_requires_grad(t))
            d->slots[s++] = (slot){d, t, name, -1, 0, -1};
    }
    return TG_OK;
}

/* Fills buckets in slot order: a new one where the dtype changes or the
 * next parameter would pass bucket_bytes. */
static void assign_buckets(tg_dist *d)
{
    for (int s = 0; s < d->n_slots; s++) {
        tg_tensor *t = d->slots[s].param;
        tg_dtype dtype = tg_dtype_of(t);
        bucket *last = d->n_buckets ? &d->buckets[d->n_buckets - 1] : NULL;
        size_t bytes = last ? (size_t)(last->count + tg_numel(t)) * dtype_size(dtype) : 0;
        if (!last || last->dtype != dtype || bytes > d->options.bucket_bytes) {
            last = &d->buckets[d->n_buckets++];
            *last = (bucket){.dtype = dtype, .request = MPI_REQUEST_NULL};
        }
        d->slots[s].bucket = d->n_buckets - 1;
        d->slots[s].offset = last->count;
        last->count += tg_numel(t);
        last->n_params++;
    }
}

static int allocate_buckets(tg_dist *d)
{
    for (int b = 0; b < d->n_buckets; b++) {
        bucket *k = &d->buckets[b];
        if (k->count + N_MARKS > INT_MAX)
            return tg_set_error(TG_EVALUE, "tg_dist_attach: a bucket of %lld values is more "
                                "than one MPI message holds; lower bucket_bytes",
                                (long long)k->count);
        k->data = tg_mem_alloc((size_t)(k->count + N_MARKS) * dtype_size(k->dtype));
        if (!k->data)
            return tg_set_error(TG_ENOMEM, "tg_dist_attach: out of memory for a bucket of %lld "
                                "values", (long long)k->count);
    }
    return TG_OK;
}

static tg_tensor *on_gradient(tg_tensor *t, tg_tensor *grad, void *ud);

int tg_dist_attach(tg_dist *d, tg_params *params, const tg_dist_options *options)
{
    if (!d || !params)
        return tg_set_error(TG_ENULL, "tg_dist_attach: %s is NULL", d ? "params" : "d");
    if (d->slots)
        return tg_set_error(TG_ESTATE, "tg_dist_attach: already attached");
    d->options = options ? *options : tg_dist_defaults();
    if (d->options.bucket_bytes == 0)
        d->options.bucket_bytes = DEFAULT_BUCKET_BYTES;
    int rc = collect_slots(d, params);
    if (rc < 0)
        return rc;
    assign_buckets(d);
    rc = allocate_buckets(d);
    for (int s = 0; rc == 0 && s < d->n_slots; s++)
        rc = tg_register_hook(d->slots[s].param, on_gradient, &d->slots[s]);
    if (rc < 0) {
        free_buckets(d);
        return rc;
    }
    d->stats = (tg_dist_stats){.buckets = d->n_buckets};
    for (int b = 0; b < d->n_buckets; b++)
        d->stats.bytes_per_sync += d->buckets[b].count * (int64_t)dtype_size(d->buckets[b].dtype);
    return TG_OK;
}

/* ---- one round: hooks fill buckets, allreduces, tg_dist_sync ---------------- */

static void set_marks(const tg_dist *d, bucket *b)
{
    double marks[N_MARKS] = {[MARK_COMPLETE] = b->ready == b->n_params && !d->failing,
                             [MARK_FAILED] = d->failing,
                             [MARK_STOP] = d->stop_requested};
    for (int m = 0; m < N_MARKS; m++) {
        if (b->dtype == TG_F32)
            ((float *)b->data)[b->count + m] = (float)marks[m];
        else
            ((double *)b->data)[b->count + m] = marks[m];
    }
}

static double mark(const bucket *b, int m)
{
    return b->dtype == TG_F32 ? ((const float *)b->data)[b->count + m]
                              : ((const double *)b->data)[b->count + m];
}

static int start_bucket(tg_dist *d, bucket *b, const char *fn)
{
    set_marks(d, b);
    b->started = true;
    int rc = MPI_Iallreduce(MPI_IN_PLACE, b->data, (int)(b->count + N_MARKS), mpi_type(b->dtype),
                            MPI_SUM, d->comm, &b->request);
    return rc == MPI_SUCCESS ? TG_OK : mpi_failed(d, fn, "MPI_Iallreduce", rc);
}

/* Starts the complete buckets that follow the started ones: in bucket
 * order, which is the same on every rank, as MPI wants of collectives. */
static int start_ready(tg_dist *d)
{
    while (d->next_start < d->n_buckets) {
        bucket *b = &d->buckets[d->next_start];
        if (b->ready < b->n_params)
            return TG_OK;
        d->next_start++;
        int rc = start_bucket(d, b, "tg_dist_sync");
        if (rc < 0)
            return rc;
    }
    return TG_OK;
}

/* Open MPI advances a non-blocking collective only inside MPI calls: a test
 * of the oldest one in flight from each hook keeps them moving while the
 * sweep computes. */
static int progress(tg_dist *d)
{
    while (d->next_done < d->next_start) {
        int finished = 0;
        int rc = MPI_Test(&d->buckets[d->next_done].request, &finished, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return mpi_failed(d, "tg_dist_sync", "MPI_Test", rc);
        if (!finished)
            return TG_OK;
        d->buckets[d->next_done++].done = true;
    }
    return TG_OK;
}

/* values[0..n) = weight (grad + g), in the bucket's dtype. */
static void copy_weighted(void *values, const tg_tensor *grad, const tg_tensor *g, double weight)
{
    int64_t n = tg_numel(g);
    if (tg_dtype_of(g) == TG_F32) {
        float *v = values, w = (float)weight;
        const float *x = tg_data(g), *acc = grad ? tg_data(grad) : NULL;
        for (int64_t i = 0; i < n; i++)
            v[i] = w * (acc ? acc[i] + x[i] : x[i]);
    } else {
        double *v = values;
        const double *x = tg_data(g), *acc = grad ? tg_data(grad) : NULL;
        for (int64_t i = 0; i < n; i++)
            v[i] = weight * (acc ? acc[i] + x[i] : x[i]);
    }
}

static char *value_at(const bucket *b, int64_t offset)
{
    return (char *)b->data + (size_t)offset * dtype_size(b->dtype);
}

static tg_tensor *on_gradient(tg_tensor *t, tg_tensor *g, void *ud)
{
    slot *s = ud;
    tg_dist *d = s->dist;
    double start = tg_perf_counter();
    if (s->round == d->round) {
        tg_set_error(TG_ESTATE, "tg_dist: rank %d, step %lld: a second gradient of '%s' before "
                     "tg_dist_sync; call it after every backward", d->rank,
                     (long long)tg_dist_step(d), s->name);
        return NULL;
    }
    bucket *b = &d->buckets[s->bucket];
    /* the gradient as the sweep will leave it: what the parameter had, plus g */
    copy_weighted(value_at(b, s->offset), tg_grad_tensor(t), g, d->weight);
    s->round = d->round;
    b->ready++;
    int rc = d->options.overlap ? start_ready(d) : TG_OK;
    if (rc == 0)
        rc = progress(d);
    d->stats.hook_seconds += tg_perf_counter() - start;
    return rc < 0 ? NULL : g;
}

int tg_dist_set_batch(tg_dist *d, int64_t local, int64_t global)
{
    if (!d)
        return tg_set_error(TG_ENULL, "tg_dist_set_batch: d is NULL");
    if (local < 0 || global < 1 || local > global)
        return tg_set_error(TG_EVALUE, "tg_dist_set_batch: %lld samples of a batch of %lld",
                            (long long)local, (long long)global);
    d->weight = (double)local / (double)global;
    return TG_OK;
}

/* A parameter whose gradient did not come contributes zeros; the first such
 * is named. */
static const char *fill_missing(tg_dist *d)
{
    const char *missing = NULL;
    for (int k = 0; k < d->n_slots; k++) {
        slot *s = &d->slots[k];
        if (s->round == d->round)
            continue;
        bucket *b = &d->buckets[s->bucket];
        memset(value_at(b, s->offset), 0, (size_t)tg_numel(s->param) * dtype_size(b->dtype));
        missing = missing ? missing : s->name;
    }
    return missing;
}

/* Starts what is left of the round and waits for all of it. */
static int complete_round(tg_dist *d)
{
    int rc = TG_OK;
    while (rc == 0 && d->next_start < d->n_buckets)
        rc = start_bucket(d, &d->buckets[d->next_start++], "tg_dist_sync");
    for (int b = d->next_done; rc == 0 && b < d->next_start; b++) {
        int mrc = MPI_Wait(&d->buckets[b].request, MPI_STATUS_IGNORE);
        if (mrc != MPI_SUCCESS)
            rc = mpi_failed(d, "tg_dist_sync", "MPI_Wait", mrc);
    }
    return rc;
}

static void write_back(tg_dist *d)
{
    for (int k = 0; k < d->n_slots; k++) {
        const slot *s = &d->slots[k];
        const bucket *b = &d->buckets[s->bucket];
        memcpy(tg_data(tg_grad_tensor(s->param)), value_at(b, s->offset),
               (size_t)tg_numel(s->param) * dtype_size(b->dtype));
    }
}

static void end_round(tg_dist *d)
{
    for (int b = 0; b < d->n_buckets; b++) {
        d->buckets[b].ready = 0;
        d->buckets[b].started = d->buckets[b].done = false;
    }
    d->next_start = d->next_done = 0;
    d->round++;
    d->failing = d->stop_requested = false;
    term_step = d->round + 1;
}

/* Every bucket's marks, summed over the ranks: did every rank deliver every
 * gradient, did any fail or ask to stop? */
static bool round_succeeded(tg_dist *d)
{
    bool ok = true;
    d->stop_agreed = false;
    for (int b = 0; b < d->n_buckets; b++) {
        const bucket *k = &d->buckets[b];
        ok = ok && mark(k, MARK_COMPLETE) == d->size && mark(k, MARK_FAILED) == 0;
        d->stop_agreed = d->stop_agreed || mark(k, MARK_STOP) > 0;
    }
    return ok;
}

static int check_attached(const tg_dist *d, const char *fn)
{
    if (!d)
        return tg_set_error(TG_ENULL, "%s: d is NULL", fn);
    if (!d->slots)
        return tg_set_error(TG_ESTATE, "%s: no parameters attached (tg_dist_attach)", fn);
    return TG_OK;
}

int tg_dist_sync(tg_dist *d)
{
    int rc = check_attached(d, "tg_dist_sync");
    if (rc < 0)
        return rc;
    double start = tg_perf_counter();
    const char *missing = fill_missing(d);
    rc = complete_round(d);
    if (rc < 0)
        return rc; /* MPI itself failed: no agreement can be reached through it */
    bool ok = round_succeeded(d);
    if (ok)
        write_back(d);
    else if (missing)
        rc = tg_set_error(TG_ESTATE, "tg_dist_sync: step %lld: parameter '%s' received no "
                          "gradient on rank %d; every rank must reach every parameter",
                          (long long)tg_dist_step(d), missing, d->rank);
    end_round(d);
    d->stats.wait_seconds += tg_perf_counter() - start;
    if (ok)
        d->stats.syncs++;
    return ok ? TG_OK : tg_dist_agree(d, rc);
}

int tg_dist_fail_step(tg_dist *d)
{
    int rc = check_attached(d, "tg_dist_fail_step");
    if (rc < 0)
        return rc;
    int failure = tg_last_error_code() < 0 ? tg_last_error_code() : TG_ESTATE;
    /* the buckets still to start carry the mark; if the sweep had started
     * them all, a round of its own does */
    bool marked = d->next_start < d->n_buckets;
    d->failing = true;
    rc = complete_round(d);
    end_round(d);
    if (rc == 0 && !marked) {
        d->failing = true;
        rc = complete_round(d);
        end_round(d);
    }
    return rc < 0 ? rc : tg_dist_agree(d, failure);
}

int tg_dist_stats_get(const tg_dist *d, tg_dist_stats *out)
{
    if (!d || !out)
        return tg_set_error(TG_ENULL, "tg_dist_stats_get: %s is NULL", d ? "out" : "d");
    *out = d->stats;
    return TG_OK;
}

/* ---- the distributed sampler ------------------------------------------------- */

struct tg_dist_sampler {
    const tg_dataset *data;
    int64_t n, batch;  /* data->n when made; the global batch, at most n */
    int rank, size;
    unsigned flags;
    uint64_t seed;
    tg_rng rng;        /* as tg_batcher's: epoch k's order depends on the seed and k */
    int64_t *order;    /* n indices */
    int64_t *labels;   /* this rank's labels of the current batch */
    int64_t next;      /* position in order of the next global batch */
    int64_t epoch;
    bool epoch_started;
};

/* Back to the state of a new sampler: the identity order, the seed's
 * generator, epoch 0. */
static void rewind_sampler(tg_dist_sampler *s)
{
    for (int64_t i = 0; i < s->n; i++)
        s->order[i] = i;
    tg_rng_seed(&s->rng, s->seed);
    s->next = s->epoch = 0;
    s->epoch_started = false;
}

static void start_sampler_epoch(tg_dist_sampler *s)
{
    if (s->flags & TG_BATCH_SHUFFLE)
        tg_rng_shuffle(&s->rng, s->order, s->n);
    s->next = 0;
    s->epoch_started = true;
}

static size_t sampler_bytes(const tg_dist_sampler *s)
{
    return (size_t)(s->n + s->batch / s->size + 1) * sizeof(int64_t);
}

tg_dist_sampler *tg_dist_sampler_new(const tg_dist *d, const tg_dataset *data,
                                     int64_t global_batch, unsigned flags, uint64_t seed)
{
    /* tg_batcher_new checks the data set, the batch and the flags alike */
    tg_batcher *probe = d ? tg_batcher_new(data, global_batch, flags, seed) : NULL;
    if (!d)
        tg_set_error(TG_ENULL, "tg_dist_sampler_new: d is NULL");
    if (!probe)
        return NULL;
    tg_batcher_free(probe);
    if (data->n < d->size) {
        tg_set_error(TG_EVALUE, "tg_dist_sampler_new: %lld samples cannot be shared by %d ranks",
                     (long long)data->n, d->size);
        return NULL;
    }
    tg_dist_sampler *s = tg_mem_alloc(sizeof *s);
    if (s) {
        *s = (tg_dist_sampler){.data = data, .n = data->n, .rank = d->rank, .size = d->size,
                               .flags = flags,
                               .batch = global_batch < data->n ? global_batch : data->n};
        s->order = tg_mem_alloc(sampler_bytes(s));
    }
    if (!s || !s->order) {
        tg_mem_free(s, sizeof *s);
        tg_set_error(TG_ENOMEM, "tg_dist_sampler_new: out of memory for %lld sample indices",
                     (long long)data->n);
        return NULL;
    }
    s->labels = s->order + s->n;
    s->seed = seed;
    rewind_sampler(s);
    return s;
}

void tg_dist_sampler_free(tg_dist_sampler *s)
{
    if (!s)
        return;
    tg_mem_free(s->order, sampler_bytes(s));
    tg_mem_free(s, sizeof *s);
}

/* Samples of the global batch at s->next; 0 when the epoch is over. */
static int64_t global_count(const tg_dist_sampler *s)
{
    int64_t left = s->n - s->next, count = left < s->batch ? left : s->batch;
    bool dropped = ((s->flags & TG_BATCH_DROP_LAST) && count < s->batch) || count < s->size;
    return dropped ? 0 : count;
}

static void fill_rows(const tg_dist_sampler *s, const int64_t *rows, int64_t count, tg_tensor *x)
{
    const tg_dataset *d = s->data;
    for (int64_t r = 0; r < count; r++) {
        const float *src = d->x + rows[r] * d->dim;
        if (tg_dtype_of(x) == TG_F32)
            memcpy((float *)tg_data(x) + r * d->dim, src, (size_t)d->dim * sizeof *src);
        else
            for (int64_t j = 0; j < d->dim; j++)
                ((double *)tg_data(x))[r * d->dim + j] = src[j];
        if (d->labels)
            s->labels[r] = d->labels[rows[r]];
    }
}

static int no_batch(int rc, tg_tensor **x, const int64_t **labels, int64_t *count,
                    int64_t *global)
{
    *x = NULL;
    if (labels)
        *labels = NULL;
    if (count)
        *count = 0;
    if (global)
        *global = 0;
    return rc;
}

int tg_dist_sampler_next(tg_dist_sampler *s, tg_dtype dtype, tg_tensor **x,
                         const int64_t **labels, int64_t *count, int64_t *global)
{
    if (!s || !x) {
        int rc = tg_set_error(TG_ENULL, "tg_dist_sampler_next: %s is NULL",
                              s ? "x" : "the sampler");
        return x ? no_batch(rc, x, labels, count, global) : rc;
    }
    if (dtype != TG_F32 && dtype != TG_F64)
        return no_batch(tg_set_error(TG_EDTYPE, "tg_dist_sampler_next: unknown dtype %d",
                                     (int)dtype), x, labels, count, global);
    if (!s->epoch_started)
        start_sampler_epoch(s);
    int64_t c = global_count(s);
    if (c == 0) {
        s->epoch++;
        s->epoch_started = false;
        return no_batch(0, x, labels, count, global);
    }
    int64_t lo = s->rank * c / s->size, hi = (s->rank + 1) * c / s->size;
    tg_tensor *batch = tg_empty(dtype, 2, (int64_t[]){hi - lo, s->data->dim}, false);
    if (!batch)
        return no_batch(TG_ENOMEM, x, labels, count, global);
    fill_rows(s, s->order + s->next + lo, hi - lo, batch);
    s->next += c;
    *x = batch;
    if (labels)
        *labels = s->data->labels ? s->labels : NULL;
    if (count)
        *count = hi - lo;
    if (global)
        *global = c;
    return 1;
}

int64_t tg_dist_sampler_batches(const tg_dist_sampler *s)
{
    if (!s)
        return 0;
    int64_t full = s->n / s->batch, rest = s->n % s->batch;
    bool last = rest >= s->size && !(s->flags & TG_BATCH_DROP_LAST);
    return full + last;
}

int64_t tg_dist_sampler_epoch(const tg_dist_sampler *s) { return s ? s->epoch : 0; }

int tg_dist_sampler_position(const tg_dist_sampler *s, int64_t *epoch, int64_t *batch)
{
    if (!s || !epoch || !batch)
        return tg_set_error(TG_ENULL, "tg_dist_sampler_position: %s is NULL",
                            s ? "an output" : "the sampler");
    bool over = s->epoch_started && global_count(s) == 0; /* the last batch returned */
    *epoch = s->epoch + over;
    *batch = s->epoch_started && !over ? s->next / s->batch : 0;
    return TG_OK;
}

int tg_dist_sampler_seek(tg_dist_sampler *s, int64_t epoch, int64_t batch)
{
    if (!s)
        return tg_set_error(TG_ENULL, "tg_dist_sampler_seek: the sampler is NULL");
    int64_t batches = tg_dist_sampler_batches(s);
    if (epoch < 0 || batch < 0 || batch >= batches)
        return tg_set_error(TG_EVALUE, "tg_dist_sampler_seek: epoch %lld, batch %lld (need epoch "
                            ">= 0 and a batch in 0..%lld)", (long long)epoch, (long long)batch,
                            (long long)batches - 1);
    rewind_sampler(s);
    for (int64_t e = 0; e < epoch; e++)
        start_sampler_epoch(s);
    s->epoch = epoch;
    s->epoch_started = false;
    if (batch > 0) {
        start_sampler_epoch(s);
        s->next = batch * s->batch;
    }
    return TG_OK;
}

/* ---- training and evaluation ------------------------------------------------- */

/* This rank's running sums, reduced at the end of an epoch. */
typedef struct {
    double loss_sum, correct, samples;
    double start;
} tally;

static void tally_stats(const tally *t, tg_epoch_stats *s)
{
    s->loss = t->samples > 0 ? t->loss_sum / t->samples : 0.0;
    s->accuracy = t->samples > 0 ? t->correct / t->samples : 0.0;
    s->samples = (int64_t)t->samples;
    s->seconds = tg_perf_counter() - t->start;
}

/* Forward and backward of this rank's part; a failure is carried into the
 * step's allreduces, so that every rank fails. */
/* Batch norm's running statistics move with each rank's own batches: after
 * every step rank 0's are copied to the others (DDP's broadcast_buffers), so
 * that evaluation, checkpoints and a resumed run see one set. Nothing is
 * sent for a model without buffers. */
static int broadcast_buffers(tg_dist *d, tg_model *model)
{
    tg_params *ps = tg_model_params(model);
    for (int k = 0; k < tg_params_count(ps); k++) {
        tg_tensor *t = tg_params_at(ps, k, NULL);
        if (tg_requires_grad(t))
            continue;
        int mrc = MPI_Bcast(tg_data(t), (int)tg_numel(t), mpi_type(tg_dtype_of(t)), 0, d->comm);
        if (mrc != MPI_SUCCESS)
            return mpi_failed(d, "tg_dist_train_epoch", "MPI_Bcast", mrc);
    }
    return TG_OK;
}

static int dist_step(tg_dist *d, tg_model *model, tg_optim *optim, tg_tensor *x,
                     const int64_t *labels, int64_t count, tally *t)
{
    tg_tensor *logits = tg_model_forward(model, x);
    tg_tensor *loss = logits ? tg_cross_entropy_loss(logits, labels, TG_REDUCTION_MEAN) : NULL;
    int rc = loss ? tg_backward(loss) : tg_last_error_code();
    if (rc < 0)
        return tg_dist_fail_step(d);
    if ((rc = tg_dist_sync(d)) < 0)
        return rc;
    if ((rc = tg_optim_step(optim)) < 0)
        return tg_dist_fail_step(d);
    if ((rc = broadcast_buffers(d, model)) < 0)
        return rc;
    t->loss_sum += tg_item(loss) * (double)count;
    t->correct += (double)llround(tg_accuracy(logits, labels) * (double)count);
    t->samples += (double)count;
    tg_optim_zero_grad(optim);
    tg_tape_reset();
    return TG_OK;
}

static int reduce_tally(tg_dist *d, tally *t, tg_epoch_stats *stats)
{
    double sums[3] = {t->loss_sum, t->correct, t->samples};
    int rc = tg_dist_sum(d, sums, 3);
    if (rc < 0)
        return rc;
    t->loss_sum = sums[0];
    t->correct = sums[1];
    t->samples = sums[2];
    tally_stats(t, stats);
    return TG_OK;
}

int tg_dist_train_epoch(tg_dist *d, tg_model *model, tg_optim *optim,
                        tg_dist_sampler *sampler, const volatile sig_atomic_t *stop,
                        tg_batch_callback on_batch, void *user, tg_epoch_stats *stats)
{
    int rc = check_attached(d, "tg_dist_train_epoch");
    if (rc == 0 && (!model || !optim || !sampler || !stats))
        rc = tg_set_error(TG_ENULL, "tg_dist_train_epoch: model, optim, sampler and stats are "
                          "required");
    if (rc < 0)
        return rc;
    tally t = {.start = tg_perf_counter()};
    memset(stats, 0, sizeof *stats);
    int64_t total = tg_dist_sampler_batches(sampler), done = 0, count, global;
    tg_tensor *x;
    const int64_t *labels;
    while ((rc = tg_dist_sampler_next(sampler, tg_model_dtype(model), &x, &labels, &count,
                                      &global)) > 0) {
        d->stop_requested = stop && *stop;
        rc = tg_dist_set_batch(d, count, global);
        rc = rc < 0 ? tg_dist_fail_step(d) : dist_step(d, model, optim, x, labels, count, &t);
        if (rc < 0)
            return rc; /* the tape stays: a reset would clear the error the caller reads */
        if (on_batch) {
            tally_stats(&t, stats);
            on_batch(++done, total, stats, user);
        }
        if (d->stop_agreed) {
            stats->stopped = true;
            break;
        }
    }
    if (rc < 0)
        return tg_dist_fail_step(d);
    bool stopped = stats->stopped;
    rc = reduce_tally(d, &t, stats);
    stats->stopped = stopped;
    return rc;
}

int tg_dist_evaluate(tg_dist *d, tg_model *model, const tg_dataset *data, int64_t batch_size,
                     tg_epoch_stats *stats)
{
    if (!d || !data || !stats)
        return tg_set_error(TG_ENULL, "tg_dist_evaluate: d, data and stats are required");
    if (data->n < d->size)
        return tg_set_error(TG_EVALUE, "tg_dist_evaluate: %lld samples cannot be shared by %d "
                            "ranks", (long long)data->n, d->size);
    int64_t lo = d->rank * data->n / d->size, hi = (d->rank + 1) * data->n / d->size;
    tg_dataset share = *data;
    share.x = data->x + lo * data->dim;
    share.labels = data->labels ? data->labels + lo : NULL;
    share.n = share.cap = hi - lo;
    double start = tg_perf_counter();
    int rc = tg_dist_agree(d, tg_evaluate(model, &share, batch_size, stats, NULL));
    if (rc < 0)
        return rc;
    tally t = {stats->loss * (double)stats->samples,
               (double)llround(stats->accuracy * (double)stats->samples), (double)stats->samples,
               start};
    return reduce_tally(d, &t, stats);
}

int tg_dist_checkpoint_save(tg_dist *d, const tg_params *params, const char *path,
                            const char *const *metadata)
{
    if (!d)
        return tg_set_error(TG_ENULL, "tg_dist_checkpoint_save: d is NULL");
    int rc = d->rank == 0 ? tg_checkpoint_save(params, path, metadata) : TG_OK;
    return tg_dist_agree(d, rc);
}
