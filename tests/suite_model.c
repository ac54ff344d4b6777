/* suite_model.c -- the sequential model beyond dense layers: one sample's
 * shape through conv, pooling, dropout, flatten, embedding and norm layers,
 * PyTorch's parameter names (and batch norm's buffers), the forward pass
 * against the ops, errors that name the layer that does not fit, the training/evaluation mode, gradients, and a conv
 * training step that allocates nothing once the first has sized the tape. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tapegrad/nn.h>

#include "testutil.h"

#define assert_error_has(text)                                                    \
    ck_assert_msg(strstr(tg_last_error(), text) != NULL, "error '%s' lacks '%s'", \
                  tg_last_error(), text)

/* input [1, 8, 8] -> conv2d(4, 3, pad 1) [4, 8, 8] -> relu -> conv2d(6, 3,
 * stride 2) [6, 3, 3] -> tanh -> flatten [54] -> dense(5) */
static tg_model *small_cnn(tg_dtype dtype, uint64_t seed)
{
    tg_rng rng;
    tg_rng_seed(&rng, seed);
    tg_model *m = tg_model_new(dtype);
    tg_conv_opts pad1 = {.padding = {1, 1}}, stride2 = {.stride = {2, 2}};
    ck_assert_int_eq(tg_model_set_input(m, 3, (int64_t[]){1, 8, 8}), 0);
    ck_assert_int_eq(tg_model_add_conv2d(m, 4, (int64_t[]){3, 3}, &pad1, true,
                                         TG_INIT_HE_UNIFORM, &rng), 0);
    ck_assert_int_eq(tg_model_add_activation(m, TG_ACT_RELU, 0), 0);
    ck_assert_int_eq(tg_model_add_conv2d(m, 6, (int64_t[]){3, 3}, &stride2, true,
                                         TG_INIT_HE_UNIFORM, &rng), 0);
    ck_assert_int_eq(tg_model_add_activation(m, TG_ACT_TANH, 0), 0);
    ck_assert_int_eq(tg_model_add_flatten(m), 0);
    ck_assert_int_eq(tg_model_add_dense(m, 54, 5, TG_INIT_HE_UNIFORM, &rng), 0);
    return m;
}

static void assert_shape(const tg_tensor *t, int ndim, const int64_t *shape)
{
    ck_assert_int_eq(tg_ndim(t), ndim);
    for (int d = 0; d < ndim; d++)
        ck_assert_int_eq(tg_shape(t)[d], shape[d]);
}

START_TEST(cnn_names_parameters_like_pytorch_sequential)
{
    tg_model *m = small_cnn(TG_F32, 1);
    tg_params *p = tg_model_params(m);
    const char *names[6] = {"0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias"};
    const int64_t shapes[6][4] = {{4, 1, 3, 3}, {4}, {6, 4, 3, 3}, {6}, {5, 54}, {5}};
    const int ndims[6] = {4, 1, 4, 1, 2, 1};
    ck_assert_int_eq(tg_model_num_layers(m), 6);
    ck_assert_int_eq(tg_params_count(p), 6);
    for (int i = 0; i < 6; i++) {
        const char *name;
        tg_tensor *t = tg_params_at(p, i, &name);
        ck_assert_str_eq(name, names[i]);
        assert_shape(t, ndims[i], shapes[i]);
    }
    int64_t out[TG_MAX_DIMS];
    ck_assert_int_eq(tg_model_output_shape(m, out), 1);
    ck_assert_int_eq(out[0], 5);
    /* He uniform over the kernel's fan in: 4 * 3 * 3 taps feed layer 2 */
    tg_tensor *w2 = tg_params_get(p, "2.weight");
    double bound = sqrt(6.0 / 36), max_abs = 0;
    for (int64_t i = 0; i < tg_numel(w2); i++)
        max_abs = fmax(max_abs, fabs(tg_get(w2, i)));
    ck_assert(max_abs <= bound && max_abs > 0.9 * bound);
    tg_model_free(m);
}
END_TEST

