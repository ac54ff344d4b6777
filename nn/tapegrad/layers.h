/*
 * tapegrad/layers.h -- initialisation, activations and a sequential model.
 *
 * A model is a sequence of layers: dense (z = W x + b, W of shape [out, in],
 * b of [out]), conv1d and conv2d, max and average pooling, dropout,
 * flatten, embedding, batch and layer norm, and activations.
 * Layers are numbered from 0 in the order they were added, every kind
 * included, and layer k registers its tensors as "k.weight", "k.bias" (and
 * a norm layer's buffers as "k.running_mean", ...) in the model's
 * tg_params, the names PyTorch's nn.Sequential gives: Linear(784,128), ReLU,
 * Linear(128,10) owns 0.weight, 0.bias, 2.weight, 2.bias. Optimizers and
 * checkpoints find the parameters there by name, so a checkpoint loads into
 * the same torch.nn.Sequential by name.
 *
 *     tg_model *m = tg_mlp_new(TG_F32, 3, (int64_t[]){784, 128, 10},
 *                              TG_ACT_RELU, TG_ACT_LINEAR, 42);
 *     tg_tensor *logits = tg_model_forward(m, images);   // [batch, 10]
 *     ...
 *     tg_model_free(m);
 *
 * Shapes. A model may be given the shape of one sample first
 * (tg_model_set_input, e.g. [1, 28, 28]); every layer added after that
 * works out its output shape at once, takes its input size from it (a
 * conv's input channels), and an add whose layer does not fit fails with a
 * message naming the layer and the shape it was given. Without an input
 * shape the first dense layer sets it to [in].
 *
 * Mode. A model is in training mode when made, as in PyTorch;
 * tg_model_train(m, false) is PyTorch's .eval(): the layers that behave
 * differently in training (dropout, batch norm) follow the mode.
 */
#ifndef TAPEGRAD_LAYERS_H
#define TAPEGRAD_LAYERS_H

#include <tapegrad/export.h>

#include <tapegrad/catalogue.h>
#include <tapegrad/ops.h>
#include <tapegrad/params.h>
#include <tapegrad/random.h>
#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- initialisation ------------------------------------------------------ */

typedef enum {
    TG_INIT_XAVIER_UNIFORM, /* U(-a, a),  a = sqrt(6 / (fan_in + fan_out))  (Glorot) */
    TG_INIT_XAVIER_NORMAL,  /* N(0, s^2), s = sqrt(2 / (fan_in + fan_out)) */
    TG_INIT_HE_UNIFORM,     /* U(-a, a),  a = sqrt(6 / fan_in)             (Kaiming) */
    TG_INIT_HE_NORMAL,      /* N(0, s^2), s = sqrt(2 / fan_in) */
    TG_INIT_ZEROS           /* all 0; fans and rng are not used */
} tg_init;

/* Overwrites every element of t with a draw from the scheme, in row-major
 * order, from rng (which advances). The draws do not depend on t's dtype, so
 * the same seed gives the same values in f64 and (rounded) in f32. Fans must
 * be positive for the random schemes. */
TG_API int tg_init_tensor(tg_tensor *t, tg_init scheme, int64_t fan_in, int64_t fan_out, tg_rng *rng);
TG_API const char *tg_init_name(tg_init scheme); /* "xavier_uniform", ...; "?" if unknown */

/* ---- activations ----------------------------------------------------------- */

typedef enum {
    TG_ACT_LINEAR,     /* x */
    TG_ACT_SIGMOID,    /* 1 / (1 + e^-x) */
    TG_ACT_TANH,       /* tanh x */
    TG_ACT_RELU,       /* max(0, x) */
    TG_ACT_LEAKY_RELU, /* x >= 0 ? x : slope x */
    TG_ACT_STEP,       /* 1 if x >= 0 else 0; passes no gradient */
    TG_ACT_SOFTMAX,    /* e^x_i / sum_j e^x_j along the last axis */
    TG_ACT_GELU,       /* x Phi(x), Phi the standard normal CDF (F.gelu, exact) */
    TG_ACT_SILU,       /* x sigmoid(x) */
    TG_ACT_COUNT       /* the number of activations, not one */
} tg_activation;

