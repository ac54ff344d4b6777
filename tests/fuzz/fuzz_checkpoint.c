/* fuzz_checkpoint.c -- libFuzzer target: the input is a checkpoint file,
 * loaded into real models (F32 and F64 MLPs, a registry with a scalar and a
 * 3-d tensor), strictly and with the relaxing flags, through a handle and
 * by tg_checkpoint_read_metadata. A load that fails must leave every
 * parameter bit as it was; anything else is a crash for libFuzzer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tapegrad/tapegrad.h>

#include "fuzz_common.h"

#define N_MODELS 4

static tg_model *mlps[3];
static tg_params *models[N_MODELS];

static tg_params *odd_registry(void)
{
    tg_params *p = tg_params_new();
    tg_params_add(p, "scale", tg_param(TG_F64, 0, NULL, (double[]){2}));
    tg_params_add(p, "cube", tg_param(TG_F32, 3, (int64_t[]){2, 1, 3}, NULL));
    return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mlps[0] = tg_mlp_new(TG_F32, 3, (int64_t[]){3, 4, 2}, TG_ACT_RELU, TG_ACT_LINEAR, 1);
    mlps[1] = tg_mlp_new(TG_F64, 3, (int64_t[]){3, 4, 2}, TG_ACT_TANH, TG_ACT_LINEAR, 2);
    mlps[2] = tg_mlp_new(TG_F32, 2, (int64_t[]){2, 2}, TG_ACT_RELU, TG_ACT_LINEAR, 3);
    for (int i = 0; i < 3; i++)
        models[i] = tg_model_params(mlps[i]);
    models[3] = odd_registry();
    return 0;
}

/* Loads into model with flags; a failure must change no bit. */
static void load_into(tg_params *model, const char *path, unsigned flags)
{
    size_t len;
    unsigned char *before = fuzz_param_bits(model, &len);
    int rc = tg_checkpoint_load_ex(model, path, flags);
    if (rc < 0)
        fuzz_assert_bits(model, before, len, "a failed load changed the model");
    else if (rc != 0)
        fuzz_fail("tg_checkpoint_load_ex returned a positive code");
    free(before);
    tg_clear_error();
}

static void read_through_handle(const char *path)
{
    tg_checkpoint *ck = tg_checkpoint_open(path);
    if (ck) {
        static const char *const keys[] = {"layers", "tapegrad.crc32", "epoch", ""};
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
            const char *v = tg_checkpoint_metadata(ck, keys[i]);
            if (v && strlen(v) > (size_t)-2)
                fuzz_fail("impossible");
        }
        for (int m = 0; m < N_MODELS; m++) {
            size_t len;
            unsigned char *before = fuzz_param_bits(models[m], &len);
            if (tg_checkpoint_apply(ck, models[m], TG_CHECKPOINT_ALLOW_EXTRA) < 0)
                fuzz_assert_bits(models[m], before, len, "a failed apply changed the model");
            free(before);
        }
    }
    tg_checkpoint_close(ck);
    tg_clear_error();
    char value[16];
    tg_checkpoint_read_metadata(path, "epoch", value, sizeof value);
    tg_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size);
    for (int m = 0; m < N_MODELS; m++) {
        load_into(models[m], path, 0);
        load_into(models[m], path, TG_CHECKPOINT_ALLOW_EXTRA | TG_CHECKPOINT_ALLOW_MISSING);
    }
    read_through_handle(path);
    tg_tape_reset();
    return 0;
}