START_TEST(cnn_forward_is_its_ops_in_order)
{
    tg_model *m = small_cnn(TG_F64, 2);
    tg_params *p = tg_model_params(m);
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(3, 1, 8, 8), -1, 1, false);
    tg_tensor *y = tg_model_forward(m, x);
    tu_assert_ok(y);
    assert_shape(y, 2, (int64_t[]){3, 5});
    tg_conv_opts pad1 = {.padding = {1, 1}}, stride2 = {.stride = {2, 2}};
    tg_tensor *h = tg_relu(tg_conv2d(x, tg_params_get(p, "0.weight"), tg_params_get(p, "0.bias"),
                                     &pad1));
    h = tg_tanh(tg_conv2d(h, tg_params_get(p, "2.weight"), tg_params_get(p, "2.bias"), &stride2));
    h = tg_add(tg_matmul_t(tg_flatten(h, 1, -1), tg_params_get(p, "5.weight"), false, true),
               tg_params_get(p, "5.bias"));
    for (int64_t i = 0; i < 15; i++)
        ck_assert(tg_get(y, i) == tg_get(h, i));
    /* a flat batch [3, 64] is the same batch viewed in the input shape */
    tg_tensor *flat = tg_model_forward(m, tg_reshape(x, 2, (int64_t[]){3, 64}));
    tu_assert_ok(flat);
    for (int64_t i = 0; i < 15; i++)
        ck_assert(tg_get(flat, i) == tg_get(y, i));
    ck_assert_int_eq(tg_last_error_code(), 0);
    tg_model_free(m);
}
END_TEST

START_TEST(summary_gives_each_layers_output_shape)
{
    tg_model *m = small_cnn(TG_F32, 1);
    char buf[1024];
    tg_model_summary(m, buf, sizeof buf);
    const char *want =
        "0   conv2d 1 -> 4, kernel 3x3, padding 1  weight [4,1,3,3] bias [4]  40 parameters  "
        "-> [4,8,8]\n"
        "1   relu  -> [4,8,8]\n"
        "2   conv2d 4 -> 6, kernel 3x3, stride 2  weight [6,4,3,3] bias [6]  222 parameters  "
        "-> [6,3,3]\n"
        "3   tanh  -> [6,3,3]\n"
        "4   flatten  -> [54]\n"
        "5   dense 54 -> 5  weight [5,54] bias [5]  275 parameters  -> [5]\n"
        "total 537 parameters (f32)\n";
    ck_assert_str_eq(buf, want);
    tg_model_free(m);
}
END_TEST

/* ---- shapes that do not fit ---- */

START_TEST(layers_that_do_not_fit_are_named)
{
    tg_rng rng;
    tg_rng_seed(&rng, 3);
    tg_model *m = tg_model_new(TG_F32);
    int64_t k3[2] = {3, 3}, k9[2] = {9, 9};
    ck_assert_int_eq(tg_model_add_conv2d(m, 4, k3, NULL, true, TG_INIT_HE_UNIFORM, &rng),
                     TG_ESHAPE);
    assert_error_has("tg_model_add_conv2d: layer 0 (conv2d, 4 channels, kernel 3x3) does not "
                        "fit the shape (unknown) the layers before it give: set the model's input "
                        "shape first (tg_model_set_input)");
    tg_clear_error();
    ck_assert_int_eq(tg_model_set_input(m, 3, (int64_t[]){2, 8, 8}), 0);
    ck_assert_int_eq(tg_model_add_conv2d(m, 4, k9, NULL, true, TG_INIT_HE_UNIFORM, &rng),
                     TG_ESHAPE);
    assert_error_has("layer 0 (conv2d, 4 channels, kernel 9x9) does not fit the shape [2,8,8] "
                        "the layers before it give: its window is larger than the padded input");
    tg_clear_error();
    ck_assert_int_eq(tg_model_add_conv2d(m, 3, k3, &(tg_conv_opts){.groups = 2}, true,
                                         TG_INIT_HE_UNIFORM, &rng), TG_ESHAPE);
    assert_error_has("channels in and out must be multiples of groups");
    tg_clear_error();
    ck_assert_int_eq(tg_model_add_conv1d(m, 4, 3, NULL, true, TG_INIT_HE_UNIFORM, &rng),
                     TG_ESHAPE);
    assert_error_has("(conv1d, 4 channels, kernel 3) does not fit the shape [2,8,8] the "
                        "layers before it give: it takes [channels, length]");
    tg_clear_error();
    ck_assert_int_eq(tg_model_add_dense(m, 8, 3, TG_INIT_HE_UNIFORM, &rng), 0); /* last axis */
    ck_assert_int_eq(tg_model_add_dense(m, 4, 3, TG_INIT_HE_UNIFORM, &rng), TG_ESHAPE);
    assert_error_has("tg_model_add_dense: layer 1 (dense 4 -> 3) takes 4 inputs but the layers "
                        "before it give [2,8,3] (dense works on the last axis: flatten first)");
    tg_clear_error();
    ck_assert_int_eq(tg_model_set_input(m, 1, (int64_t[]){4}), TG_ESTATE);
    assert_error_has("the model already has 1 layers");
    tg_clear_error();
    ck_assert_int_eq(tg_model_num_layers(m), 1); /* the failed adds left nothing */
    ck_assert_int_eq(tg_params_count(tg_model_params(m)), 2);
    tg_model_free(m);

    tg_model *e = tg_model_new(TG_F32);
    ck_assert_int_eq(tg_model_set_input(e, 0, (int64_t[]){1}), TG_EVALUE);
    tg_clear_error();
    ck_assert_int_eq(tg_model_set_input(e, 2, (int64_t[]){3, 0}), TG_EVALUE);
    assert_error_has("tg_model_set_input: sizes must be from 1 to 2^31-1, got [3,0]");
    tg_clear_error();
    ck_assert_int_eq(tg_model_add_conv2d(e, 0, k3, NULL, true, TG_INIT_ZEROS, NULL), TG_EVALUE);
    assert_error_has("layer 0 needs positive out_channels");
    tg_clear_error();
    tg_model_free(e);
}
END_TEST

