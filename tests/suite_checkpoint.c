/* suite_checkpoint.c -- safetensors checkpoints: round trips, the byte layout,
 * files from another writer, every kind of corrupt file (each leaving the
 * model untouched) and atomic saves, including a process killed mid-save. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <tapegrad/checkpoint.h>
#include <tapegrad/params.h>

#include "testutil.h"

/* ---- a scratch directory per test ---- */

static char scratch[64];

static void make_scratch(void)
{
    strcpy(scratch, "/tmp/tg_checkpoint_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(scratch));
}

static void remove_tree(const char *path)
{
    chmod(path, 0700);
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    char child[1024];
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            remove_tree((snprintf(child, sizeof child, "%s/%s", path, e->d_name), child));
    closedir(d);
    rmdir(path);
}

static void remove_scratch(void) { remove_tree(scratch); }

static char *in_scratch(char *buf, size_t size, const char *name)
{
    snprintf(buf, size, "%s/%s", scratch, name);
    return buf;
}
#define SCRATCH_PATH(var, name) \
    char var[512];              \
    in_scratch(var, sizeof var, name)

static int entries_in_scratch(void)
{
    int n = 0;
    DIR *d = opendir(scratch);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void assert_file_is(const char *path, const unsigned char *bytes, size_t len)
{
    size_t got_len;
    unsigned char *got = tu_read_file(path, &got_len);
    ck_assert_uint_eq(got_len, len);
    ck_assert(memcmp(got, bytes, len) == 0);
    free(got);
}

/* A safetensors file by the format's definition: N as 8 little-endian bytes,
 * the header text, the data. */
static void write_safetensors(const char *path, const char *header, const unsigned char *data,
                              size_t data_len)
{
    size_t n = strlen(header);
    unsigned char *bytes = malloc(8 + n + data_len + 1);
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(bytes + 8, header, n);
    if (data_len)
        memcpy(bytes + 8 + n, data, data_len);
    tu_write_file(path, bytes, 8 + n + data_len);
    free(bytes);
}

/* ---- models ---- */

static void add_param(tg_params *p, const char *name, tg_dtype dtype, tu_shape shape, double start)
{
    tg_tensor *t = tg_param(dtype, shape.ndim, shape.d, NULL);
    for (int64_t i = 0; t && i < tg_numel(t); i++)
        tg_set(t, i, start + 0.25 * (double)i);
    ck_assert_int_eq(tg_params_add(p, name, t), 0);
}

/* "w" 2x2 and "b" 2, the model the corrupt files are loaded into. */
static tg_params *small_model(tg_dtype dtype, double start)
{
    tg_params *p = tg_params_new();
    add_param(p, "w", dtype, TU_SHAPE(2, 2), start);
    add_param(p, "b", dtype, TU_SHAPE(2), start + 10);
    return p;
}

static size_t param_bytes(tg_tensor *t)
{
    return (size_t)tg_numel(t) * (tg_dtype_of(t) == TG_F32 ? 4 : 8);
}

/* Every parameter's raw bytes, in registry order. */
static unsigned char *snapshot(const tg_params *p, size_t *len)
{
    unsigned char *bytes = malloc((size_t)tg_params_numel(p) * 8 + 1);
    *len = 0;
    for (int i = 0; i < tg_params_count(p); i++) {
        tg_tensor *t = tg_params_at(p, i, NULL);
        memcpy(bytes + *len, tg_data(t), param_bytes(t));
        *len += param_bytes(t);
    }
    return bytes;
}

static void assert_same_bits(const tg_params *a, const tg_params *b)
{
    size_t la, lb;
    unsigned char *sa = snapshot(a, &la), *sb = snapshot(b, &lb);
    ck_assert_uint_eq(la, lb);
    ck_assert_msg(memcmp(sa, sb, la) == 0, "parameter bytes differ");
    free(sa);
    free(sb);
}

static void set_bits32(tg_tensor *t, int64_t i, uint32_t bits)
{
    memcpy((float *)tg_data(t) + i, &bits, 4);
}

static void set_bits64(tg_tensor *t, int64_t i, uint64_t bits)
{
    memcpy((double *)tg_data(t) + i, &bits, 8);
}

/* ---- round trips ---- */

START_TEST(round_trip_is_bit_exact)
{
    /* Both dtypes, a scalar, an empty tensor, and values a decimal or
     * double round trip would damage: -0, a subnormal, infinities, NaNs with
     * payloads (one signalling), the extremes. */
    SCRATCH_PATH(path, "model.safetensors");
    tg_params *saved = tg_params_new(), *loaded = tg_params_new();
    tg_params *both[2] = {saved, loaded};
    for (int k = 0; k < 2; k++) {
        add_param(both[k], "layer.weight", TG_F32, TU_SHAPE(3, 4), k * 100.0);
        add_param(both[k], "layer.bias", TG_F64, TU_SHAPE(3), k * 100.0);
        add_param(both[k], "scale", TG_F64, TU_SCALAR, k * 100.0);
        add_param(both[k], "empty", TG_F32, TU_SHAPE(0, 5), 0);
        add_param(both[k], "grid", TG_F32, TU_SHAPE(2, 1, 3), k * 100.0 + 0.1);
    }
    tg_tensor *w = tg_params_get(saved, "layer.weight"), *b = tg_params_get(saved, "layer.bias");
    const uint32_t bits32[] = {0x80000000u, 0x00000001u, 0x7f800000u, 0xff800000u,
                               0x7fc12345u, 0x7fa00001u, 0x7f7fffffu, 0x00800000u};
    for (int i = 0; i < 8; i++)
        set_bits32(w, i, bits32[i]);
    set_bits64(b, 0, 0x7ff4000000000abcull); /* signalling NaN */
    set_bits64(b, 1, 0x0000000000000001ull);
    set_bits64(b, 2, 0x8000000000000000ull);
    ck_assert_int_eq(tg_checkpoint_save(saved, path, NULL), 0);
    ck_assert_int_eq(tg_checkpoint_load(loaded, path), 0);
    ck_assert_str_eq(tg_last_error(), "");
    assert_same_bits(saved, loaded);
    tg_params_free(saved);
    tg_params_free(loaded);
}
END_TEST

/* A two-layer tanh network over a batch of five inputs. */
static void predict(const tg_params *p, double *out)
{
    static const double inputs[15] = {0.5, -1, 2, 0, 0.25, -0.75, 1.5, 1, -2,
                                      -0.5, 0.125, 3, 1, 1, -1};
    tg_tensor *x = tu_tensor(TG_F32, TU_SHAPE(5, 3), inputs, false);
    tg_tensor *h = tg_tanh(tg_add(tg_matmul_t(x, tg_params_get(p, "0.weight"), false, true),
                                  tg_params_get(p, "0.bias")));
    tg_tensor *y = tg_add(tg_matmul_t(h, tg_params_get(p, "1.weight"), false, true),
                          tg_params_get(p, "1.bias"));
    tu_assert_ok(y);
    for (int i = 0; i < 10; i++)
        out[i] = tg_get(y, i);
    tg_tape_reset();
}

static tg_params *network(double start)
{
    tg_params *p = tg_params_new();
    add_param(p, "0.weight", TG_F32, TU_SHAPE(4, 3), start);
    add_param(p, "0.bias", TG_F32, TU_SHAPE(4), start / 3);
    add_param(p, "1.weight", TG_F32, TU_SHAPE(2, 4), -start);
    add_param(p, "1.bias", TG_F32, TU_SHAPE(2), start / 7);
    return p;
}

START_TEST(loaded_model_predicts_identically)
{
    SCRATCH_PATH(path, "net.safetensors");
    tg_params *trained = network(-0.3), *fresh = network(0.9);
    double want[10], before[10], got[10];
    predict(trained, want);
    predict(fresh, before);
    ck_assert(memcmp(want, before, sizeof want) != 0);
    ck_assert_int_eq(tg_checkpoint_save(trained, path, NULL), 0);
    ck_assert_int_eq(tg_checkpoint_load(fresh, path), 0);
    predict(fresh, got);
    ck_assert(memcmp(want, got, sizeof want) == 0);
    tg_params_free(trained);
    tg_params_free(fresh);
}
END_TEST

START_TEST(dtypes_convert_both_ways)
{
    /* As PyTorch's load_state_dict copies: F64 values are rounded to F32,
     * F32 values widen exactly. */
    SCRATCH_PATH(path64, "f64.safetensors");
    SCRATCH_PATH(path32, "f32.safetensors");
    tg_params *p64 = small_model(TG_F64, 0.1), *p32 = small_model(TG_F32, 5);
    ck_assert_int_eq(tg_checkpoint_save(p64, path64, NULL), 0);
    ck_assert_int_eq(tg_checkpoint_load(p32, path64), 0);
    for (int i = 0; i < 4; i++)
        ck_assert(tg_get(tg_params_get(p32, "w"), i) ==
                  (double)(float)tg_get(tg_params_get(p64, "w"), i));
    tg_set(tg_params_get(p32, "b"), 1, 1.0 / 3);
    ck_assert_int_eq(tg_checkpoint_save(p32, path32, NULL), 0);
    ck_assert_int_eq(tg_checkpoint_load(p64, path32), 0);
    ck_assert(tg_get(tg_params_get(p64, "b"), 1) == (double)(float)(1.0 / 3));
    ck_assert_int_eq(tg_dtype_of(tg_params_get(p64, "b")), TG_F64);
    tg_params_free(p64);
    tg_params_free(p32);
}
END_TEST

START_TEST(empty_registry_round_trips)
{
    SCRATCH_PATH(path, "empty.safetensors");
    tg_params *p = tg_params_new();
    ck_assert_int_eq(tg_checkpoint_save(p, path, NULL), 0);
    ck_assert_int_eq(tg_checkpoint_load(p, path), 0);
    size_t len;
    unsigned char *bytes = tu_read_file(path, &len);
    ck_assert_uint_eq(len, 16);
    ck_assert(memcmp(bytes, "\x08\0\0\0\0\0\0\0{}      ", 16) == 0);
    free(bytes);
    tg_params_free(p);
}
END_TEST

/* ---- the bytes on disk ---- */

START_TEST(file_layout_follows_the_format)
{
    /* Read back by hand, not by the library: the header length, the JSON
     * (metadata first, then the parameters in registry order), the space
     * padding to 8 bytes, and little-endian data. */
    SCRATCH_PATH(path, "layout.safetensors");
    tg_params *p = tg_params_new();
    add_param(p, "a", TG_F32, TU_SHAPE(2), 1);
    add_param(p, "b", TG_F64, TU_SHAPE(1, 1), 0.5);
    tg_set(tg_params_get(p, "a"), 1, -2.5);
    ck_assert_int_eq(tg_checkpoint_save(p, path, (const char *[]){"epoch", "7", NULL}), 0);
    const unsigned char data[16] = {0x00, 0x00, 0x80, 0x3f,  /* 1.0f */
                                    0x00, 0x00, 0x20, 0xc0,  /* -2.5f */
                                    0, 0, 0, 0, 0, 0, 0xe0, 0x3f}; /* 0.5 */
    /* each tensor's CRC-32 (zlib's) over its stored bytes, in data order */
    char json[512];
    snprintf(json, sizeof json,
             "{\"__metadata__\":{\"epoch\":\"7\",\"tapegrad.crc32\":\"%08lx,%08lx\"},"
             "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
             "\"b\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[8,16]}}",
             crc32(0, data, 8), crc32(0, data + 8, 8));
    size_t json_len = strlen(json), n = (json_len + 7) / 8 * 8, len;
    unsigned char *bytes = tu_read_file(path, &len);
    ck_assert_uint_eq(len, 8 + n + 16);
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(bytes[i], (n >> (8 * i)) & 0xff);
    ck_assert(memcmp(bytes + 8, json, json_len) == 0);
    for (size_t i = json_len; i < n; i++)
        ck_assert_uint_eq(bytes[8 + i], ' ');
    ck_assert(memcmp(bytes + 8 + n, data, sizeof data) == 0);
    free(bytes);
    tg_params_free(p);
}
END_TEST

START_TEST(loads_a_file_from_the_reference_writer)
{
    /* Laid out as safetensors' own writer does it: metadata {"format":"pt"}
     * first, keys sorted, the F64 tensor first in the data for alignment,
     * the header padded with spaces; so neither the key order nor the data
     * order follows the model's registry. */
    SCRATCH_PATH(path, "reference.safetensors");
    static const char header[] =
        "{\"__metadata__\":{\"format\":\"pt\"},"
        "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
        "\"s\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},"
        "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[16,32]}}     ";
    ck_assert_uint_eq((sizeof header - 1) % 8, 0);
    static const unsigned char data[32] = {
        0, 0, 0, 0, 0, 0, 0xf8, 0x3f,                   /* s = 1.5 */
        0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x80, 0xbf, /* b = 0.5, -1 */
        0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40, /* w = 1, 2, */
        0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x80, 0x40, /*     3, 4 */
    };
    write_safetensors(path, header, data, sizeof data);
    tg_params *p = small_model(TG_F32, 9);
    add_param(p, "s", TG_F64, TU_SCALAR, 9);
    ck_assert_int_eq(tg_checkpoint_load(p, path), 0);
    const double want_w[4] = {1, 2, 3, 4}, want_b[2] = {0.5, -1};
    for (int i = 0; i < 4; i++)
        ck_assert(tg_get(tg_params_get(p, "w"), i) == want_w[i]);
    for (int i = 0; i < 2; i++)
        ck_assert(tg_get(tg_params_get(p, "b"), i) == want_b[i]);
    ck_assert(tg_item(tg_params_get(p, "s")) == 1.5);
    char value[8];
    ck_assert_int_eq(tg_checkpoint_read_metadata(path, "format", value, sizeof value), 2);
    ck_assert_str_eq(value, "pt");
    tg_params_free(p);
}
END_TEST

START_TEST(metadata_reads_back)
{
    SCRATCH_PATH(path, "meta.safetensors");
    tg_params *p = small_model(TG_F32, 0);
    const char *meta[] = {"epoch", "12", "note", "\"quoted\" \\ and ünïcode", NULL};
    ck_assert_int_eq(tg_checkpoint_save(p, path, meta), 0);
    char value[64];
    ck_assert_int_eq(tg_checkpoint_read_metadata(path, "epoch", value, sizeof value), 2);
    ck_assert_str_eq(value, "12");
    int len = (int)strlen(meta[3]);
    ck_assert_int_eq(tg_checkpoint_read_metadata(path, "note", value, sizeof value), len);
    ck_assert_str_eq(value, meta[3]);
    ck_assert_int_eq(tg_checkpoint_read_metadata(path, "note", value, 5), len); /* truncated */
    ck_assert_str_eq(value, "\"quo");
    ck_assert_int_eq(tg_checkpoint_read_metadata(path, "note", NULL, 0), len);
    ck_assert_int_lt(tg_checkpoint_read_metadata(path, "lr", value, sizeof value), 0);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "no metadata key \"lr\""));
    ck_assert_int_eq(tg_checkpoint_save(p, path, NULL), 0);
    ck_assert_int_lt(tg_checkpoint_read_metadata(path, "epoch", value, sizeof value), 0);
    tg_params_free(p);
}
END_TEST

