/* suite_faults.c -- fault injection as SQLite does it (issue 18): for every k,
 * the k-th allocation fails, through a whole training step, a create-graph
 * sweep, a checkpoint save and load, each loader, and tg eval's model
 * loading. Each run must fail cleanly (a negative code and a message, or a
 * diagnostic that says out of memory) and leave the model, the output and
 * the files as they were; once k passes the allocations the operation needs,
 * it succeeds. Leaks are found by the valgrind and LeakSanitizer runs of
 * tools/test.sh, which run this suite too.
 *
 * The same allocator can rename a file over the checkpoint at the k-th
 * allocation, which is how tg eval's loads read two files (defect 2) and
 * printed unfilled bytes (defect 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <tapegrad/tapegrad.h>

#include "testutil.h"
#include "trainer.h"

/* ---- the allocator ---- */

static long count, fail_at = -1, swap_at = -1;
static const char *swap_from, *swap_to;

static void *faulty_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    long k = count++;
    if (k == swap_at)
        ck_assert_int_eq(rename(swap_from, swap_to), 0);
    return k == fail_at ? NULL : realloc(ptr, nsize);
}

static void install(void)
{
    tg_tape_destroy();
    tg_set_allocator(faulty_alloc, NULL);
}

static void uninstall(void)
{
    tg_tape_destroy();
    tg_set_allocator(NULL, NULL);
}

/* Arms the allocator: the k-th allocation from now fails. */
static void fail_kth(long k)
{
    count = 0;
    fail_at = k;
}

/* Whether the run since fail_kth reached its failing allocation. */
static bool fault_hit(void) { return fail_at >= 0 && count > fail_at; }

static void disarm(void) { fail_at = swap_at = -1; }

/* ---- helpers ---- */

static char scratch[64];