START_TEST(forward_refuses_inputs_of_another_shape)
{
    tg_model *m = small_cnn(TG_F32, 1);
    ck_assert_ptr_null(tg_model_forward(m, tu_rand(TG_F32, TU_SHAPE(2, 1, 8, 7), -1, 1, false)));
    ck_assert_int_eq(tg_last_error_code(), TG_ESHAPE);
    ck_assert_str_eq(tg_last_error(),
                     "tg_model_forward: input must be [batch, 1,8,8] or [batch, 64], got [2,1,8,7]");
    tg_clear_error();
    ck_assert_ptr_null(tg_model_forward(m, tu_rand(TG_F32, TU_SHAPE(1, 8, 8), -1, 1, false)));
    tg_clear_error();
    tg_model_free(m);
}
END_TEST

/* ---- conv1d, embedding ---- */

START_TEST(conv1d_and_embedding_layers)
{
    tg_rng rng;
    tg_rng_seed(&rng, 5);
    tg_model *m = tg_model_new(TG_F64);
    ck_assert_int_eq(tg_model_set_input(m, 1, (int64_t[]){6}), 0); /* 6 token ids */
    ck_assert_int_eq(tg_model_add_embedding(m, 10, 3, TG_NO_PADDING, &rng), 0); /* [6, 3] */
    ck_assert_int_eq(tg_model_add_dense(m, 3, 4, TG_INIT_XAVIER_UNIFORM, &rng), 0); /* [6, 4] */
    ck_assert_int_eq(tg_model_add_conv1d(m, 2, 2, &(tg_conv_opts){.stride = {2}}, false,
                                         TG_INIT_HE_UNIFORM, &rng), 0); /* [2, 2] */
    int64_t out[TG_MAX_DIMS];
    ck_assert_int_eq(tg_model_output_shape(m, out), 2);
    ck_assert(out[0] == 2 && out[1] == 2);
    tg_params *p = tg_model_params(m);
    const char *names[4] = {"0.weight", "1.weight", "1.bias", "2.weight"}, *name; /* no 2.bias */
    ck_assert_int_eq(tg_params_count(p), 4);
    for (int i = 0; i < 4; i++) {
        tg_params_at(p, i, &name);
        ck_assert_str_eq(name, names[i]);
    }
    tg_tensor *table = tg_params_get(p, "0.weight");
    double sum_sq = 0;
    for (int64_t i = 0; i < 30; i++)
        sum_sq += tg_get(table, i) * tg_get(table, i);
    ck_assert(sum_sq / 30 > 0.3 && sum_sq / 30 < 3); /* N(0, 1) rows */
    tg_tensor *ids = tu_tensor(TG_F64, TU_SHAPE(1, 6), (double[]){1, 2, 3, 9, 0, 2}, false);
    tg_tensor *y = tg_model_forward(m, ids);
    tu_assert_ok(y);
    assert_shape(y, 3, (int64_t[]){1, 2, 2});
    tg_tensor *h = tg_embedding(table, ids, TG_NO_PADDING);
    h = tg_add(tg_matmul_t(h, tg_params_get(p, "1.weight"), false, true), tg_params_get(p, "1.bias"));
    h = tg_conv1d(h, tg_params_get(p, "2.weight"), NULL, &(tg_conv_opts){.stride = {2}});
    for (int64_t i = 0; i < 4; i++)
        tu_assert_close(tg_get(y, i), tg_get(h, i), 1e-15);
    tg_model_free(m);
}
END_TEST