/* ---- corrupt files: the error names file and item, the model is kept ---- */

/* Messages cut paths at 200 bytes to fit. */
static bool names_path(const char *error, const char *path)
{
    char shown[201];
    snprintf(shown, sizeof shown, "%s", path);
    return strstr(error, shown) != NULL;
}

static void expect_load_failure(const char *path, const char *fragment)
{
    tg_clear_error(); /* each case fails on its own: the error is sticky */
    tg_params *p = small_model(TG_F32, 3);
    size_t before_len, after_len;
    unsigned char *before = snapshot(p, &before_len);
    int rc = tg_checkpoint_load(p, path);
    ck_assert_msg(rc < 0, "load of a corrupt file (expecting \"%s\") succeeded", fragment);
    ck_assert_msg(rc == TG_EIO || rc == TG_EFORMAT || rc == TG_ESHAPE || rc == TG_EDTYPE,
                  "code %d for \"%s\"", rc, fragment);
    ck_assert_int_eq(rc, tg_last_error_code());
    const char *error = tg_last_error();
    ck_assert_msg(strncmp(error, "tg_checkpoint_load: ", 20) == 0 && names_path(error, path),
                  "error does not name function and file: %s", error);
    ck_assert_msg(strstr(error, fragment), "error \"%s\" lacks \"%s\"", error, fragment);
    unsigned char *after = snapshot(p, &after_len);
    ck_assert(before_len == after_len && memcmp(before, after, before_len) == 0);
    free(before);
    free(after);
    tg_params_free(p);
}