static void make_scratch(void)
{
    strcpy(scratch, "/tmp/tg_faults_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void remove_scratch(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", scratch);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *in_scratch(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", scratch, name);
    return p;
}

/* Every parameter value, in registry order, as doubles. */
static double *values_of(tg_params *p, int64_t *n)
{
    *n = tg_params_numel(p);
    double *v = malloc((size_t)*n * sizeof *v + 1);
    int64_t at = 0;
    for (int i = 0; i < tg_params_count(p); i++) {
        tg_tensor *t = tg_params_at(p, i, NULL);
        for (int64_t j = 0; j < tg_numel(t); j++)
            v[at++] = tg_get(t, j);
    }
    return v;
}

static void assert_values(tg_params *p, const double *want, int64_t n, long k)
{
    int64_t got_n;
    double *got = values_of(p, &got_n);
    ck_assert_int_eq(got_n, n);
    ck_assert_msg(memcmp(got, want, (size_t)n * sizeof *got) == 0,
                  "allocation %ld failed and the model changed", k);
    free(got);
}

/* A failure must be a negative code with a message naming a function. */
static void assert_clean_failure(int rc, long k)
{
    ck_assert_msg(rc < 0, "allocation %ld failed but the call returned %d", k, rc);
    ck_assert_msg(strstr(tg_last_error(), "tg_") == tg_last_error(),
                  "allocation %ld: message '%s'", k, tg_last_error());
}

/* ---- a training step ---- */

static int train_step(tg_model *m, tg_optim *o, tg_tensor *x, const int64_t *labels)
{
    tg_optim_zero_grad(o);
    tg_tensor *loss = tg_cross_entropy_loss(tg_model_forward(m, x), labels, TG_REDUCTION_MEAN);
    int rc = loss ? tg_backward(loss) : tg_last_error_code();
    if (rc == 0)
        rc = tg_optim_step(o);
    return rc;
}

START_TEST(every_allocation_of_a_training_step)
{
    install();
    tg_model *m = tg_mlp_new(TG_F32, 3, (int64_t[]){4, 8, 3}, TG_ACT_RELU, TG_ACT_LINEAR, 7);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    tg_optim *o = tg_optim_new(tg_model_params(m), &cfg);
    tu_assert_ok(o);
    const int64_t labels[5] = {0, 1, 2, 1, 0};
    long k = 0;
    for (;; k++) {
        int64_t n;
        double *before = values_of(tg_model_params(m), &n);
        tg_tensor *x = tu_rand(TG_F32, TU_SHAPE(5, 4), -1, 1, false);
        tu_assert_ok(x);
        fail_kth(k);
        int rc = train_step(m, o, x, labels);
        bool hit = fault_hit();
        disarm();
        if (!hit) {
            ck_assert_msg(rc == 0, "%s", tg_last_error());
            free(before);
            break;
        }
        assert_clean_failure(rc, k);
        assert_values(tg_model_params(m), before, n, k);
        free(before);
        tg_tape_reset();
    }
    ck_assert_int_gt(k, 5);
    /* the model trains on after all those failures */
    tg_tensor *x = tu_rand(TG_F32, TU_SHAPE(5, 4), -1, 1, false);
    ck_assert_int_eq(train_step(m, o, x, labels), 0);
    tg_optim_free(o);
    tg_model_free(m);
    uninstall();
}
END_TEST

/* ---- a create-graph sweep ---- */

START_TEST(every_allocation_of_a_create_graph_sweep)
{
    install();
    tg_tensor *w = tg_param(TG_F64, 1, (int64_t[]){3}, (double[]){0.5, -1, 2});
    long k = 0;
    for (;; k++) {
        /* a fresh tape each time, so that its own allocations (the tape, its
         * chunks, the node list) fail too: a warm tape allocates nothing */
        tg_tape_destroy();
        fail_kth(k);
        tg_tensor *x = tg_tensor_new(TG_F64, 1, (int64_t[]){3}, (double[]){1, 2, 3}, false);
        /* d/dw sum(tanh(w x)^2), then the gradient of that gradient's sum */
        tg_tensor *y = !x ? NULL : tg_sum(tg_square(tg_tanh(tg_mul(w, x)))), *g = NULL, *gg = NULL;
        int rc = y ? tg_grad_ex(&y, NULL, 1, &w, 1, &g, TG_CREATE_GRAPH) : tg_last_error_code();
        tg_tensor *s = rc == 0 ? tg_sum(g) : NULL;
        if (rc == 0)
            rc = s ? tg_grad_ex(&s, NULL, 1, &w, 1, &gg, 0) : tg_last_error_code();
        bool hit = fault_hit();
        disarm();
        if (!hit) {
            ck_assert_msg(rc == 0 && gg, "%s", tg_last_error());
            break;
        }
        assert_clean_failure(rc, k);
        ck_assert(tg_grad_tensor(w) == NULL); /* tg_grad leaves .grad alone */
    }
    ck_assert_int_gt(k, 2);
    tg_tape_reset();
    tg_free(w);
    uninstall();
}
END_TEST

/* ---- checkpoints ---- */

static tg_model *small_mlp(uint64_t seed)
{
    return tg_mlp_new(TG_F64, 3, (int64_t[]){3, 4, 2}, TG_ACT_TANH, TG_ACT_LINEAR, seed);
}

START_TEST(every_allocation_of_a_checkpoint_save_and_load)
{
    install();
    const char *path = in_scratch("m.safetensors");
    tg_model *m = small_mlp(1), *other = small_mlp(2);
    ck_assert_int_eq(tg_checkpoint_save(tg_model_params(other), path, NULL), 0);
    size_t old_len;
    unsigned char *old = tu_read_file(path, &old_len);
    const char *const meta[] = {"epoch", "3", NULL};
    long k = 0;
    for (;; k++) { /* save: the old file stays, byte for byte */
        fail_kth(k);
        int rc = tg_checkpoint_save(tg_model_params(m), path, meta);
        bool hit = fault_hit();
        disarm();
        if (!hit) {
            ck_assert_msg(rc == 0, "%s", tg_last_error());
            break;
        }
        assert_clean_failure(rc, k);
        size_t len;
        unsigned char *now = tu_read_file(path, &len);
        ck_assert_msg(len == old_len && memcmp(now, old, len) == 0, "save %ld changed the file", k);
        free(now);
        tg_clear_error();
    }
    ck_assert_int_gt(k, 3);
    int64_t n;
    double *before = values_of(tg_model_params(other), &n);
    for (k = 0;; k++) { /* load: the model stays */
        fail_kth(k);
        int rc = tg_checkpoint_load(tg_model_params(other), path);
        bool hit = fault_hit();
        disarm();
        if (!hit) {
            ck_assert_msg(rc == 0, "%s", tg_last_error());
            break;
        }
        assert_clean_failure(rc, k);
        assert_values(tg_model_params(other), before, n, k);
        tg_clear_error();
    }
    ck_assert_int_gt(k, 3);
    for (k = 0;; k++) { /* a handle: NULL and a message, or a handle */
        fail_kth(k);
        tg_checkpoint *ck = tg_checkpoint_open(path);
        bool hit = fault_hit();
        disarm();
        if (!hit) {
            ck_assert_msg(ck && tg_checkpoint_metadata(ck, "epoch"), "%s", tg_last_error());
            tg_checkpoint_close(ck);
            break;
        }
        ck_assert_ptr_null(ck);
        assert_clean_failure(tg_last_error_code(), k);
        tg_clear_error();
    }
    ck_assert_int_gt(k, 3);
    free(before);
    free(old);
    tg_model_free(m);
    tg_model_free(other);
    uninstall();
}
END_TEST

/* ---- loaders ---- */

static void gzip_file(const char *path, const void *bytes, size_t len)
{
    gzFile f = gzopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(gzwrite(f, bytes, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(f), Z_OK);
}

/* An IDX pair of 5 images of 2x3 and their labels, plain and gzipped. */
static void write_idx(const char *images, const char *labels, bool gz)
{
    unsigned char img[16 + 30] = {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 3};
    unsigned char lab[8 + 5] = {0, 0, 8, 1, 0, 0, 0, 5, 0, 1, 2, 1, 0};
    for (int i = 0; i < 30; i++)
        img[16 + i] = (unsigned char)(i * 8);
    if (gz) {
        gzip_file(images, img, sizeof img);
        gzip_file(labels, lab, sizeof lab);
    } else {
        tu_write_file(images, img, sizeof img);
        tu_write_file(labels, lab, sizeof lab);
    }
}

typedef int (*loader)(const char *a, const char *b, tg_dataset *out);

static int load_idx(const char *a, const char *b, tg_dataset *out) { return tg_idx_load(a, b, out); }

static int load_csv(const char *a, const char *b, tg_dataset *out)
{
    (void)b;
    return tg_csv_load(a, &(tg_csv_options){.has_header = true, .label_name = "y"}, out);
}

static void every_allocation_of(loader load, const char *a, const char *b)
{
    long k = 0;
    for (;; k++) {
        tg_dataset out, untouched;
        memset(&out, 0x5a, sizeof out);
        untouched = out;
        fail_kth(k);
        int rc = load(a, b, &out);
        bool hit = fault_hit();
        disarm();
        if (!hit) {
            ck_assert_msg(rc == 0, "%s", tg_last_error());
            ck_assert_int_eq(out.n, 5);
            tg_dataset_free(&out);
            break;
        }
        assert_clean_failure(rc, k);
        ck_assert_msg(memcmp(&out, &untouched, sizeof out) == 0, "allocation %ld: output written",
                      k);
        tg_clear_error();
    }
    ck_assert_int_gt(k, 1);
}

START_TEST(every_allocation_of_each_loader)
{
    install();
    for (int gz = 0; gz < 2; gz++) {
        const char *images = in_scratch(gz ? "i.gz" : "i"), *labels = in_scratch(gz ? "l.gz" : "l");
        write_idx(images, labels, gz);
        every_allocation_of(load_idx, images, labels);
        const char csv[] = "a,b,y\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n9,10,0\n";
        const char *path = in_scratch(gz ? "d.csv.gz" : "d.csv");
        if (gz)
            gzip_file(path, csv, sizeof csv - 1);
        else
            tu_write_file(path, csv, sizeof csv - 1);
        every_allocation_of(load_csv, path, NULL);
    }
    uninstall();
}
END_TEST

/* ---- tg eval's model loading (defects 1 and 2) ---- */

/* A checkpoint as tg train writes it: a 3-3 model whose every weight is
 * `fill`, with normalization mean `fill` and data `data`. */
static void write_tg_checkpoint(const char *path, double fill, const char *mean, const char *data)
{
    tg_model *m = tg_mlp_new(TG_F32, 2, (int64_t[]){3, 3}, TG_ACT_RELU, TG_ACT_LINEAR, 1);
    for (int i = 0; i < tg_params_count(tg_model_params(m)); i++) {
        tg_tensor *t = tg_params_at(tg_model_params(m), i, NULL);
        for (int64_t j = 0; j < tg_numel(t); j++)
            tg_set(t, j, fill);
    }
    const char *const meta[] = {"layers", "3,3", "activation", "relu", "dtype", "f32",
                                "normalization", "global", "mean", mean, "std", "1",
                                "data", data, NULL};
    ck_assert_int_eq(tg_checkpoint_save(tg_model_params(m), path, meta), 0);
    tg_model_free(m);
}

static tg_model *eval_load(const char *path, normalization *norm, char **trained_on, diag *d)
{
    architecture a;
    tg_loss_kind loss;
    memset(norm, 0, sizeof *norm);
    memset(d, 0, sizeof *d);
    return load_checkpoint(path, &a, norm, &loss, trained_on, d);
}

START_TEST(eval_load_fails_cleanly_at_every_allocation)
{
    /* defect 1: when the second of two metadata reads failed, its buffer was
     * used unfilled ("metadata "layers" has a bad value '^LM-S^N...'") */
    install();
    const char *path = in_scratch("m.safetensors");
    write_tg_checkpoint(path, 0.5, "0.25", "blobs");
    long k = 0;
    for (;; k++) {
        normalization norm;
        char *trained_on = NULL;
        diag d;
        fail_kth(k);
        tg_model *m = eval_load(path, &norm, &trained_on, &d);
        bool hit = fault_hit();
        disarm();
        normalization_free(&norm);
        if (!hit) {
            ck_assert_msg(m && trained_on && strcmp(trained_on, "blobs") == 0, "%s", d.message);
            tg_model_free(m);
            free(trained_on);
            break;
        }
        ck_assert_msg(!m && d.set, "allocation %ld failed and the load succeeded", k);
        ck_assert_msg(strstr(d.message, "out of memory") && !strstr(d.message, "bad value"),
                      "allocation %ld: %s", k, d.message);
        tg_clear_error();
    }
    ck_assert_int_gt(k, 3);
    uninstall();
}
END_TEST

START_TEST(eval_load_reads_one_file_when_it_is_replaced)
{
    /* defect 2: the path replaced (atomically, as a save does) in the middle
     * of a load gave a model weights from one file and normalization from
     * the other; now every part comes from the same file */
    install();
    const char *path = in_scratch("m.safetensors"), *next = in_scratch("next.safetensors");
    long k = 0;
    for (;; k++) {
        write_tg_checkpoint(path, 1, "1", "first");
        write_tg_checkpoint(next, 2, "2", "second");
        normalization norm;
        char *trained_on = NULL;
        diag d;
        count = 0;
        swap_at = k;
        swap_from = next;
        swap_to = path;
        tg_model *m = eval_load(path, &norm, &trained_on, &d);
        bool swapped = count > k;
        disarm();
        ck_assert_msg(m, "swap at %ld: %s", k, d.message);
        double weight = tg_get(tg_params_at(tg_model_params(m), 0, NULL), 0);
        bool first = strcmp(trained_on, "first") == 0;
        ck_assert_msg(weight == (first ? 1 : 2) && norm.mean[0] == (first ? 1 : 2),
                      "swap at allocation %ld: weights %g, mean %g, data %s", k, weight,
                      (double)norm.mean[0], trained_on);
        normalization_free(&norm);
        tg_model_free(m);
        free(trained_on);
        if (!swapped)
            break;
        unlink(next);
    }
    ck_assert_int_gt(k, 3);
    uninstall();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tu_tcase("faults");
    tcase_add_checked_fixture(tc, make_scratch, remove_scratch);
    tcase_add_test(tc, every_allocation_of_a_training_step);
    tcase_add_test(tc, every_allocation_of_a_create_graph_sweep);
    tcase_add_test(tc, every_allocation_of_a_checkpoint_save_and_load);
    tcase_add_test(tc, every_allocation_of_each_loader);
    tcase_add_test(tc, eval_load_fails_cleanly_at_every_allocation);
    tcase_add_test(tc, eval_load_reads_one_file_when_it_is_replaced);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
