/* checkpoint.c -- safetensors checkpoints: atomic saves, loads that validate
 * the whole file before they change the model. The format and the checks are
 * described in docs/checkpoint.md. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <signal.h>

#include <cJSON.h>
#include <tapegrad/checkpoint.h>
#include <zlib.h>

#include "nn_internal.h"

/* The reference implementation refuses larger headers, so a bigger one could
 * not be read elsewhere, and the bound keeps a hostile length from making us
 * allocate gigabytes. */
#define HEADER_LIMIT 100000000u
/* Integers above 2^53 do not survive cJSON's conversion to double. */
#define JSON_INT_LIMIT 9007199254740992.0
#define METADATA_KEY "__metadata__"
/* The metadata key under which saves store each tensor's CRC-32 (zlib's), in
 * data-section order, as 8 lowercase hex digits separated by commas. */
#define CRC_KEY "tapegrad.crc32"
#define CRC_DIGITS 8
/* Paths and names are cut in messages so that the whole message fits. */
#define PATH_FMT "%.200s"
#define NAME_FMT "\"%.80s\""

/* ---- shared helpers ------------------------------------------------------- */

static void store_le(unsigned char *p, uint64_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t load_le(const unsigned char *p, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* strerror is not thread-safe; with _POSIX_C_SOURCE this is the XSI
 * strerror_r, which fills buf. */
static const char *errno_text(int err, char *buf, size_t size)
{
    if (strerror_r(err, buf, size) != 0)
        snprintf(buf, size, "error %d", err);
    return buf;
}

/* Length of a UTF-8 sequence starting with byte c, or 0 if c cannot start
 * one; *lo and *hi bound its second byte, which rules out overlong forms,
 * surrogates and code points above U+10FFFF (RFC 3629). */
static size_t utf8_sequence(unsigned c, unsigned *lo, unsigned *hi)
{
    *lo = 0x80;
    *hi = 0xbf;
    if (c >= 0x01 && c <= 0x7f)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef) {
        *lo = c == 0xe0 ? 0xa0 : 0x80;
        *hi = c == 0xed ? 0x9f : 0xbf;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        *lo = c == 0xf0 ? 0x90 : 0x80;
        *hi = c == 0xf4 ? 0x8f : 0xbf;
        return 4;
    }
    return 0; /* continuation bytes, 0xc0/0xc1, 0xf5.., and NUL, which C strings cannot carry */
}

/* Length of the longest valid UTF-8 prefix of s: the format requires UTF-8,
 * so text that is not would be unreadable by other implementations. */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned lo, hi;
        size_t len = utf8_sequence(s[i], &lo, &hi);
        if (len == 0 || n - i < len)
            return i;
        if (len > 1 && (s[i + 1] < lo || s[i + 1] > hi))
            return i;
        for (size_t k = 2; k < len; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return i;
        i += len;
    }
    return n;
}

static bool is_utf8(const char *s)
{
    size_t n = strlen(s);
    return utf8_valid_prefix((const unsigned char *)s, n) == n;
}

static const char *dtype_tag(tg_dtype dtype) { return dtype == TG_F32 ? "F32" : "F64"; }

/* cJSON's allocator hooks are process-wide, so they are installed once, by
 * the first checkpoint call made with an allocator set by tg_set_allocator
 * (tapegrad/checkpoint.h says what that means for a program that uses cJSON
 * itself). With the C library's allocator, which cJSON uses by default,
 * they are left alone. */
/* Set when a cJSON allocation fails on this thread: cJSON's parser returns
 * NULL for that as for malformed text, and this tells the two apart. */
static _Thread_local bool cjson_out_of_memory;

static void *cjson_alloc(size_t size)
{
    void *p = tg__sized_alloc(size);
    if (!p)
        cjson_out_of_memory = true;
    return p;
}

static void install_cjson_hooks(void)
{
    cJSON_InitHooks(&(cJSON_Hooks){.malloc_fn = cjson_alloc, .free_fn = tg__sized_free});
}

static void cjson_use_tapegrad_allocator(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    if (tg_get_allocator(NULL))
        pthread_once(&once, install_cjson_hooks);
}

/* ---- save: the header ----------------------------------------------------- */

static bool add_int_array(cJSON *object, const char *key, const int64_t *values, int n)
{
    cJSON *array = cJSON_AddArrayToObject(object, key);
    for (int i = 0; array && i < n; i++)
        if (!cJSON_AddItemToArray(array, cJSON_CreateNumber((double)values[i])))
            return false;
    return array != NULL;
}

static bool add_tensor_entry(cJSON *root, const char *name, const tg_tensor *t, int64_t *offset)
{
    tg_dtype dtype = tg_dtype_of(t);
    int64_t range[2] = {*offset, *offset + tg_numel(t) * (int64_t)nn_dtype_size(dtype)};
    *offset = range[1];
    cJSON *entry = cJSON_AddObjectToObject(root, name);
    return entry && cJSON_AddStringToObject(entry, "dtype", dtype_tag(dtype)) &&
           add_int_array(entry, "shape", tg_shape(t), tg_ndim(t)) &&
           add_int_array(entry, "data_offsets", range, 2);
}