typedef struct {
    const char *header;
    size_t data_len;
    const char *error;
} corrupt_header;

#define W_ "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}"
#define B_ "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}"
#define W_WITH(fields) "\"w\":{" fields "}"

static const corrupt_header corrupt_headers[] = {
    {"{" W_ ",", 24, "header is not valid JSON (error at byte"},
    {"not json", 24, "header is not valid JSON (error at byte 8 "},
    {"{" W_ "," B_ "} x", 24, "header has data after its JSON value"},
    {"{\"w\xff\":1}", 24, "header is not valid UTF-8 (byte 11 of the file)"},
    {"[1, 2]", 24, "header is not a JSON object"},
    {"{\"w\":[0,16]," B_ "}", 24, "tensor \"w\": entry is not a JSON object"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[2,2]") "," B_ "}", 24,
     "tensor \"w\": \"data_offsets\" is missing"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":\"0-16\"") "," B_ "}", 24,
     "tensor \"w\": \"data_offsets\" is missing or not two non-negative integers"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16,24]") "," B_ "}", 24,
     "tensor \"w\": \"data_offsets\" is missing or not two"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,1e300]") "," B_ "}", 24,
     "tensor \"w\": \"data_offsets\" is missing or not two"},
    {"{" W_WITH("\"shape\":[2,2],\"data_offsets\":[0,16]") "," B_ "}", 24,
     "tensor \"w\": \"dtype\" is missing or not a string"},
    {"{" W_WITH("\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]") "," B_ "}", 24,
     "tensor \"w\" has dtype \"BF16\"; tapegrad loads F32 and F64 only"},
    {"{" W_WITH("\"dtype\":\"F32\",\"dtype\":\"F64\",\"shape\":[2,2],\"data_offsets\":[0,16]")
     "," B_ "}", 24, "tensor \"w\": field \"dtype\" appears twice"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,16]") "," B_ "}", 24,
     "tensor \"w\": \"shape\" is missing or not an array of non-negative integers"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[2,2.5],\"data_offsets\":[0,16]") "," B_ "}", 24,
     "tensor \"w\": \"shape\" is missing or not an array"},
    {"{" W_WITH("\"dtype\":\"F32\",\"data_offsets\":[0,16]") "," B_ "}", 24,
     "tensor \"w\": \"shape\" is missing"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]") "," B_ "}", 24,
     "tensor \"w\": shape [2,3] of F32 does not match data_offsets [0, 16] (16 bytes)"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,16]")
     "," B_ "}", 24, "tensor \"w\": shape [4294967296,4294967296,4] of F32 does not match"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[16,0]") "," B_ "}", 24,
     "tensor \"w\": data_offsets [16, 0] end before they begin"},
    {"{" W_ ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[24,32]}}", 24,
     "tensor \"b\": data_offsets [24, 32] exceed the 24-byte data section"},
    {"{" W_ ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 24,
     "tensor \"b\" at data bytes [8, 16) overlaps tensor \"w\""},
    {"{" W_ ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[20,28]}}", 28,
     "data bytes [16, 20) belong to no tensor (hole before tensor \"b\")"},
    {"{" W_ "," B_ "}", 32, "the tensors cover 24 bytes of the 32-byte data section"},
    {"{" W_ "," B_ "," W_ "}", 24, "key \"w\" appears twice in the header"},
    {"{\"__metadata__\":{\"epoch\":7}," W_ "," B_ "}", 24, "metadata \"epoch\" is not a string"},
    {"{\"__metadata__\":[\"epoch\"]," W_ "," B_ "}", 24, "\"__metadata__\" is not a JSON object"},
    {"{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}," W_ "," B_ "}", 24,
     "metadata key \"k\" appears twice"},
    {"{" W_ "}", 16, "parameter \"b\" (shape [2]) is missing from the file"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]") "," B_ "}", 24,
     "parameter \"w\" has shape [4] in the file but [2,2] in the model"},
    {"{" W_WITH("\"dtype\":\"F32\",\"shape\":[1,2,2],\"data_offsets\":[0,16]") "," B_ "}", 24,
     "parameter \"w\" has shape [1,2,2] in the file but [2,2] in the model"},
    {"{" W_ "," B_ ",\"extra\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[24,32]}}", 32,
     "tensor \"extra\" is not a parameter of the model"},
    /* decoded, "b\u0000x" would be cut to "b" and load as the model's "b" */
    {"{" W_ ",\"b\\u0000x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[16,24]}}", 24,
     "header holds a \\u0000 escape (byte 67 of the file)"},
    /* an escaped backslash before u0000 is two characters, not an escape */
    {"{\"__metadata__\":{\"k\":\"\\\\u0000\"},\"w\":[0,16]," B_ "}", 24,
     "tensor \"w\": entry is not a JSON object"},
};

