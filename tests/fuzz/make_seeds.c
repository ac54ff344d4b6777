/* make_seeds.c -- writes the fuzz targets' seed corpora: the files the
 * library writes (checkpoints of the fuzzed models, with and without
 * metadata and CRCs, F32 into F64), IDX and CSV files plain and gzipped,
 * and tg command lines taken from tests/cli/explain-examples.tsv.
 *     make_seeds SOURCE_DIR OUT_DIR   (OUT_DIR/checkpoint, data, tg) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include <tapegrad/tapegrad.h>

static const char *out_dir;

static void seed(const char *target, const char *name, const void *bytes, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*len + 1);
    if (fread(b, 1, *len, f) != *len)
        exit(1);
    fclose(f);
    return b;
}

/* A checkpoint saved by the library becomes a seed. */
static void checkpoint_seed(const char *name, tg_params *p, const char *const *meta)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tmp.safetensors", out_dir);
    if (tg_checkpoint_save(p, path, meta) < 0) {
        fprintf(stderr, "%s\n", tg_last_error());
        exit(1);
    }
    size_t len;
    unsigned char *b = slurp(path, &len);
    seed("checkpoint", name, b, len);
    free(b);
    remove(path);
}

static void checkpoints(void)
{
    const char *const meta[] = {"layers", "3,4,2", "epoch", "7", NULL};
    tg_model *a = tg_mlp_new(TG_F32, 3, (int64_t[]){3, 4, 2}, TG_ACT_RELU, TG_ACT_LINEAR, 1);
    tg_model *b = tg_mlp_new(TG_F64, 3, (int64_t[]){3, 4, 2}, TG_ACT_TANH, TG_ACT_LINEAR, 2);
    tg_model *c = tg_mlp_new(TG_F32, 2, (int64_t[]){2, 2}, TG_ACT_RELU, TG_ACT_LINEAR, 3);
    checkpoint_seed("mlp-f32", tg_model_params(a), meta);
    checkpoint_seed("mlp-f64", tg_model_params(b), NULL);
    checkpoint_seed("mlp-small", tg_model_params(c), meta);
    tg_params *odd = tg_params_new();
    tg_params_add(odd, "scale", tg_param(TG_F64, 0, NULL, (double[]){2}));
    tg_params_add(odd, "cube", tg_param(TG_F32, 3, (int64_t[]){2, 1, 3}, NULL));
    checkpoint_seed("odd", odd, NULL);
    /* as another writer (safetensors itself) lays it out: no CRCs */
    static const char header[] = "{\"__metadata__\":{\"format\":\"pt\"},"
                                 "\"scale\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}";
    unsigned char file[8 + sizeof header + 8 + 8] = {0};
    size_t n = (sizeof header - 1 + 7) / 8 * 8;
    file[0] = (unsigned char)n;
    memset(file + 8, ' ', n);
    memcpy(file + 8, header, sizeof header - 1);
    memcpy(file + 8 + n, (double[]){2.5}, 8);
    seed("checkpoint", "foreign", file, 8 + n + 8);
    tg_model_free(a);
    tg_model_free(b);
    tg_model_free(c);
    tg_params_free(odd);
}

static size_t gzip_bytes(const void *src, size_t n, unsigned char *dst, size_t cap)
{
    uLongf len = cap;
    z_stream zs = {0};
    deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (unsigned char *)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dst;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

/* A data seed: the mode byte, then the file, and the same gzipped. */
static void data_seed(const char *name, unsigned char mode, const void *file, size_t n)
{
    unsigned char buf[4096], gz[4096];
    buf[0] = mode;
    memcpy(buf + 1, file, n);
    seed("data", name, buf, n + 1);
    char gz_name[128];
    snprintf(gz_name, sizeof gz_name, "%s-gz", name);
    gz[0] = mode;
    seed("data", gz_name, gz, gzip_bytes(file, n, gz + 1, sizeof gz - 1) + 1);
}

static void data_files(void)
{
    unsigned char img[16 + 12] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3};
    for (int i = 0; i < 12; i++)
        img[16 + i] = (unsigned char)(i * 20);
    data_seed("idx-images", 0xc0, img, sizeof img);
    const unsigned char lab[8 + 3] = {0, 0, 8, 1, 0, 0, 0, 3, 0, 1, 2};
    data_seed("idx-labels", 0xc1, lab, sizeof lab);
    const char csv[] = "1,2,0\n3,4.5,1\n-1,2e3,2\n";
    data_seed("csv", 0x00, csv, sizeof csv - 1);
    const char named[] = "a;label;b\n1;0;2\n3;1;4\n";
    data_seed("csv-named", 0x0b, named, sizeof named - 1);
    const char bare[] = "\xef\xbb\xbf 1 , 2 \r\n\n3,4\n";
    data_seed("csv-bare", 0x04, bare, sizeof bare - 1);
}

/* Each line NAME<TAB>ARG<TAB>ARG... of explain-examples.tsv becomes a
 * command line with NUL-separated arguments. */
static void command_lines(const char *source_dir)
{
    char path[1024], line[4096];
    snprintf(path, sizeof path, "%s/tests/cli/explain-examples.tsv", source_dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    int k = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *args = strchr(line, '\t');
        if (!args)
            continue;
        args++;
        size_t n = strlen(args);
        for (size_t i = 0; i < n; i++)
            if (args[i] == '\t')
                args[i] = '\0';
        char name[32];
        snprintf(name, sizeof name, "example-%03d", k++);
        seed("tg", name, args, n);
    }
    fclose(f);
    /* the other commands, on what their pages show */
    static const char extra[][160] = {
        "grad\0sigmoid(w1*x1 + w2*x2 + b)\0w1=0.5\0x1=2\0w2=-1\0x2=0.5\0b=0.1\0--json",
        "grad\0sum(u * v)\0u=[[1],[2]]\0v=[1,2,3]\0--wrt\0u",
        "dot\0tanh(W @ x + b)\0W=[[1,2],[3,4]]\0x=[1,-1]\0b=[0,0]",
        "lint\0log(1 + exp(x))\0x=1000",
        "lint\0where(x > 0, sqrt(x), 0)\0x=[0,1]",
        "grad\0def f(a) = a^2; sum(f(x)[0:2])\0x=[1,2,3]",
    };
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
        size_t n = 0;
        while (extra[i][n] || extra[i][n + 1])
            n++;
        char name[32];
        snprintf(name, sizeof name, "command-%02zu", i);
        seed("tg", name, extra[i], n + 1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_seeds SOURCE_DIR OUT_DIR\n");
        return 2;
    }
    out_dir = argv[2];
    mkdir(out_dir, 0777);
    checkpoints();
    data_files();
    command_lines(argv[1]);
    tg_tape_destroy();
    return 0;
}