/* ---- pooling and dropout ---- */

START_TEST(pooling_layers_are_their_ops)
{
    tg_model *m = tg_model_new(TG_F64);
    ck_assert_int_eq(tg_model_set_input(m, 3, (int64_t[]){2, 7, 7}), 0);
    ck_assert_int_eq(tg_model_add_max_pool2d(m, (int64_t[]){2, 2}, NULL), 0); /* [2, 3, 3] */
    ck_assert_int_eq(tg_model_add_avg_pool2d(m, (int64_t[]){2, 2},
                                             &(tg_pool_opts){.stride = {1, 1}, .padding = {1, 1}}),
                     0); /* [2, 4, 4] */
    ck_assert_int_eq(tg_model_add_adaptive_avg_pool2d(m, (int64_t[]){3, 1}), 0); /* [2, 3, 1] */
    ck_assert_int_eq(tg_model_add_max_pool2d(m, (int64_t[]){2, 1},
                                             &(tg_pool_opts){.ceil_mode = true}), 0); /* [2, 2, 1] */
    int64_t out[TG_MAX_DIMS];
    ck_assert_int_eq(tg_model_output_shape(m, out), 3);
    ck_assert(out[0] == 2 && out[1] == 2 && out[2] == 1);
    ck_assert_int_eq(tg_params_count(tg_model_params(m)), 0);
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(2, 2, 7, 7), -1, 1, false);
    tg_tensor *y = tg_model_forward(m, x);
    tu_assert_ok(y);
    assert_shape(y, 4, (int64_t[]){2, 2, 2, 1});
    tg_tensor *h = tg_max_pool2d(x, (int64_t[]){2, 2}, NULL);
    h = tg_avg_pool2d(h, (int64_t[]){2, 2}, &(tg_pool_opts){.stride = {1, 1}, .padding = {1, 1}});
    h = tg_adaptive_avg_pool2d(h, (int64_t[]){3, 1});
    h = tg_max_pool2d(h, (int64_t[]){2, 1}, &(tg_pool_opts){.ceil_mode = true});
    for (int64_t i = 0; i < 8; i++)
        ck_assert(tg_get(y, i) == tg_get(h, i));
    ck_assert_int_eq(tg_model_add_max_pool2d(m, (int64_t[]){3, 3}, NULL), TG_ESHAPE);
    assert_error_has("tg_model_add_max_pool2d: layer 4 (max_pool2d) does not fit the shape "
                     "[2,2,1] the layers before it give: its window is larger than the padded "
                     "input");
    tg_clear_error();
    ck_assert_int_eq(tg_model_add_avg_pool1d(m, 2, NULL), TG_ESHAPE);
    assert_error_has("it takes [channels, length]");
    tg_clear_error();
    tg_model_free(m);

    tg_model *one = tg_model_new(TG_F64);
    ck_assert_int_eq(tg_model_set_input(one, 2, (int64_t[]){3, 9}), 0);
    ck_assert_int_eq(tg_model_add_max_pool1d(one, 3, &(tg_pool_opts){.stride = {2}}), 0);
    ck_assert_int_eq(tg_model_add_avg_pool1d(one, 2, NULL), 0);
    ck_assert_int_eq(tg_model_output_shape(one, out), 2);
    ck_assert(out[0] == 3 && out[1] == 2); /* 9 -> 4 -> 2 */
    tg_model_free(one);
}
END_TEST

/* Dropout follows the mode: masks in training, drawn from the layer's own
 * generator (the same seed gives the same masks), the identity in
 * evaluation. */
START_TEST(dropout_follows_the_mode)
{
    tg_tensor *x = tu_rand(TG_F32, TU_SHAPE(4, 50), 1, 2, false);
    double kept[2] = {0};
    tg_tensor *first = NULL;
    for (int run = 0; run < 2; run++) {
        tg_rng rng;
        tg_rng_seed(&rng, 11);
        tg_model *m = tg_model_new(TG_F32);
        ck_assert_int_eq(tg_model_set_input(m, 1, (int64_t[]){50}), 0);
        ck_assert_int_eq(tg_model_add_dropout(m, 0.25, &rng), 0);
        tg_tensor *y = tg_model_forward(m, x);
        tu_assert_ok(y);
        for (int64_t i = 0; i < 200; i++) {
            double v = tg_get(y, i);
            ck_assert(v == 0 || fabs(v - tg_get(x, i) / 0.75) < 1e-6);
            kept[run] += v != 0;
            if (first)
                ck_assert(v == tg_get(first, i)); /* the same seed, the same mask */
        }
        first = y;
        tg_model_train(m, false);
        tg_tensor *same = tg_model_forward(m, x);
        for (int64_t i = 0; i < 200; i++)
            ck_assert(tg_get(same, i) == tg_get(x, i));
        ck_assert_int_eq(tg_model_add_dropout(m, 1, &rng), TG_EVALUE);
        assert_error_has("tg_model_add_dropout: layer 1 needs 0 <= p < 1, got 1");
        tg_clear_error();
        tg_model_free(m);
    }
    ck_assert(kept[0] > 120 && kept[0] < 180); /* 150 expected */
}
END_TEST