START_TEST(corrupt_header_is_rejected)
{
    const corrupt_header *c = &corrupt_headers[_i];
    SCRATCH_PATH(path, "corrupt.safetensors");
    unsigned char data[64];
    memset(data, 0x41, sizeof data);
    write_safetensors(path, c->header, data, c->data_len);
    expect_load_failure(path, c->error);
}
END_TEST

static void write_header_length(const char *path, uint64_t n, size_t file_len)
{
    unsigned char bytes[64] = {0};
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)(n >> (8 * i));
    memcpy(bytes + 8, "{}", 2);
    tu_write_file(path, bytes, file_len);
}

START_TEST(bad_header_length_is_rejected)
{
    SCRATCH_PATH(path, "length.safetensors");
    write_header_length(path, 9999999, 32);
    expect_load_failure(path, "header length 9999999 exceeds file size 32");
    ck_assert_int_eq(tg_last_error_code(), TG_EFORMAT);
    tg_clear_error();
    write_header_length(path, 1ull << 40, 32);
    expect_load_failure(path, "header length 1099511627776 exceeds the limit of 100000000 bytes");
    write_header_length(path, UINT64_MAX, 32);
    expect_load_failure(path, "header length 18446744073709551615 exceeds the limit");
    write_header_length(path, 1, 32);
    expect_load_failure(path, "header length 1 is too small");
    write_header_length(path, 0, 8);
    expect_load_failure(path, "header length 0 is too small");
}
END_TEST

START_TEST(truncated_file_is_rejected)
{
    SCRATCH_PATH(path, "full.safetensors");
    SCRATCH_PATH(cut_path, "cut.safetensors");
    tg_params *p = small_model(TG_F32, -4);
    ck_assert_int_eq(tg_checkpoint_save(p, path, NULL), 0);
    tg_params_free(p);
    size_t len;
    unsigned char *bytes = tu_read_file(path, &len);
    size_t n = (size_t)bytes[0] | (size_t)bytes[1] << 8, data_start = 8 + n;
    ck_assert_uint_eq(len, data_start + 24);
    const size_t cuts[] = {0, 3, 7, 8, 8 + n / 2, data_start - 1, data_start, data_start + 10,
                           len - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof *cuts; k++) {
        size_t cut = cuts[k];
        char want[96];
        if (cut == 0)
            snprintf(want, sizeof want, "file is empty");
        else if (cut < 8)
            snprintf(want, sizeof want, "file has only %zu bytes", cut);
        else if (cut < data_start)
            snprintf(want, sizeof want, "header length %zu exceeds file size %zu", n, cut);
        else
            snprintf(want, sizeof want, "exceed the %zu-byte data section (truncated file?)",
                     cut - data_start);
        tu_write_file(cut_path, bytes, cut);
        expect_load_failure(cut_path, want);
    }
    free(bytes);
}
END_TEST