/* act applied to x through the matching op; slope is used by leaky relu only. */
TG_API tg_tensor *tg_activate(tg_tensor *x, tg_activation act, double slope);
/* The op kind (tapegrad/catalogue.h) that tg_activate records for act, or
 * TG_OP_NONE for an unknown act. */
TG_API tg_op_kind tg_activation_op(tg_activation act);
/* "linear", "sigmoid", "tanh", "relu", "leaky_relu", "step", "softmax", "gelu",
 * "silu"; "?" if unknown. */
TG_API const char *tg_activation_name(tg_activation act);
/* The activation called name (one of the names above); an unknown name is an
 * error that lists the valid ones. */
TG_API int tg_activation_parse(const char *name, tg_activation *out);

/* ---- the sequential model -------------------------------------------------- */

typedef struct tg_model tg_model;

/* An empty model whose parameters will have dtype. */
TG_API tg_model *tg_model_new(tg_dtype dtype);
TG_API void tg_model_free(tg_model *model); /* frees the layers and every parameter; NULL ignored */

/* The shape of one sample (without the batch axis), before any layer is
 * added: [features] for dense models, [channels, length] for conv1d,
 * [channels, height, width] for conv2d. */
TG_API int tg_model_set_input(tg_model *model, int ndim, const int64_t *shape);
/* The shape of one sample after the last layer into shape (TG_MAX_DIMS
 * entries); returns its ndim, or -1 while the model has no input shape. */
TG_API int tg_model_output_shape(const tg_model *model, int64_t *shape);

/* Appends a dense layer [.., in] -> [.., out] on the last axis: weight
 * [out, in] drawn by init from rng (fan_in = in, fan_out = out; rng may be
 * NULL for TG_INIT_ZEROS), bias [out] zeros. in must equal the last size of
 * the shape so far, if known. */
TG_API int tg_model_add_dense(tg_model *model, int64_t in, int64_t out, tg_init init, tg_rng *rng);
/* Appends an activation layer (slope for TG_ACT_LEAKY_RELU). */
TG_API int tg_model_add_activation(tg_model *model, tg_activation act, double slope);

/* Appends nn.Conv2d(C, out_channels, kernel, ...) with C the channels of the
 * shape so far ([C, H, W]): weight [out_channels, C / groups, KH, KW] drawn
 * by init (fan_in = C / groups KH KW, fan_out = out_channels KH KW / groups),
 * bias [out_channels] zeros when bias is set. opts as tg_conv2d's (NULL:
 * PyTorch's defaults). The input shape must be set. */
TG_API int tg_model_add_conv2d(tg_model *model, int64_t out_channels, const int64_t kernel[2],
                               const tg_conv_opts *opts, bool bias, tg_init init, tg_rng *rng);
/* nn.Conv1d on [C, L]: weight [out_channels, C / groups, kernel]; opts'
 * first entries. */
TG_API int tg_model_add_conv1d(tg_model *model, int64_t out_channels, int64_t kernel,
                               const tg_conv_opts *opts, bool bias, tg_init init, tg_rng *rng);
/* nn.Flatten(): every axis after the batch axis merged into one. */
TG_API int tg_model_add_flatten(tg_model *model);
/* nn.Embedding(num, dim): weight [num, dim] drawn from N(0, 1) (PyTorch's
 * init); its input holds whole-number indices in the model's dtype and each
 * becomes a row, adding an axis of dim. padding_idx as tg_embedding's. */
TG_API int tg_model_add_embedding(tg_model *model, int64_t num, int64_t dim, int64_t padding_idx,
                                  tg_rng *rng);

/* nn.MaxPool2d(kernel, ...) on [C, H, W] and nn.MaxPool1d on [C, L]; opts
 * as tg_max_pool2d's (NULL: PyTorch's defaults, stride = kernel). */