/* ---- mode ---- */

START_TEST(models_start_in_training_mode)
{
    tg_model *m = small_cnn(TG_F32, 1);
    ck_assert(tg_model_is_training(m));
    ck_assert_int_eq(tg_model_train(m, false), 0);
    ck_assert(!tg_model_is_training(m));
    ck_assert_int_eq(tg_model_train(m, true), 0);
    ck_assert(tg_model_is_training(m));
    ck_assert_int_eq(tg_model_train(NULL, true), TG_ENULL);
    tg_clear_error();
    ck_assert(!tg_model_is_training(NULL));
    tg_model_free(m);
}
END_TEST

/* ---- gradients and memory ---- */

/* The model is the context; inputs[0] is x and the rest are the model's
 * own parameters, passed so that gradcheck perturbs them too. */
static tg_tensor *cnn_output(tg_tensor *const *inputs, void *model)
{
    return tg_model_forward(model, inputs[0]);
}

START_TEST(cnn_forward_passes_gradcheck)
{
    tg_model *m = small_cnn(TG_F64, 4);
    tg_params *p = tg_model_params(m);
    tg_tensor *in[7] = {tu_rand(TG_F64, TU_SHAPE(2, 1, 8, 8), -1, 1, true)};
    for (int i = 0; i < 6; i++)
        in[i + 1] = tg_params_at(p, i, NULL);
    tg_gradcheck_result r;
    ck_assert_msg(tg_gradcheck(cnn_output, m, 7, in, NULL, &r) == 0, "%s", tg_last_error());
    ck_assert_int_gt(r.checked, 0);
    tg_model_free(m);
}
END_TEST

/* Adam steps on a conv model through tg_train_epoch's own step: after the
 * first batch has sized the tape and the optimizer's state, the library
 * allocates nothing. */
START_TEST(cnn_training_step_allocates_nothing_after_first)
{
    tu_allocator_install();
    tg_model *m = small_cnn(TG_F32, 6);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    tg_optim *o = tg_optim_new(tg_model_params(m), &cfg);
    int64_t labels[4] = {0, 1, 4, 2};
    tg_rng rng;
    tg_rng_seed(&rng, 1);
    float pixels[4 * 64];
    for (int i = 0; i < 4 * 64; i++)
        pixels[i] = (float)tg_rng_uniform(&rng);
    for (int step = 0; step < 20; step++) {
        if (step == 1)
            tu_allocations_reset();
        tg_tensor *x = tg_empty(TG_F32, 2, (int64_t[]){4, 64}, false);
        memcpy(tg_data(x), pixels, sizeof pixels);
        tg_tensor *loss = tg_cross_entropy_loss(tg_model_forward(m, x), labels, TG_REDUCTION_MEAN);
        ck_assert_int_eq(tg_backward(loss), 0);
        ck_assert_int_eq(tg_optim_step(o), 0);
        tg_optim_zero_grad(o);
        tg_tape_reset();
    }
    long after_first = tu_allocations();
    tg_optim_free(o);
    tg_model_free(m);
    tu_allocator_remove();
    ck_assert_msg(after_first == 0, "%ld allocations after the first step", after_first);
}
END_TEST

/* ---- normalization ---- */

/* input [2, 5, 5] -> conv2d(3, 3) [3, 3, 3] -> batch norm -> relu ->
 * flatten [27] -> batch norm (1-d) -> dense(4) -> layer norm [4] */