START_TEST(missing_or_unreadable_file_is_rejected)
{
    SCRATCH_PATH(missing, "absent.safetensors");
    expect_load_failure(missing, "cannot open: No such file or directory");
    ck_assert_int_eq(tg_last_error_code(), TG_EIO);
    tg_clear_error();
    expect_load_failure(scratch, "not a regular file");
    SCRATCH_PATH(fifo, "fifo.safetensors");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    expect_load_failure(fifo, "not a regular file"); /* without blocking in open */
}
END_TEST

START_TEST(flags_relax_name_matching)
{
    SCRATCH_PATH(path, "partial.safetensors");
    tg_params *file = small_model(TG_F32, 1), *bigger = small_model(TG_F32, 2);
    add_param(file, "head", TG_F32, TU_SHAPE(3), 5);
    add_param(bigger, "other", TG_F64, TU_SHAPE(2), 7);
    ck_assert_int_eq(tg_checkpoint_save(file, path, NULL), 0);
    /* The file has "head", the model "other": strict fails either way. */
    ck_assert_int_lt(tg_checkpoint_load(bigger, path), 0);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "parameter \"other\" (shape [2]) is missing"));
    tg_clear_error();
    ck_assert_int_lt(tg_checkpoint_load_ex(bigger, path, TG_CHECKPOINT_ALLOW_MISSING), 0);
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "tg_checkpoint_load_ex: "));
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "tensor \"head\" is not a parameter"));
    tg_clear_error();
    ck_assert_int_lt(tg_checkpoint_load_ex(bigger, path, TG_CHECKPOINT_ALLOW_EXTRA), 0);
    ck_assert_int_eq(tg_checkpoint_load_ex(bigger, path, TG_CHECKPOINT_ALLOW_EXTRA |
                                                             TG_CHECKPOINT_ALLOW_MISSING), 0);
    ck_assert(tg_get(tg_params_get(bigger, "w"), 3) == 1.75);
    ck_assert(tg_get(tg_params_get(bigger, "other"), 1) == 7.25);
    tg_params_free(file);
    tg_params_free(bigger);
}
END_TEST

START_TEST(null_arguments_are_rejected)
{
    tg_params *p = small_model(TG_F32, 0);
    char value[4];
    ck_assert_int_eq(tg_checkpoint_save(NULL, "x", NULL), TG_ENULL);
    tg_clear_error();
    ck_assert_int_eq(tg_checkpoint_save(p, NULL, NULL), TG_ENULL);
    ck_assert_str_eq(tg_last_error(), "tg_checkpoint_save: argument 2 (path) is NULL");
    tg_clear_error();
    ck_assert_int_eq(tg_checkpoint_load(NULL, "x"), TG_ENULL);
    ck_assert_int_eq(tg_checkpoint_load(p, NULL), TG_ENULL);
    ck_assert_int_eq(tg_checkpoint_read_metadata(NULL, "k", value, 4), TG_ENULL);
    ck_assert_int_eq(tg_checkpoint_read_metadata("x", NULL, value, 4), TG_ENULL);
    ck_assert_int_eq(tg_checkpoint_read_metadata("x", "k", NULL, 4), TG_ENULL);
    tg_params_free(p);
}
END_TEST

/* ---- saving: refused inputs and atomic replacement ---- */

static void expect_save_failure(const tg_params *p, const char *path, const char *const *meta,
                                const char *fragment)
{
    tg_clear_error(); /* each case fails on its own: the error is sticky */
    int before = entries_in_scratch();
    ck_assert_int_lt(tg_checkpoint_save(p, path, meta), 0);
    const char *error = tg_last_error();
    ck_assert_msg(strncmp(error, "tg_checkpoint_save: ", 20) == 0 && names_path(error, path),
                  "error does not name function and file: %s", error);
    ck_assert_msg(strstr(error, fragment), "error \"%s\" lacks \"%s\"", error, fragment);
    ck_assert_int_eq(entries_in_scratch(), before); /* no temporary file left behind */
}

START_TEST(unstorable_input_is_refused)
{
    SCRATCH_PATH(path, "refused.safetensors");
    tg_params *p = small_model(TG_F32, 0);
    expect_save_failure(p, path, (const char *[]){"epoch", NULL},
                        "metadata key \"epoch\" has no value");
    expect_save_failure(p, path, (const char *[]){"a", "1", "a", "2", NULL},
                        "metadata key \"a\" given twice");
    expect_save_failure(p, path, (const char *[]){"bad", "\xc3\x28", NULL},
                        "metadata \"bad\" is not valid UTF-8");
    ck_assert_int_eq(tg_params_add(p, "__metadata__", tg_param(TG_F32, 0, NULL, NULL)), 0);
    expect_save_failure(p, path, NULL, "parameter name \"__metadata__\" cannot be stored");
    SCRATCH_PATH(nowhere, "no/such/dir/model.safetensors");
    tg_params *q = small_model(TG_F32, 0);
    expect_save_failure(q, nowhere, NULL, "creating temporary file");
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "No such file or directory"));
    tg_clear_error();
    tg_params_free(p);
    tg_params_free(q);
}
END_TEST

START_TEST(save_replaces_and_leaves_only_the_checkpoint)
{
    SCRATCH_PATH(path, "model.safetensors");
    tg_params *first = small_model(TG_F64, 1), *second = small_model(TG_F64, 2),
              *loaded = small_model(TG_F64, 3);
    ck_assert_int_eq(tg_checkpoint_save(first, path, NULL), 0);
    ck_assert_int_eq(tg_checkpoint_save(second, path, NULL), 0);
    ck_assert_int_eq(entries_in_scratch(), 1);
    ck_assert_int_eq(tg_checkpoint_load(loaded, path), 0);
    assert_same_bits(second, loaded);
    /* A bare file name saves into the working directory. */
    char cwd[512];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(scratch), 0);
    ck_assert_int_eq(tg_checkpoint_save(first, "bare.safetensors", NULL), 0);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(entries_in_scratch(), 2);
    tg_params_free(first);
    tg_params_free(second);
    tg_params_free(loaded);
}
END_TEST