static int add_metadata(cJSON *root, const char *path, const char *const *pairs,
                        const char *crcs)
{
    cJSON *object = cJSON_AddObjectToObject(root, METADATA_KEY);
    if (!object)
        return tg_set_error(TG_ENOMEM, "tg_checkpoint_save: " PATH_FMT ": out of memory", path);
    for (; pairs && *pairs; pairs += 2) {
        const char *key = pairs[0], *value = pairs[1];
        if (!value)
            return tg_set_error(TG_EVALUE,
                                "tg_checkpoint_save: " PATH_FMT ": metadata key " NAME_FMT
                                " has no value (the list is key, value, ..., NULL)", path, key);
        if (!is_utf8(key) || !is_utf8(value))
            return tg_set_error(TG_EVALUE, "tg_checkpoint_save: " PATH_FMT ": metadata " NAME_FMT
                                " is not valid UTF-8", path, key);
        if (strcmp(key, CRC_KEY) == 0)
            return tg_set_error(TG_EVALUE, "tg_checkpoint_save: " PATH_FMT ": metadata key "
                                NAME_FMT " is reserved for the data's checksums", path, key);
        if (cJSON_GetObjectItemCaseSensitive(object, key))
            return tg_set_error(TG_EVALUE,
                                "tg_checkpoint_save: " PATH_FMT ": metadata key " NAME_FMT
                                " given twice", path, key);
        if (!cJSON_AddStringToObject(object, key, value))
            return tg_set_error(TG_ENOMEM, "tg_checkpoint_save: " PATH_FMT ": out of memory", path);
    }
    if (*crcs && !cJSON_AddStringToObject(object, CRC_KEY, crcs))
        return tg_set_error(TG_ENOMEM, "tg_checkpoint_save: " PATH_FMT ": out of memory", path);
    return TG_OK;
}

static int add_parameters(cJSON *root, const char *path, const tg_params *params)
{
    int64_t offset = 0;
    for (int i = 0; i < tg_params_count(params); i++) {
        const char *name;
        const tg_tensor *t = tg_params_at(params, i, &name);
        if (strcmp(name, METADATA_KEY) == 0 || !is_utf8(name))
            return tg_set_error(TG_EVALUE,
                                "tg_checkpoint_save: " PATH_FMT ": parameter name " NAME_FMT
                                " cannot be stored (reserved or not UTF-8)", path, name);
        if (!add_tensor_entry(root, name, t, &offset))
            return tg_set_error(TG_ENOMEM, "tg_checkpoint_save: " PATH_FMT ": out of memory", path);
    }
    return TG_OK;
}

/* The header JSON, unpadded; *json is freed with cJSON_free. */
static int build_header(const tg_params *params, const char *path, const char *const *metadata,
                        const char *crcs, char **json)
{
    cJSON *root = cJSON_CreateObject();
    int rc = root ? TG_OK
                  : tg_set_error(TG_ENOMEM, "tg_checkpoint_save: " PATH_FMT ": out of memory",
                                 path);
    if (rc == 0 && (metadata || *crcs)) /* first, where safetensors' own writer puts it */
        rc = add_metadata(root, path, metadata, crcs);
    if (rc == 0)
        rc = add_parameters(root, path, params);
    *json = rc == 0 ? cJSON_PrintUnformatted(root) : NULL;
    if (rc == 0 && !*json)
        rc = tg_set_error(TG_ENOMEM, "tg_checkpoint_save: " PATH_FMT ": out of memory", path);
    cJSON_Delete(root);
    return rc;
}

/* ---- save: the file ------------------------------------------------------- */

/* Writes all n bytes, resuming after a signal or a short count (a file
 * size limit gives one before the write that fails); false with errno set.
 * Plain write(2), not stdio: a FILE would allocate its buffer with malloc. */
static bool write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t done = write(fd, p, n);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0) {
            if (done == 0)
                errno = EIO;
            return false;
        }
        p += done;
        n -= (size_t)done;
    }
    return true;
}

/* Hands t's values to sink a chunk at a time as the file stores them:
 * little-endian whatever the host's byte order, as the format requires, by
 * way of each value's bit pattern. Stops at the first false from sink. */
static bool each_stored_chunk(const tg_tensor *t,
                              bool (*sink)(void *ctx, const unsigned char *p, size_t n), void *ctx)
{
    unsigned char chunk[4096];
    tg_dtype dtype = tg_dtype_of(t);
    const void *values = tg_data(t);
    size_t item = nn_dtype_size(dtype), per_chunk = sizeof chunk / item;
    for (int64_t i = 0, numel = tg_numel(t); i < numel;) {
        size_t n = 0;
        for (; n < per_chunk && i < numel; n++, i++) {
            uint64_t bits = 0;
            if (dtype == TG_F32) {
                uint32_t b32;
                memcpy(&b32, (const float *)values + i, sizeof b32);
                bits = b32;
            } else {
                memcpy(&bits, (const double *)values + i, sizeof bits);
            }
            store_le(chunk + n * item, bits, item);
        }
        if (!sink(ctx, chunk, n * item))
            return false;
    }
    return true;
}

static bool write_chunk(void *ctx, const unsigned char *p, size_t n)
{
    return write_all(*(const int *)ctx, p, n);
}

static bool write_values(int fd, const tg_tensor *t)
{
    return each_stored_chunk(t, write_chunk, &fd);
}

/* zlib's crc32 takes a uInt length; chunks are 4096 bytes. */
static bool crc_chunk(void *ctx, const unsigned char *p, size_t n)
{
    uLong *crc = ctx;
    *crc = crc32(*crc, p, (uInt)n);
    return true;
}

/* The CRC_KEY value for params: each tensor's CRC-32 over its stored bytes,
 * in registry order, which is data order. Freed with tg_mem_free(*text, *size). */
static int crc_text(const tg_params *params, const char *path, char **text, size_t *size)
{
    int n = tg_params_count(params);
    *size = (size_t)n * (CRC_DIGITS + 1) + 1;
    *text = tg_mem_alloc(*size);
    if (!*text)
        return tg_set_error(TG_ENOMEM, "tg_checkpoint_save: " PATH_FMT ": out of memory", path);
    size_t len = 0;
    (*text)[0] = '\0';
    for (int i = 0; i < n; i++) {
        uLong crc = crc32(0L, Z_NULL, 0);
        each_stored_chunk(tg_params_at(params, i, NULL), crc_chunk, &crc);
        len += (size_t)snprintf(*text + len, *size - len, i ? ",%08lx" : "%08lx",
                                (unsigned long)crc);
    }
    return TG_OK;
}