static tg_model *norm_cnn(tg_dtype dtype, uint64_t seed)
{
    tg_rng rng;
    tg_rng_seed(&rng, seed);
    tg_model *m = tg_model_new(dtype);
    ck_assert_int_eq(tg_model_set_input(m, 3, (int64_t[]){2, 5, 5}), 0);
    ck_assert_int_eq(tg_model_add_conv2d(m, 3, (int64_t[]){3, 3}, NULL, true,
                                         TG_INIT_HE_UNIFORM, &rng), 0);
    ck_assert_int_eq(tg_model_add_batch_norm(m, 0.1, 1e-5, true), 0);
    ck_assert_int_eq(tg_model_add_activation(m, TG_ACT_RELU, 0), 0);
    ck_assert_int_eq(tg_model_add_flatten(m), 0);
    ck_assert_int_eq(tg_model_add_batch_norm(m, 0.3, 1e-3, false), 0);
    ck_assert_int_eq(tg_model_add_dense(m, 27, 4, TG_INIT_HE_UNIFORM, &rng), 0);
    ck_assert_int_eq(tg_model_add_layer_norm(m, 1, 1e-5, true), 0);
    return m;
}

START_TEST(norm_layers_register_pytorch_names_and_buffers)
{
    tg_model *m = norm_cnn(TG_F32, 1);
    tg_params *p = tg_model_params(m);
    static const char *const names[] = {
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked", "4.running_mean", "4.running_var", "4.num_batches_tracked",
        "5.weight", "5.bias", "6.weight", "6.bias"};
    static const bool trainable[] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1};
    static const double first_value[] = {NAN, 0, 1, 0, 0, 1, 0, 0, 1, 0, NAN, 0, 1, 0};
    ck_assert_int_eq(tg_params_count(p), 14);
    for (int i = 0; i < 14; i++) {
        const char *name;
        tg_tensor *t = tg_params_at(p, i, &name);
        ck_assert_str_eq(name, names[i]);
        ck_assert_int_eq(tg_requires_grad(t), trainable[i]);
        if (!isnan(first_value[i]))
            ck_assert_double_eq(tg_get(t, tg_numel(t) - 1), first_value[i]);
    }
    tg_tensor *tracked = tg_params_get(p, "1.num_batches_tracked");
    ck_assert_int_eq(tg_ndim(tracked), 0);
    ck_assert_int_eq(tg_dtype_of(tracked), TG_F64);
    assert_shape(tg_params_get(p, "4.running_var"), 1, (int64_t[]){27});
    char buf[1024];
    tg_model_summary(m, buf, sizeof buf);
    /* buffers are not parameters: 57 + 6 + 112 + 8 */
    ck_assert_msg(strstr(buf, "1   batch_norm2d 3 (momentum 0.1, eps 1e-05)  weight [3] bias [3]"
                              "  6 parameters  -> [3,3,3]\n"), "%s", buf);
    ck_assert_msg(strstr(buf, "4   batch_norm1d 27 (momentum 0.3, eps 0.001)  -> [27]\n"), "%s",
                  buf);
    ck_assert_msg(strstr(buf, "6   layer_norm [4] (eps 1e-05)  weight [4] bias [4]  8 parameters  "
                              "-> [4]\n"), "%s", buf);
    ck_assert_msg(strstr(buf, "total 183 parameters (f32)"), "%s", buf);
    tg_model_free(m);
}
END_TEST

/* In training the layers are tg_batch_norm on the batch and update the
 * running statistics and the count; in evaluation they use the running
 * statistics and leave them alone. */