/* An existing checkpoint at path; returns its bytes. */
static unsigned char *old_checkpoint(const char *path, size_t *len)
{
    SCRATCH_PATH(staging, "staging.safetensors");
    tg_params *p = small_model(TG_F32, 42);
    ck_assert_int_eq(tg_checkpoint_save(p, staging, NULL), 0);
    ck_assert_int_eq(rename(staging, path), 0);
    tg_params_free(p);
    return tu_read_file(path, len);
}

START_TEST(failed_temp_creation_keeps_old_checkpoint)
{
    /* A 250-byte name is legal, but the temporary name beside it exceeds
     * NAME_MAX: the temporary file cannot be made, even by root. */
    char name[251];
    memset(name, 'm', 250);
    name[250] = '\0';
    SCRATCH_PATH(path, name);
    size_t len;
    unsigned char *old = old_checkpoint(path, &len);
    tg_params *p = small_model(TG_F32, 0);
    expect_save_failure(p, path, NULL, "creating temporary file");
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "File name too long"));
    assert_file_is(path, old, len);
    free(old);
    tg_params_free(p);
}
END_TEST

START_TEST(read_only_directory_keeps_old_checkpoint)
{
    SCRATCH_PATH(path, "model.safetensors");
    size_t len;
    unsigned char *old = old_checkpoint(path, &len);
    ck_assert_int_eq(chmod(scratch, 0555), 0);
    if (access(scratch, W_OK) == 0) { /* root writes anyway: nothing to test */
        free(old);
        return;
    }
    tg_params *p = small_model(TG_F32, 0);
    expect_save_failure(p, path, NULL, "creating temporary file");
    ck_assert_ptr_nonnull(strstr(tg_last_error(), "Permission denied"));
    assert_file_is(path, old, len);
    free(old);
    tg_params_free(p);
}
END_TEST

START_TEST(failed_rename_removes_temporary_file)
{
    /* A non-empty directory at path: rename fails after the data is written. */
    SCRATCH_PATH(path, "model.safetensors");
    SCRATCH_PATH(inside, "model.safetensors/keep");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    tu_write_file(inside, "x", 1);
    tg_params *p = small_model(TG_F32, 0);
    expect_save_failure(p, path, NULL, "renaming over it temporary file");
    assert_file_is(inside, (const unsigned char *)"x", 1);
    tg_params_free(p);
}
END_TEST

/* Saves a 1 MB model from a child process that may write at most 4 KB to any
 * file, and returns the child's wait status. With SIGXFSZ ignored the write
 * fails with EFBIG; with its default action the kernel kills the child in the
 * middle of the write, like a crash. The child reports by exit code: 0 for a
 * save that failed, naming the cause. */
static int save_in_limited_child(const char *path, bool ignore_sigxfsz)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0}, small = {4096, 4096};
        setrlimit(RLIMIT_CORE, &no_core);
        if (ignore_sigxfsz)
            signal(SIGXFSZ, SIG_IGN);
        setrlimit(RLIMIT_FSIZE, &small);
        tg_params *p = tg_params_new();
        add_param(p, "big", TG_F32, TU_SHAPE(512, 512), 0);
        int rc = tg_checkpoint_save(p, path, NULL);
        _exit(rc < 0 && strstr(tg_last_error(), "File too large") ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

START_TEST(write_error_keeps_old_checkpoint)
{
    SCRATCH_PATH(path, "model.safetensors");
    size_t len;
    unsigned char *old = old_checkpoint(path, &len);
    int status = save_in_limited_child(path, true);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    assert_file_is(path, old, len);
    ck_assert_int_eq(entries_in_scratch(), 1);
    free(old);
}
END_TEST

START_TEST(crash_mid_save_keeps_old_checkpoint)
{
    SCRATCH_PATH(path, "model.safetensors");
    size_t len;
    unsigned char *old = old_checkpoint(path, &len);
    int status = save_in_limited_child(path, false);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ, "child status %#x", status);
    /* The old checkpoint is whole and loads; the partial temporary file the
     * crash left is there beside it, never under the checkpoint's name. */
    assert_file_is(path, old, len);
    tg_params *p = small_model(TG_F32, 0), *want = small_model(TG_F32, 42);
    ck_assert_int_eq(tg_checkpoint_load(p, path), 0);
    assert_same_bits(p, want);
    ck_assert_int_eq(entries_in_scratch(), 2);
    free(old);
    tg_params_free(p);
    tg_params_free(want);
}
END_TEST

/* ---- allocation failures ---- */