/* Header length, JSON, spaces up to a multiple of 8 (so the data starts
 * aligned, as in files written by safetensors itself), then every value. */
static bool write_contents(int fd, const tg_params *params, const char *json, size_t padded)
{
    static const char spaces[] = "       "; /* the most padding needs: 7 */
    unsigned char length[8];
    store_le(length, padded, sizeof length);
    size_t json_len = strlen(json);
    bool ok = write_all(fd, length, sizeof length) && write_all(fd, json, json_len) &&
              write_all(fd, spaces, padded - json_len);
    for (int i = 0; ok && i < tg_params_count(params); i++)
        ok = write_values(fd, tg_params_at(params, i, NULL));
    return ok;
}

/* Temporaries are "<path>" TEMP_MARK "<pid>-<n>" TEMP_SUFFIX, recognisable
 * so that those of processes killed mid-save can be found and removed. */
#define TEMP_MARK ".tapegrad-save-"
#define TEMP_SUFFIX ".tmp"

/* The pid in a temporary's name, or 0 if name is not one. */
static long temp_owner(const char *name)
{
    const char *mark = strstr(name, TEMP_MARK);
    if (!mark || mark == name)
        return 0;
    char *end;
    long pid = strtol(mark + strlen(TEMP_MARK), &end, 10);
    if (pid <= 0 || *end != '-')
        return 0;
    strtoul(end + 1, &end, 10);
    return strcmp(end, TEMP_SUFFIX) == 0 && !strstr(mark + 1, TEMP_MARK) ? pid : 0;
}

/* Removes the temporaries that processes which no longer exist left in the
 * directory dir (a killed save cannot remove its own). Best effort: a
 * directory that cannot be listed is left as it is. The owner's pid is
 * checked on this machine, so on a directory shared by several machines a
 * save in progress elsewhere may lose its temporary and fail (its rename
 * reports it); the destination is never touched. */
static void remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    int dfd = dirfd(d);
    for (struct dirent *e; (e = readdir(d));) {
        long pid = temp_owner(e->d_name);
        if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            unlinkat(dfd, e->d_name, 0);
    }
    closedir(d);
}

/* A fresh file under a name unique to this process and call, so concurrent
 * saves never share one; O_EXCL never reuses a file someone else made, and a
 * name left by a crashed process with our pid is skipped. */
static int create_temp(const char *path, char *temp, size_t size)
{
    static atomic_uint counter;
    for (int attempt = 0; attempt < 16; attempt++) {
        snprintf(temp, size, "%s" TEMP_MARK "%ld-%u" TEMP_SUFFIX, path, (long)getpid(),
                 atomic_fetch_add(&counter, 1));
        int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

static int fail_io(const char *path, const char *what, const char *file, int err)
{
    char text[128];
    return tg_set_error(TG_EIO, "tg_checkpoint_save: " PATH_FMT ": %s " PATH_FMT " failed: %s",
                        path, what, file, errno_text(err, text, sizeof text));
}

/* Writes and syncs the temporary file; *created says whether it exists and
 * must be removed if the save goes no further. */
static int write_temp(const tg_params *params, const char *path, const char *json, size_t padded,
                      char *temp, size_t temp_size, bool *created)
{
    int fd = create_temp(path, temp, temp_size);
    if (fd < 0)
        return fail_io(path, "creating temporary file", temp, errno);
    *created = true;
    /* fsync before the rename: otherwise a crash could leave the new name
     * pointing at data that never reached the disk. */
    bool ok = write_contents(fd, params, json, padded) && fsync(fd) == 0;
    int err = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        err = errno;
    }
    return ok ? TG_OK : fail_io(path, "writing temporary file", temp, err);
}

/* The directory part of path into dir, a buffer at least as long as path
 * (so nothing is allocated once the new file is in place). */
static void directory_of(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) + (slash == path) : 1;
    memcpy(dir, slash ? path : ".", len);
    dir[len] = '\0';
}