START_TEST(batch_norm_layer_follows_the_mode)
{
    tg_model *m = norm_cnn(TG_F64, 2);
    tg_params *p = tg_model_params(m);
    tg_tensor *x = tu_rand(TG_F64, TU_SHAPE(4, 2, 5, 5), -1, 1, false);
    tg_tensor *mean = tg_params_get(p, "1.running_mean"), *var = tg_params_get(p, "1.running_var");
    tg_tensor *tracked = tg_params_get(p, "1.num_batches_tracked");
    /* what the layer should give, with copies of its statistics */
    tg_tensor *conv = tg_conv2d(x, tg_params_get(p, "0.weight"), tg_params_get(p, "0.bias"), NULL);
    tg_tensor *mean_copy = tg_persistent(TG_F64, 1, (int64_t[]){3}, NULL, false);
    tg_tensor *var_copy = tg_persistent(TG_F64, 1, (int64_t[]){3}, (double[]){1, 1, 1}, false);
    tg_tensor *want = tg_batch_norm(conv, mean_copy, var_copy, tg_params_get(p, "1.weight"),
                                    tg_params_get(p, "1.bias"), true, 0.1, 1e-5);
    tu_assert_ok(tg_model_forward(m, x));
    ck_assert_double_eq(tg_item(tracked), 1);
    ck_assert_double_eq(tg_item(tg_params_get(p, "4.num_batches_tracked")), 1);
    for (int c = 0; c < 3; c++) {
        ck_assert_double_eq(tg_get(mean, c), tg_get(mean_copy, c));
        ck_assert_double_eq(tg_get(var, c), tg_get(var_copy, c));
        ck_assert(tg_get(mean, c) != 0 && tg_get(var, c) != 1);
    }
    /* the training forward of layer 1 is that batch norm, bit for bit */
    tg_tensor *y1 = tg_batch_norm(conv, NULL, NULL, tg_params_get(p, "1.weight"),
                                  tg_params_get(p, "1.bias"), true, 0.1, 1e-5);
    for (int64_t i = 0; i < tg_numel(y1); i++)
        ck_assert(tg_get(y1, i) == tg_get(want, i));
    tg_model_train(m, false);
    tg_tensor *y = tg_model_forward(m, x);
    tu_assert_ok(y);
    ck_assert_double_eq(tg_item(tracked), 1);
    ck_assert_double_eq(tg_get(mean, 0), tg_get(mean_copy, 0));
    /* evaluation: layer 1 normalizes by the running statistics */
    tg_tensor *eval1 = tg_batch_norm(conv, mean, var, tg_params_get(p, "1.weight"),
                                     tg_params_get(p, "1.bias"), false, 0.1, 1e-5);
    tg_tensor *h = tg_relu(eval1);
    h = tg_batch_norm(tg_flatten(h, 1, -1), tg_params_get(p, "4.running_mean"),
                      tg_params_get(p, "4.running_var"), NULL, NULL, false, 0.3, 1e-3);
    h = tg_add(tg_matmul_t(h, tg_params_get(p, "5.weight"), false, true),
               tg_params_get(p, "5.bias"));
    h = tg_layer_norm(h, 1, (int64_t[]){4}, tg_params_get(p, "6.weight"),
                      tg_params_get(p, "6.bias"), 1e-5);
    for (int64_t i = 0; i < 16; i++)
        ck_assert(tg_get(y, i) == tg_get(h, i));
    tg_free(mean_copy);
    tg_free(var_copy);
    tg_model_free(m);
}
END_TEST

/* An optimizer steps the weights and leaves the buffers to the forward. */
START_TEST(optimizers_skip_the_buffers)
{
    tg_model *m = norm_cnn(TG_F32, 3);
    tg_params *p = tg_model_params(m);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    tg_optim *o = tg_optim_new(p, &cfg);
    tg_tensor *x = tu_rand(TG_F32, TU_SHAPE(4, 50), -1, 1, false);
    int64_t labels[4] = {0, 1, 2, 3};
    ck_assert_int_eq(tg_backward(tg_cross_entropy_loss(tg_model_forward(m, x), labels,
                                                       TG_REDUCTION_MEAN)), 0);
    double mean0 = tg_get(tg_params_get(p, "1.running_mean"), 0);
    double w0 = tg_get(tg_params_get(p, "1.weight"), 0);
    ck_assert_int_eq(tg_optim_step(o), 0);
    ck_assert(tg_get(tg_params_get(p, "1.running_mean"), 0) == mean0);
    ck_assert_double_eq(tg_item(tg_params_get(p, "1.num_batches_tracked")), 1);
    ck_assert(tg_get(tg_params_get(p, "1.weight"), 0) != w0);
    tg_tape_reset();
    tg_optim_free(o);
    tg_model_free(m);
}
END_TEST

START_TEST(norm_layers_that_do_not_fit_are_named)
{
    tg_model *m = tg_model_new(TG_F32);
    ck_assert_int_eq(tg_model_add_batch_norm(m, 0.1, 1e-5, true), TG_ESHAPE);
    assert_error_has("tg_model_add_batch_norm: layer 0 takes [features], [channels, length] or "
                     "[channels, height, width], not an unknown shape");
    tg_clear_error();
    ck_assert_int_eq(tg_model_add_layer_norm(m, 1, 1e-5, true), TG_ESHAPE);
    assert_error_has("tg_model_add_layer_norm: layer 0 needs the model's input shape");
    tg_clear_error();
    ck_assert_int_eq(tg_model_set_input(m, 4, (int64_t[]){1, 2, 3, 4}), 0);
    ck_assert_int_eq(tg_model_add_batch_norm(m, 0.1, 1e-5, true), TG_ESHAPE);
    assert_error_has("not [1,2,3,4]");
    tg_clear_error();
    ck_assert_int_eq(tg_model_add_batch_norm(m, 1.5, 1e-5, true), TG_EVALUE);
    assert_error_has("layer 0 needs a momentum from 0 to 1, got 1.5");
    tg_clear_error();
    ck_assert_int_eq(tg_model_add_batch_norm(m, 0.1, -1, true), TG_EVALUE);
    assert_error_has("layer 0 needs a finite eps >= 0, got -1");
    tg_clear_error();
    ck_assert_int_eq(tg_model_add_layer_norm(m, 5, 1e-5, true), TG_EVALUE);
    assert_error_has("layer 0 normalizes 1 to 4 trailing axes of [1,2,3,4], not 5");
    ck_assert_int_eq(tg_model_add_layer_norm(m, 3, 1e-5, false), 0);
    ck_assert_int_eq(tg_params_count(tg_model_params(m)), 0);
    tg_clear_error();
    tg_model_free(m);
}
END_TEST