START_TEST(allocation_failures_leave_model_and_file_intact)
{
    /* Fails the first, second, ... allocation of a load and of a save until
     * one completes, cJSON's included: every failure reports it and changes
     * nothing. */
    SCRATCH_PATH(path, "model.safetensors");
    tg_params *saved = small_model(TG_F64, 1), *p = small_model(TG_F32, 2);
    ck_assert_int_eq(tg_checkpoint_save(saved, path, (const char *[]){"a", "1", "b", "2", NULL}),
                     0);
    size_t file_len, model_len, after_len;
    unsigned char *file = tu_read_file(path, &file_len), *model = snapshot(p, &model_len);
    int rc = TG_ENOMEM, failures = 0;
    for (long k = 0; rc == TG_ENOMEM; k++, failures++) {
        tu_allocator_install();
        tu_allocation_budget(k);
        rc = tg_checkpoint_load(p, path);
        bool reported = strstr(tg_last_error(), "out of memory") != NULL;
        tu_allocator_remove(); /* destroying the tape clears the error */
        if (rc == TG_ENOMEM) {
            ck_assert(reported);
            unsigned char *after = snapshot(p, &after_len);
            ck_assert(memcmp(after, model, model_len) == 0);
            free(after);
        }
    }
    ck_assert_int_eq(rc, 0);
    /* 6 of the load's allocations are tapegrad's own; the rest are cJSON's
     * parse of the header, which go through the same allocator */
    ck_assert_int_ge(failures, 20);
    rc = TG_ENOMEM;
    failures = 0;
    for (long k = 0; rc == TG_ENOMEM; k++, failures++) {
        tu_allocator_install();
        tu_allocation_budget(k);
        rc = tg_checkpoint_save(p, path, NULL);
        bool reported = strstr(tg_last_error(), "out of memory") != NULL;
        tu_allocator_remove();
        if (rc == TG_ENOMEM) {
            ck_assert(reported);
            assert_file_is(path, file, file_len);
            ck_assert_int_eq(entries_in_scratch(), 1);
        }
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_ge(failures, 20); /* 2 of its own, the rest cJSON's tree and text */
    free(file);
    free(model);
    tg_params_free(saved);
    tg_params_free(p);
}
END_TEST

/* ---- one read, checksums, stale temporaries (issue 18) ---- */

static size_t snapshot_len(const tg_params *p)
{
    size_t len;
    free(snapshot(p, &len));
    return len;
}

START_TEST(handle_reads_the_file_once)
{
    /* Everything asked of a handle comes from the file it opened, even once
     * that path names another file (defect 2: a load read metadata and
     * weights from two files when the path was replaced in between). */
    SCRATCH_PATH(path, "model.safetensors");
    SCRATCH_PATH(other, "other.safetensors");
    tg_params *a = small_model(TG_F32, 1), *b = small_model(TG_F32, 100);
    ck_assert_int_eq(tg_checkpoint_save(a, path, (const char *[]){"who", "a", NULL}), 0);
    ck_assert_int_eq(tg_checkpoint_save(b, other, (const char *[]){"who", "b", NULL}), 0);
    tg_checkpoint *ck = tg_checkpoint_open(path);
    tu_assert_ok(ck);
    ck_assert_int_eq(rename(other, path), 0);
    ck_assert_str_eq(tg_checkpoint_metadata(ck, "who"), "a");
    ck_assert_ptr_null(tg_checkpoint_metadata(ck, "no such key"));
    ck_assert_int_eq(tg_last_error_code(), TG_OK); /* an absent key is no error */
    ck_assert_uint_eq(tg_checkpoint_data_size(ck), snapshot_len(a));
    tg_params *got = small_model(TG_F32, 0);
    ck_assert_int_eq(tg_checkpoint_apply(ck, got, 0), 0);
    assert_same_bits(got, a);
    ck_assert_int_eq(tg_checkpoint_apply(ck, got, 0), 0); /* a handle applies again */
    tg_checkpoint_close(ck);
    tg_checkpoint_close(NULL);
    tg_params_free(got);
    tg_params_free(a);
    tg_params_free(b);
}
END_TEST

START_TEST(handle_reports_errors)
{
    SCRATCH_PATH(path, "model.safetensors");
    ck_assert_ptr_null(tg_checkpoint_open(NULL));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
    tg_clear_error();
    ck_assert_ptr_null(tg_checkpoint_open(path));
    ck_assert_int_eq(tg_last_error_code(), TG_EIO);
    ck_assert_msg(strstr(tg_last_error(), "tg_checkpoint_open: ") == tg_last_error(), "%s",
                  tg_last_error());
    tg_clear_error();
    tg_params *p = small_model(TG_F64, 1), *wrong = tg_params_new();
    add_param(wrong, "w", TG_F64, TU_SHAPE(5), 0);
    ck_assert_int_eq(tg_checkpoint_save(p, path, NULL), 0);
    tg_checkpoint *ck = tg_checkpoint_open(path);
    tu_assert_ok(ck);
    ck_assert_ptr_null(tg_checkpoint_metadata(NULL, "k"));
    ck_assert_int_eq(tg_last_error_code(), TG_ENULL);
    tg_clear_error();
    ck_assert_int_eq(tg_checkpoint_apply(ck, NULL, 0), TG_ENULL);
    tg_clear_error();
    ck_assert_int_lt(tg_checkpoint_apply(ck, wrong, 0), 0);
    ck_assert_msg(strstr(tg_last_error(), "tg_checkpoint_apply: ") == tg_last_error(), "%s",
                  tg_last_error());
    tg_clear_error();
    tg_checkpoint_close(ck);
    tg_params_free(wrong);
    tg_params_free(p);
}
END_TEST

/* Flips one bit of the data section at data byte `at`. */
static void flip_data_bit(const char *path, size_t at)
{
    size_t len;
    unsigned char *bytes = tu_read_file(path, &len);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n |= (uint64_t)bytes[i] << (8 * i);
    ck_assert_uint_lt(8 + n + at, len);
    bytes[8 + n + at] ^= 0x10;
    tu_write_file(path, bytes, len);
    free(bytes);
}

START_TEST(flipped_bit_is_found_and_named)
{
    SCRATCH_PATH(path, "model.safetensors");
    tg_params *p = small_model(TG_F32, 1), *before = small_model(TG_F32, 7);
    ck_assert_int_eq(tg_checkpoint_save(p, path, NULL), 0);
    /* the last tensor's first byte: small_model registers "w" then "b" */
    const char *last;
    tg_tensor *t = tg_params_at(p, tg_params_count(p) - 1, &last);
    flip_data_bit(path, snapshot_len(p) - param_bytes(t));
    tg_params *got = small_model(TG_F32, 7);
    ck_assert_int_eq(tg_checkpoint_load(got, path), TG_EFORMAT);
    char want[128];
    snprintf(want, sizeof want, "tensor \"%s\": its bytes do not match their CRC-32", last);
    ck_assert_msg(strstr(tg_last_error(), want), "%s", tg_last_error());
    assert_same_bits(got, before); /* nothing was written */
    tg_clear_error();
    tg_params_free(got);
    tg_params_free(before);
    tg_params_free(p);
}
END_TEST

START_TEST(malformed_checksum_list_is_refused)
{
    SCRATCH_PATH(path, "model.safetensors");
    static const char *const bad[] = {"", "0000000", "0000000g", "00000000,00000000",
                                      "00000000 ", "ABCDEF01"};
    const unsigned char data[4] = {0, 0, 128, 63};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char header[256];
        int n = snprintf(header, sizeof header, "{\"__metadata__\":{\"tapegrad.crc32\":\"%s\"},"
                         "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", bad[i]);
        while (n % 8)
            header[n++] = ' ', header[n] = '\0';
        write_safetensors(path, header, data, sizeof data);
        tg_params *p = tg_params_new();
        add_param(p, "w", TG_F32, TU_SHAPE(1), 0);
        ck_assert_int_eq(tg_checkpoint_load(p, path), TG_EFORMAT);
        ck_assert_msg(strstr(tg_last_error(), "tapegrad.crc32"), "%s: %s", bad[i], tg_last_error());
        tg_clear_error();
        tg_params_free(p);
    }
    /* and the key is the library's: a save will not take it from the caller */
    tg_params *p = small_model(TG_F32, 1);
    ck_assert_int_eq(tg_checkpoint_save(p, path, (const char *[]){"tapegrad.crc32", "0", NULL}),
                     TG_EVALUE);
    ck_assert_msg(strstr(tg_last_error(), "reserved"), "%s", tg_last_error());
    tg_clear_error();
    tg_params_free(p);
}
END_TEST