/* The rename is durable only once the directory entry itself is synced. */
static int sync_directory(const char *path, char *dir)
{
    directory_of(path, dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    /* Some file systems cannot sync a directory (EINVAL); there is nothing
     * more to do on those. */
    int rc = fd >= 0 && (fsync(fd) == 0 || errno == EINVAL)
                 ? TG_OK
                 : fail_io(path, "saved, but syncing directory", dir, errno);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int write_atomically(const tg_params *params, const char *path, const char *json,
                            size_t padded)
{
    size_t temp_size = strlen(path) + 48;
    char *temp = tg_mem_alloc(temp_size);
    if (!temp)
        return tg_set_error(TG_ENOMEM, "tg_checkpoint_save: " PATH_FMT ": out of memory", path);
    directory_of(path, temp);
    remove_stale_temps(temp);
    bool created = false;
    int rc = write_temp(params, path, json, padded, temp, temp_size, &created);
    if (rc == 0 && rename(temp, path) != 0)
        rc = fail_io(path, "renaming over it temporary file", temp, errno);
    if (rc < 0 && created)
        unlink(temp);
    if (rc == 0)
        rc = sync_directory(path, temp);
    tg_mem_free(temp, temp_size);
    return rc;
}

int tg_checkpoint_save(const tg_params *params, const char *path, const char *const *metadata)
{
    if (!params || !path)
        return tg_set_error(TG_ENULL, "tg_checkpoint_save: argument %d (%s) is NULL",
                            params ? 2 : 1, params ? "path" : "params");
    cjson_use_tapegrad_allocator();
    char *crcs, *json = NULL;
    size_t crcs_size;
    int rc = crc_text(params, path, &crcs, &crcs_size);
    if (rc == 0)
        rc = build_header(params, path, metadata, crcs, &json);
    tg_mem_free(crcs, crcs ? crcs_size : 0);
    if (rc < 0)
        return rc;
    size_t padded = (strlen(json) + 7) / 8 * 8;
    if (padded > HEADER_LIMIT)
        rc = tg_set_error(TG_EVALUE, "tg_checkpoint_save: " PATH_FMT ": header of %zu bytes "
                          "exceeds the %u-byte limit of safetensors readers", path, padded,
                          HEADER_LIMIT);
    else
        rc = write_atomically(params, path, json, padded);
    cJSON_free(json);
    return rc;
}

/* ---- load: reading and validating ----------------------------------------- */

typedef struct {
    const char *name;
    const cJSON *shape; /* validated array of non-negative integers */
    tg_dtype dtype;
    uint64_t begin, end; /* within the data section */
} stored_tensor;

typedef struct {
    const char *fn, *path;
    int fd;
    uint64_t file_size, header_len, data_len;
    char *header;         /* header_len + 1 bytes */
    cJSON *json;
    const cJSON *metadata; /* NULL if the file has none */
    stored_tensor *tensors; /* sorted by name once validated */
    int count, capacity;
    unsigned char *data;  /* data_len bytes */
} checkpoint;

/* Fails with "fn: path: <message>". */
static int fail_file(const checkpoint *ck, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail_file(const checkpoint *ck, int code, const char *fmt, ...)
{
    char detail[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return tg_set_error(code, "%s: " PATH_FMT ": %s", ck->fn, ck->path, detail);
}

static void close_checkpoint(checkpoint *ck)
{
    if (ck->fd >= 0)
        close(ck->fd);
    cJSON_Delete(ck->json);
    tg_mem_free(ck->header, ck->header ? ck->header_len + 1 : 0);
    tg_mem_free(ck->tensors, (size_t)ck->capacity * sizeof *ck->tensors);
    tg_mem_free(ck->data, ck->data ? ck->data_len : 0);
}

/* Reads exactly n bytes; a short count means the file shrank while we read. */
static int read_exactly(checkpoint *ck, void *buf, size_t n, const char *what)
{
    size_t done = 0;
    while (done < n) {
        ssize_t got = read(ck->fd, (char *)buf + done, n - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            char text[128];
            return fail_file(ck, TG_EIO, "reading the %s failed: %s", what,
                             got < 0 ? errno_text(errno, text, sizeof text)
                                     : "file shrank while being read");
        }
        done += (size_t)got;
    }
    return TG_OK;
}

static int open_checkpoint(checkpoint *ck)
{
    char text[128];
    /* O_NONBLOCK so that a FIFO at path fails the S_ISREG test below instead
     * of blocking the open; it changes nothing for regular files. */
    ck->fd = open(ck->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (ck->fd < 0 || fstat(ck->fd, &st) != 0)
        return fail_file(ck, TG_EIO, "cannot open: %s", errno_text(errno, text, sizeof text));
    if (!S_ISREG(st.st_mode))
        return fail_file(ck, TG_EIO, "not a regular file");
    ck->file_size = (uint64_t)st.st_size;
    if (ck->file_size == 0)
        return fail_file(ck, TG_EFORMAT, "file is empty");
    if (ck->file_size < 8)
        return fail_file(ck, TG_EFORMAT, "file has only %llu bytes; a safetensors file starts "
                         "with an 8-byte header length", (unsigned long long)ck->file_size);
    return TG_OK;
}

static int read_header_length(checkpoint *ck)
{
    unsigned char bytes[8];
    int rc = read_exactly(ck, bytes, sizeof bytes, "header length");
    if (rc < 0)
        return rc;
    ck->header_len = load_le(bytes, sizeof bytes);
    unsigned long long n = ck->header_len;
    if (n < 2)
        return fail_file(ck, TG_EFORMAT, "header length %llu is too small for a JSON object", n);
    if (n > HEADER_LIMIT)
        return fail_file(ck, TG_EFORMAT, "header length %llu exceeds the limit of %u bytes", n,
                         HEADER_LIMIT);
    if (n > ck->file_size - 8)
        return fail_file(ck, TG_EFORMAT, "header length %llu exceeds file size %llu", n,
                         (unsigned long long)ck->file_size);
    ck->data_len = ck->file_size - 8 - n;
    return TG_OK;
}

/* JSON allows only whitespace after the value; safetensors pads with spaces. */
static size_t trailing_garbage_at(const char *text, size_t from, size_t len)
{
    for (size_t i = from; i < len; i++)
        if (!memchr(" \t\r\n", text[i], 4))
            return i;
    return len;
}

/* Offset of the first \u0000 escape in the header's n bytes, or n. Decoded,
 * it puts a NUL inside a name or value, which every C string after the
 * parse would cut short: "0.bias\u0000x" would load as "0.bias". */
static size_t nul_escape_at(const char *text, size_t n)
{
    for (size_t i = 0; i + 5 < n; i++) {
        if (text[i] != '\\')
            continue;
        if (memcmp(text + i + 1, "u0000", 5) == 0)
            return i;
        i++; /* the escaped character, so that \\ does not start an escape */
    }
    return n;
}

static int parse_header(checkpoint *ck)
{
    size_t n = (size_t)ck->header_len;
    ck->header = tg_mem_alloc(n + 1);
    if (!ck->header)
        return fail_file(ck, TG_ENOMEM, "out of memory for a %zu-byte header", n);
    int rc = read_exactly(ck, ck->header, n, "header");
    if (rc < 0)
        return rc;
    ck->header[n] = '\0';
    size_t valid = utf8_valid_prefix((const unsigned char *)ck->header, n);
    if (valid < n)
        return fail_file(ck, TG_EFORMAT, "header is not valid UTF-8 (byte %zu of the file)",
                         8 + valid);
    size_t nul = nul_escape_at(ck->header, n);
    if (nul < n)
        return fail_file(ck, TG_EFORMAT, "header holds a \\u0000 escape (byte %zu of the file); "
                         "names and metadata cannot contain NUL", 8 + nul);
    const char *end = NULL;
    cjson_out_of_memory = false;
    ck->json = cJSON_ParseWithLengthOpts(ck->header, n, &end, false);
    size_t at = end ? (size_t)(end - ck->header) : 0;
    if (!ck->json && cjson_out_of_memory)
        return fail_file(ck, TG_ENOMEM, "out of memory while parsing the header");
    if (!ck->json)
        return fail_file(ck, TG_EFORMAT, "header is not valid JSON (error at byte %zu of the file)",
                         8 + at);
    size_t garbage = trailing_garbage_at(ck->header, at, n);
    if (garbage < n)
        return fail_file(ck, TG_EFORMAT, "header has data after its JSON value (byte %zu of the "
                         "file)", 8 + garbage);
    if (!cJSON_IsObject(ck->json))
        return fail_file(ck, TG_EFORMAT, "header is not a JSON object");
    return TG_OK;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Rejects an object that repeats a key: readers disagree on which one wins.
 * Sorting keeps a hostile header with millions of keys from taking n^2. */
static int check_unique_keys(const checkpoint *ck, const cJSON *object, const char *what)
{
    size_t n = (size_t)cJSON_GetArraySize(object), i = 0;
    if (n < 2)
        return TG_OK;
    const char **keys = tg_mem_alloc(n * sizeof *keys);
    if (!keys)
        return fail_file(ck, TG_ENOMEM, "out of memory");
    for (const cJSON *item = object->child; item; item = item->next)
        keys[i++] = item->string;
    qsort(keys, n, sizeof *keys, compare_names);
    const char *repeated = NULL;
    for (i = 1; i < n && !repeated; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            repeated = keys[i];
    tg_mem_free(keys, n * sizeof *keys);
    if (repeated)
        return fail_file(ck, TG_EFORMAT, "%s " NAME_FMT " appears twice in the header", what,
                         repeated);
    return TG_OK;
}

static int check_metadata(checkpoint *ck, const cJSON *metadata)
{
    if (!cJSON_IsObject(metadata))
        return fail_file(ck, TG_EFORMAT, "\"" METADATA_KEY "\" is not a JSON object");
    for (const cJSON *item = metadata->child; item; item = item->next)
        if (!cJSON_IsString(item))
            return fail_file(ck, TG_EFORMAT, "metadata " NAME_FMT " is not a string", item->string);
    ck->metadata = metadata;
    return check_unique_keys(ck, metadata, "metadata key");
}

static bool is_json_count(const cJSON *item)
{
    double v = cJSON_IsNumber(item) ? item->valuedouble : -1;
    return v >= 0 && v <= JSON_INT_LIMIT && v == (double)(uint64_t)v;
}

static bool is_count_array(const cJSON *array)
{
    if (!cJSON_IsArray(array))
        return false;
    for (const cJSON *item = array->child; item; item = item->next)
        if (!is_json_count(item))
            return false;
    return true;
}

/* The byte size of a tensor of this shape, or false if it overflows. */
static bool shape_bytes(const cJSON *shape, size_t item_size, uint64_t *bytes)
{
    uint64_t n = item_size;
    for (const cJSON *dim = shape->child; dim; dim = dim->next) {
        uint64_t d = (uint64_t)dim->valuedouble;
        if (d != 0 && n > UINT64_MAX / d)
            return false;
        n *= d;
    }
    *bytes = n;
    return true;
}

static void json_dims_str(const cJSON *shape, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (const cJSON *dim = shape->child; dim && used < size; dim = dim->next)
        used += (size_t)snprintf(buf + used, size - used, "%s%.0f", dim == shape->child ? "" : ",",
                                 dim->valuedouble);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

static int read_dtype(const checkpoint *ck, const cJSON *entry, stored_tensor *st)
{
    const char *dtype = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "dtype"));
    if (!dtype)
        return fail_file(ck, TG_EFORMAT, "tensor " NAME_FMT ": \"dtype\" is missing or not a string",
                         st->name);
    if (strcmp(dtype, "F32") != 0 && strcmp(dtype, "F64") != 0)
        return fail_file(ck, TG_EDTYPE, "tensor " NAME_FMT " has dtype \"%.20s\"; tapegrad loads "
                         "F32 and F64 only", st->name, dtype);
    st->dtype = strcmp(dtype, "F32") == 0 ? TG_F32 : TG_F64;
    return TG_OK;
}

static int read_offsets(const checkpoint *ck, const cJSON *entry, stored_tensor *st)
{
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    if (!is_count_array(offsets) || cJSON_GetArraySize(offsets) != 2)
        return fail_file(ck, TG_EFORMAT, "tensor " NAME_FMT ": \"data_offsets\" is missing or not "
                         "two non-negative integers [begin, end]", st->name);
    st->begin = (uint64_t)offsets->child->valuedouble;
    st->end = (uint64_t)offsets->child->next->valuedouble;
    unsigned long long b = st->begin, e = st->end;
    if (b > e)
        return fail_file(ck, TG_EFORMAT, "tensor " NAME_FMT ": data_offsets [%llu, %llu] end "
                         "before they begin", st->name, b, e);
    if (e > ck->data_len)
        return fail_file(ck, TG_EFORMAT, "tensor " NAME_FMT ": data_offsets [%llu, %llu] exceed "
                         "the %llu-byte data section (truncated file?)", st->name, b, e,
                         (unsigned long long)ck->data_len);
    return TG_OK;
}

static int read_shape(const checkpoint *ck, const cJSON *entry, stored_tensor *st)
{
    st->shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    if (!is_count_array(st->shape))
        return fail_file(ck, TG_EFORMAT, "tensor " NAME_FMT ": \"shape\" is missing or not an "
                         "array of non-negative integers", st->name);
    uint64_t bytes;
    if (shape_bytes(st->shape, nn_dtype_size(st->dtype), &bytes) && bytes == st->end - st->begin)
        return TG_OK;
    char dims[96];
    json_dims_str(st->shape, dims, sizeof dims);
    return fail_file(ck, TG_ESHAPE, "tensor " NAME_FMT ": shape %s of %s does not match "
                     "data_offsets [%llu, %llu] (%llu bytes)", st->name, dims,
                     dtype_tag(st->dtype), (unsigned long long)st->begin,
                     (unsigned long long)st->end, (unsigned long long)(st->end - st->begin));
}

static const char *repeated_field(const cJSON *entry)
{
    static const char *const fields[] = {"dtype", "shape", "data_offsets"};
    for (size_t f = 0; f < sizeof fields / sizeof *fields; f++) {
        int seen = 0;
        for (const cJSON *item = entry->child; item; item = item->next)
            seen += strcmp(item->string, fields[f]) == 0;
        if (seen > 1)
            return fields[f];
    }
    return NULL;
}

static int read_tensor_entry(const checkpoint *ck, const cJSON *entry, stored_tensor *st)
{
    st->name = entry->string;
    if (!cJSON_IsObject(entry))
        return fail_file(ck, TG_EFORMAT, "tensor " NAME_FMT ": entry is not a JSON object",
                         st->name);
    const char *repeated = repeated_field(entry);
    if (repeated)
        return fail_file(ck, TG_EFORMAT, "tensor " NAME_FMT ": field \"%s\" appears twice",
                         st->name, repeated);
    int rc = read_dtype(ck, entry, st);
    if (rc == 0)
        rc = read_offsets(ck, entry, st);
    if (rc == 0)
        rc = read_shape(ck, entry, st);
    return rc;
}

static int read_entries(checkpoint *ck)
{
    int n = cJSON_GetArraySize(ck->json);
    ck->tensors = n ? tg_mem_alloc((size_t)n * sizeof *ck->tensors) : NULL;
    if (n && !ck->tensors)
        return fail_file(ck, TG_ENOMEM, "out of memory");
    ck->capacity = n;
    int rc = check_unique_keys(ck, ck->json, "key");
    for (const cJSON *item = ck->json->child; rc == 0 && item; item = item->next) {
        if (strcmp(item->string, METADATA_KEY) == 0)
            rc = check_metadata(ck, item);
        else
            rc = read_tensor_entry(ck, item, &ck->tensors[ck->count++]);
    }
    return rc;
}

static int compare_offsets(const void *a, const void *b)
{
    const stored_tensor *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

static int compare_stored_names(const void *a, const void *b)
{
    return strcmp(((const stored_tensor *)a)->name, ((const stored_tensor *)b)->name);
}

/* qsort and bsearch must not see the NULL array of a file without tensors. */
static void sort_tensors(const checkpoint *ck, int (*compare)(const void *, const void *))
{
    if (ck->count > 1)
        qsort(ck->tensors, (size_t)ck->count, sizeof *ck->tensors, compare);
}

/* The tensors must tile the data section exactly, as the reference reader
 * demands: a hole or an overlap means a corrupt or hand-edited file. */
static int check_coverage(const checkpoint *ck)
{
    sort_tensors(ck, compare_offsets);
    uint64_t covered = 0;
    for (int i = 0; i < ck->count; i++) {
        const stored_tensor *st = &ck->tensors[i];
        if (st->begin > covered)
            return fail_file(ck, TG_EFORMAT, "data bytes [%llu, %llu) belong to no tensor (hole "
                             "before tensor " NAME_FMT ")", (unsigned long long)covered,
                             (unsigned long long)st->begin, st->name);
        if (st->begin < covered)
            return fail_file(ck, TG_EFORMAT, "tensor " NAME_FMT " at data bytes [%llu, %llu) "
                             "overlaps tensor " NAME_FMT, st->name, (unsigned long long)st->begin,
                             (unsigned long long)st->end, ck->tensors[i - 1].name);
        covered = st->end;
    }
    if (covered != ck->data_len)
        return fail_file(ck, TG_EFORMAT, "the tensors cover %llu bytes of the %llu-byte data "
                         "section (trailing bytes)", (unsigned long long)covered,
                         (unsigned long long)ck->data_len);
    return TG_OK;
}

/* Everything that can be checked without a model. Leaves the tensors sorted
 * by name for lookup. */
static int open_and_validate(checkpoint *ck)
{
    int rc = open_checkpoint(ck);
    if (rc == 0)
        rc = read_header_length(ck);
    if (rc == 0)
        rc = parse_header(ck);
    if (rc == 0)
        rc = read_entries(ck);
    if (rc == 0)
        rc = check_coverage(ck);
    if (rc == 0)
        sort_tensors(ck, compare_stored_names);
    return rc;
}

/* ---- load: matching the model and copying ---------------------------------- */

static const stored_tensor *find_stored(const checkpoint *ck, const char *name)
{
    stored_tensor key = {.name = name};
    if (ck->count == 0)
        return NULL;
    return bsearch(&key, ck->tensors, (size_t)ck->count, sizeof key, compare_stored_names);
}

static bool same_shape(const stored_tensor *st, const tg_tensor *t)
{
    if (cJSON_GetArraySize(st->shape) != tg_ndim(t))
        return false;
    const int64_t *shape = tg_shape(t);
    int i = 0;
    for (const cJSON *dim = st->shape->child; dim; dim = dim->next, i++)
        if ((double)shape[i] != dim->valuedouble)
            return false;
    return true;
}

static int check_parameter(const checkpoint *ck, const char *name, const tg_tensor *t,
                           unsigned flags)
{
    const stored_tensor *st = find_stored(ck, name);
    char model_dims[96], file_dims[96];
    tg_shape_str(t, model_dims, sizeof model_dims);
    if (!st && !(flags & TG_CHECKPOINT_ALLOW_MISSING))
        return fail_file(ck, TG_EFORMAT, "parameter " NAME_FMT " (shape %s) is missing from the "
                         "file", name, model_dims);
    if (!st || same_shape(st, t))
        return TG_OK;
    json_dims_str(st->shape, file_dims, sizeof file_dims);
    return fail_file(ck, TG_ESHAPE, "parameter " NAME_FMT " has shape %s in the file but %s in "
                     "the model", name, file_dims, model_dims);
}

static int match_model(const checkpoint *ck, const tg_params *params, unsigned flags)
{
    int found = 0;
    for (int i = 0; i < tg_params_count(params); i++) {
        const char *name;
        const tg_tensor *t = tg_params_at(params, i, &name);
        int rc = check_parameter(ck, name, t, flags);
        if (rc < 0)
            return rc;
        found += find_stored(ck, name) != NULL;
    }
    if (found == ck->count || (flags & TG_CHECKPOINT_ALLOW_EXTRA))
        return TG_OK;
    for (int i = 0; i < ck->count; i++)
        if (!tg__params_find(params, ck->tensors[i].name))
            return fail_file(ck, TG_EFORMAT, "tensor " NAME_FMT " is not a parameter of the model "
                             "(TG_CHECKPOINT_ALLOW_EXTRA ignores such tensors)",
                             ck->tensors[i].name);
    return TG_OK;
}

static int read_data(checkpoint *ck)
{
    if (ck->data_len == 0)
        return TG_OK;
    if (ck->data_len > SIZE_MAX)
        return fail_file(ck, TG_ENOMEM, "data section too large for this machine");
    ck->data = tg_mem_alloc((size_t)ck->data_len);
    if (!ck->data)
        return fail_file(ck, TG_ENOMEM, "out of memory for %llu bytes of data",
                         (unsigned long long)ck->data_len);
    return read_exactly(ck, ck->data, (size_t)ck->data_len, "tensor data");
}

static double value_of_bits(uint64_t bits, tg_dtype dtype)
{
    if (dtype == TG_F64) {
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    uint32_t b32 = (uint32_t)bits;
    float f;
    memcpy(&f, &b32, sizeof f);
    return f;
}

/* Same dtype: the bit pattern is copied, so even NaN payloads survive (a
 * round trip through double would quiet a signalling NaN). Otherwise the
 * value is converted as a C cast converts it. */
static void copy_values(tg_tensor *t, const stored_tensor *st, const unsigned char *data)
{
    size_t item = nn_dtype_size(st->dtype);
    const unsigned char *p = data + st->begin;
    tg_dtype dtype = tg_dtype_of(t);
    void *values = tg_data(t);
    for (int64_t i = 0, n = tg_numel(t); i < n; i++, p += item) {
        uint64_t bits = load_le(p, item);
        uint32_t b32 = (uint32_t)bits;
        if (st->dtype != dtype)
            nn_store(dtype, values, i, value_of_bits(bits, st->dtype));
        else if (dtype == TG_F32)
            memcpy((float *)values + i, &b32, sizeof b32);
        else
            memcpy((double *)values + i, &bits, sizeof bits);
    }
}

/* ---- load: the stored CRC-32s ------------------------------------------- */

/* Reads the next CRC_DIGITS hex digits of *p into *crc; false if they are not
 * there. Strict, so that a value is read back exactly as it was written. */
static bool read_crc(const char **p, uLong *crc)
{
    *crc = 0;
    for (int i = 0; i < CRC_DIGITS; i++, (*p)++) {
        char c = **p;
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0)
            return false;
        *crc = *crc << 4 | (uLong)digit;
    }
    return true;
}

/* With the data read, checks each tensor's bytes against the CRC_KEY list a
 * tapegrad save put in the metadata; a file without one (from another
 * writer) has nothing to check. The tensors are sorted by offset meanwhile. */
static int check_crcs(const checkpoint *ck)
{
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ck->metadata, CRC_KEY));
    if (!text)
        return TG_OK;
    size_t want = ck->count ? (size_t)ck->count * (CRC_DIGITS + 1) - 1 : 0;
    if (strlen(text) != want)
        return fail_file(ck, TG_EFORMAT, "metadata \"" CRC_KEY "\" is not %d CRC-32s of %d hex "
                         "digits separated by commas", ck->count, CRC_DIGITS);
    sort_tensors(ck, compare_offsets);
    const char *p = text;
    int rc = TG_OK;
    for (int i = 0; rc == 0 && i < ck->count; i++) {
        const stored_tensor *st = &ck->tensors[i];
        uLong stored, actual = crc32(0L, Z_NULL, 0);
        if ((i && *p++ != ',') || !read_crc(&p, &stored)) {
            rc = fail_file(ck, TG_EFORMAT, "metadata \"" CRC_KEY "\" is not %d CRC-32s of %d hex "
                           "digits separated by commas", ck->count, CRC_DIGITS);
            break;
        }
        /* crc32 takes a uInt length: a huge tensor goes in pieces */
        for (uint64_t at = st->begin; at < st->end;) {
            uInt n = st->end - at > (1u << 30) ? 1u << 30 : (uInt)(st->end - at);
            actual = crc32(actual, ck->data + at, n);
            at += n;
        }
        if (actual != stored)
            rc = fail_file(ck, TG_EFORMAT, "tensor " NAME_FMT ": its bytes do not match their "
                           "CRC-32 (stored %08lx, computed %08lx): the file is corrupt", st->name,
                           (unsigned long)stored, (unsigned long)actual);
    }
    sort_tensors(ck, compare_stored_names);
    return rc;
}

/* ---- load: the handle ----------------------------------------------------- */

/* A whole checkpoint in memory: everything a load needs, read by one open
 * and validated once, so metadata and values come from the same file even
 * if path is replaced meanwhile. */
struct tg_checkpoint {
    checkpoint ck;
    char *path;      /* ck.path points here */
    size_t path_size;
};

static void free_handle(tg_checkpoint *h)
{
    close_checkpoint(&h->ck);
    tg_mem_free(h->path, h->path_size);
    tg_mem_free(h, sizeof *h);
}

static tg_checkpoint *open_handle(const char *path, const char *fn)
{
    tg_checkpoint *h = tg_mem_alloc(sizeof *h);
    size_t path_size = strlen(path) + 1;
    char *copy = h ? tg_mem_alloc(path_size) : NULL;
    if (!copy) {
        tg_mem_free(h, sizeof *h);
        tg_set_error(TG_ENOMEM, "%s: " PATH_FMT ": out of memory", fn, path);
        return NULL;
    }
    memcpy(copy, path, path_size);
    *h = (tg_checkpoint){.ck = {.fn = fn, .path = copy, .fd = -1}, .path = copy,
                         .path_size = path_size};
    int rc = open_and_validate(&h->ck);
    if (rc == 0)
        rc = read_data(&h->ck);
    if (rc == 0)
        rc = check_crcs(&h->ck);
    if (h->ck.fd >= 0) /* everything is in memory now */
        close(h->ck.fd);
    h->ck.fd = -1;
    if (rc < 0) {
        free_handle(h);
        return NULL;
    }
    return h;
}

/* Validates against params first, so a failure changes no parameter. */
static int apply(const tg_checkpoint *h, tg_params *params, unsigned flags, const char *fn)
{
    checkpoint ck = h->ck; /* the messages name the function called */
    ck.fn = fn;
    int rc = match_model(&ck, params, flags);
    for (int i = 0; rc == 0 && i < tg_params_count(params); i++) {
        const char *name;
        tg_tensor *t = tg_params_at(params, i, &name);
        const stored_tensor *st = find_stored(&ck, name);
        if (st)
            copy_values(t, st, ck.data);
    }
    return rc;
}

tg_checkpoint *tg_checkpoint_open(const char *path)
{
    if (!path) {
        tg_set_error(TG_ENULL, "tg_checkpoint_open: argument 1 (path) is NULL");
        return NULL;
    }
    cjson_use_tapegrad_allocator();
    return open_handle(path, "tg_checkpoint_open");
}

void tg_checkpoint_close(tg_checkpoint *ck)
{
    if (ck)
        free_handle(ck);
}

const char *tg_checkpoint_metadata(const tg_checkpoint *ck, const char *key)
{
    if (!ck || !key) {
        tg_set_error(TG_ENULL, "tg_checkpoint_metadata: argument %d (%s) is NULL", ck ? 2 : 1,
                     ck ? "key" : "ck");
        return NULL;
    }
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ck->ck.metadata, key));
}

uint64_t tg_checkpoint_data_size(const tg_checkpoint *ck) { return ck ? ck->ck.data_len : 0; }

int tg_checkpoint_apply(const tg_checkpoint *ck, tg_params *params, unsigned flags)
{
    if (!ck || !params)
        return tg_set_error(TG_ENULL, "tg_checkpoint_apply: argument %d (%s) is NULL", ck ? 2 : 1,
                            ck ? "params" : "ck");
    return apply(ck, params, flags, "tg_checkpoint_apply");
}

static int load(tg_params *params, const char *path, unsigned flags, const char *fn)
{
    if (!params || !path)
        return tg_set_error(TG_ENULL, "%s: argument %d (%s) is NULL", fn, params ? 2 : 1,
                            params ? "path" : "params");
    cjson_use_tapegrad_allocator();
    tg_checkpoint *h = open_handle(path, fn);
    if (!h)
        return tg_last_error_code();
    int rc = apply(h, params, flags, fn);
    free_handle(h);
    return rc;
}

int tg_checkpoint_load(tg_params *params, const char *path)
{
    return load(params, path, 0, "tg_checkpoint_load");
}

int tg_checkpoint_load_ex(tg_params *params, const char *path, unsigned flags)
{
    return load(params, path, flags, "tg_checkpoint_load_ex");
}

int tg_checkpoint_read_metadata(const char *path, const char *key, char *value, size_t size)
{
    static const char fn[] = "tg_checkpoint_read_metadata";
    if (!path || !key || (!value && size))
        return tg_set_error(TG_ENULL, "%s: argument %d is NULL", fn, !path ? 1 : !key ? 2 : 3);
    cjson_use_tapegrad_allocator();
    checkpoint ck = {.fn = fn, .path = path, .fd = -1};
    int rc = open_and_validate(&ck);
    const char *found = rc == 0 ? cJSON_GetStringValue(
                                      cJSON_GetObjectItemCaseSensitive(ck.metadata, key))
                                : NULL;
    if (rc == 0 && !found)
        rc = fail_file(&ck, TG_EVALUE, "no metadata key " NAME_FMT, key);
    if (rc == 0) {
        size_t len = strlen(found);
        if (size)
            snprintf(value, size, "%s", found);
        rc = (int)len;
    }
    close_checkpoint(&ck);
    return rc;
}