TG_API int tg_model_add_max_pool2d(tg_model *model, const int64_t kernel[2], const tg_pool_opts *opts);
TG_API int tg_model_add_max_pool1d(tg_model *model, int64_t kernel, const tg_pool_opts *opts);
/* nn.AvgPool2d and nn.AvgPool1d, likewise (no dilation). */
TG_API int tg_model_add_avg_pool2d(tg_model *model, const int64_t kernel[2], const tg_pool_opts *opts);
TG_API int tg_model_add_avg_pool1d(tg_model *model, int64_t kernel, const tg_pool_opts *opts);
/* nn.AdaptiveAvgPool2d(output_size) on [C, H, W]. */
TG_API int tg_model_add_adaptive_avg_pool2d(tg_model *model, const int64_t output_size[2]);
/* nn.Dropout(p), 0 <= p < 1: in training mode each element is zeroed with
 * probability p and the rest scaled by 1 / (1 - p); the identity in
 * evaluation mode. The layer draws its masks from its own generator,
 * seeded from rng when added (rng advances by one draw). */
TG_API int tg_model_add_dropout(tg_model *model, double p, tg_rng *rng);

/* nn.BatchNorm1d(C) on [C] or [C, L], nn.BatchNorm2d(C) on [C, H, W], C
 * the first axis of the shape so far: normalizes each channel by the
 * batch's statistics in training, by the running ones in evaluation
 * (tg_batch_norm). weight [C] ones and bias [C] zeros when affine; the
 * buffers "k.running_mean" [C] zeros, "k.running_var" [C] ones and
 * "k.num_batches_tracked" (0-d, counts training forwards; F64, where
 * PyTorch's is int64) are registered too but do not require grad, so no
 * optimizer changes them, checkpoints save them, and tg_model_summary does
 * not count them as parameters. PyTorch's defaults: momentum 0.1, eps 1e-5,
 * affine true. */
TG_API int tg_model_add_batch_norm(tg_model *model, double momentum, double eps, bool affine);
/* nn.LayerNorm(normalized_shape) with normalized_shape the last n_axes axes
 * of the shape so far (1 <= n_axes <= its ndim): weight ones and bias zeros
 * of that shape when affine (PyTorch's elementwise_affine). */
TG_API int tg_model_add_layer_norm(tg_model *model, int n_axes, double eps, bool affine);

/* Training (true, the mode a model is made in) or evaluation mode. */
TG_API int tg_model_train(tg_model *model, bool training);
TG_API bool tg_model_is_training(const tg_model *model);
/* The generator layer k draws from (a dropout layer's masks), which the
 * caller may read and overwrite to save and restore a run; NULL, with no
 * error, for a layer that draws nothing; NULL with an error for a layer
 * index out of range. */
TG_API tg_rng *tg_model_layer_rng(tg_model *model, int layer);

/* A multilayer perceptron with n_sizes - 1 dense layers sizes[0] -> sizes[1]
 * -> ... Each hidden dense layer is followed by the hidden activation and
 * the last by the output one; TG_ACT_LINEAR adds no layer (so it takes no
 * index), which makes output = TG_ACT_LINEAR give logits. Weights use He
 * initialisation (uniform) when hidden is relu or leaky relu, Xavier (uniform)
 * otherwise, drawn from a tg_rng seeded with seed; leaky relu uses slope 0.01. */
TG_API tg_model *tg_mlp_new(tg_dtype dtype, int n_sizes, const int64_t *sizes, tg_activation hidden,
                     tg_activation output, uint64_t seed);

/* Runs x through every layer. x is a batch [batch, <input shape>], or
 * [batch, n] with n the input shape's element count (a flat batch, viewed
 * in the input shape), giving [batch, <output shape>]; a model whose input
 * is [in] also takes one sample [in], giving [out] (dense: W x + b). x must
 * have the model's dtype. Everything the pass makes lives on the tape. */
TG_API tg_tensor *tg_model_forward(tg_model *model, tg_tensor *x);

/* The model's parameters (owned by the model; do not free). */
TG_API tg_params *tg_model_params(tg_model *model);
TG_API int tg_model_num_layers(const tg_model *model);
TG_API tg_dtype tg_model_dtype(const tg_model *model);

/* Writes a table of the layers (index, kind, parameter shapes and counts)
 * and the total into buf, truncated to size like snprintf. Returns the
 * length of the full text, or a negative code. */
TG_API int tg_model_summary(const tg_model *model, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