/* A pid that no process has: a child's, once it has been reaped. */
static long dead_pid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    ck_assert_int_gt(pid, 0);
    waitpid(pid, NULL, 0);
    return (long)pid;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

START_TEST(stale_temporaries_of_dead_processes_are_removed)
{
    /* defect 3: killed saves left their temporaries forever */
    SCRATCH_PATH(path, "model.safetensors");
    char stale[600], live[600], foreign[600], other_stale[600];
    long dead = dead_pid();
    snprintf(stale, sizeof stale, "%s.tapegrad-save-%ld-3.tmp", path, dead);
    snprintf(other_stale, sizeof other_stale, "%s/older.safetensors.tapegrad-save-%ld-0.tmp",
             scratch, dead);
    snprintf(live, sizeof live, "%s.tapegrad-save-%ld-0.tmp", path, (long)getppid());
    snprintf(foreign, sizeof foreign, "%s.tapegrad-save-%ld-x.tmp", path, dead);
    const char *made[] = {stale, other_stale, live, foreign};
    for (int i = 0; i < 4; i++)
        tu_write_file(made[i], "partial", 7);
    tg_params *p = small_model(TG_F32, 1);
    ck_assert_int_eq(tg_checkpoint_save(p, path, NULL), 0);
    ck_assert(!exists(stale) && !exists(other_stale)); /* dead owners */
    ck_assert(exists(live));    /* its process runs: the save may be under way */
    ck_assert(exists(foreign)); /* not a name a save makes */
    ck_assert(exists(path));
    tg_params_free(p);
}
END_TEST

START_TEST(killed_save_leaves_a_recognisable_temporary)
{
    SCRATCH_PATH(path, "model.safetensors");
    size_t len;
    unsigned char *old = old_checkpoint(path, &len);
    int status = save_in_limited_child(path, false);
    ck_assert(WIFSIGNALED(status));
    int temps = 0;
    DIR *d = opendir(scratch);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        temps += strstr(e->d_name, "model.safetensors.tapegrad-save-") == e->d_name;
    closedir(d);
    ck_assert_int_eq(temps, 1);
    /* the next save removes it: the child that made it is gone */
    tg_params *p = small_model(TG_F32, 3);
    ck_assert_int_eq(tg_checkpoint_save(p, path, NULL), 0);
    ck_assert_int_eq(entries_in_scratch(), 1);
    free(old);
    tg_params_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc = tu_tcase("checkpoint");
    tcase_add_checked_fixture(tc, make_scratch, remove_scratch);
    tcase_add_test(tc, round_trip_is_bit_exact);
    tcase_add_test(tc, loaded_model_predicts_identically);
    tcase_add_test(tc, dtypes_convert_both_ways);
    tcase_add_test(tc, empty_registry_round_trips);
    tcase_add_test(tc, file_layout_follows_the_format);
    tcase_add_test(tc, loads_a_file_from_the_reference_writer);
    tcase_add_test(tc, metadata_reads_back);
    tcase_add_loop_test(tc, corrupt_header_is_rejected, 0,
                        (int)(sizeof corrupt_headers / sizeof *corrupt_headers));
    tcase_add_test(tc, bad_header_length_is_rejected);
    tcase_add_test(tc, truncated_file_is_rejected);
    tcase_add_test(tc, missing_or_unreadable_file_is_rejected);
    tcase_add_test(tc, flags_relax_name_matching);
    tcase_add_test(tc, null_arguments_are_rejected);
    tcase_add_test(tc, unstorable_input_is_refused);
    tcase_add_test(tc, save_replaces_and_leaves_only_the_checkpoint);
    tcase_add_test(tc, failed_temp_creation_keeps_old_checkpoint);
    tcase_add_test(tc, read_only_directory_keeps_old_checkpoint);
    tcase_add_test(tc, failed_rename_removes_temporary_file);
    tcase_add_test(tc, write_error_keeps_old_checkpoint);
    tcase_add_test(tc, crash_mid_save_keeps_old_checkpoint);
    tcase_add_test(tc, allocation_failures_leave_model_and_file_intact);
    tcase_add_test(tc, handle_reads_the_file_once);
    tcase_add_test(tc, handle_reports_errors);
    tcase_add_test(tc, flipped_bit_is_found_and_named);
    tcase_add_test(tc, malformed_checksum_list_is_refused);
    tcase_add_test(tc, stale_temporaries_of_dead_processes_are_removed);
    tcase_add_test(tc, killed_save_leaves_a_recognisable_temporary);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