/* The model is the context, as for cnn_output; in training mode every
 * evaluation also moves the running statistics, which the output does not
 * read, so central differences see one function. */
START_TEST(norm_model_passes_gradcheck_in_both_modes)
{
    for (int training = 1; training >= 0; training--) {
        tg_model *m = norm_cnn(TG_F64, 5);
        tg_model_train(m, training);
        tg_params *p = tg_model_params(m);
        tg_tensor *in[1 + 14] = {tu_rand(TG_F64, TU_SHAPE(3, 2, 5, 5), -1, 1, true)};
        int n = 1;
        for (int i = 0; i < tg_params_count(p); i++)
            if (tg_requires_grad(tg_params_at(p, i, NULL)))
                in[n++] = tg_params_at(p, i, NULL);
        tg_gradcheck_result r;
        ck_assert_msg(tg_gradcheck(cnn_output, m, n, in, NULL, &r) == 0, "training %d: %s",
                      training, tg_last_error());
        ck_assert_int_gt(r.checked, 0);
        tg_tape_reset();
        tg_model_free(m);
    }
}
END_TEST

/* A checkpoint holds the buffers: a model loaded from one evaluates as the
 * one saved did. */
START_TEST(checkpoint_keeps_the_running_statistics)
{
    char path[] = "/tmp/tg_norm_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    tg_model *a = norm_cnn(TG_F32, 6), *b = norm_cnn(TG_F32, 7);
    tg_tensor *x = tu_rand(TG_F32, TU_SHAPE(5, 50), -1, 1, false);
    for (int k = 0; k < 3; k++)
        tu_assert_ok(tg_model_forward(a, x));
    ck_assert_int_eq(tg_checkpoint_save(tg_model_params(a), path, NULL), 0);
    ck_assert_int_eq(tg_checkpoint_load(tg_model_params(b), path), 0);
    ck_assert_double_eq(tg_item(tg_params_get(tg_model_params(b), "4.num_batches_tracked")), 3);
    tg_model_train(a, false);
    tg_model_train(b, false);
    tg_tensor *ya = tg_model_forward(a, x), *yb = tg_model_forward(b, x);
    for (int64_t i = 0; i < 20; i++)
        ck_assert(tg_get(ya, i) == tg_get(yb, i));
    unlink(path);
    tg_tape_reset();
    tg_model_free(a);
    tg_model_free(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cnn_names_parameters_like_pytorch_sequential);
    tcase_add_test(tc, cnn_forward_is_its_ops_in_order);
    tcase_add_test(tc, summary_gives_each_layers_output_shape);
    tcase_add_test(tc, layers_that_do_not_fit_are_named);
    tcase_add_test(tc, forward_refuses_inputs_of_another_shape);
    tcase_add_test(tc, conv1d_and_embedding_layers);
    tcase_add_test(tc, pooling_layers_are_their_ops);
    tcase_add_test(tc, dropout_follows_the_mode);
    tcase_add_test(tc, norm_layers_register_pytorch_names_and_buffers);
    tcase_add_test(tc, batch_norm_layer_follows_the_mode);
    tcase_add_test(tc, optimizers_skip_the_buffers);
    tcase_add_test(tc, norm_layers_that_do_not_fit_are_named);
    tcase_add_test(tc, norm_model_passes_gradcheck_in_both_modes);
    tcase_add_test(tc, checkpoint_keeps_the_running_statistics);
    tcase_add_test(tc, models_start_in_training_mode);
    tcase_add_test(tc, cnn_forward_passes_gradcheck);
    tcase_add_test(tc, cnn_training_step_allocates_nothing_after_first);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
