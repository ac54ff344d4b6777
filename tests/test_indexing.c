/* test_indexing.c -- every differentiable function of indexing, slicing,
 * gathering, joining, splitting and shape (issue 11) in one table: a row per
 * case (function, input shapes, arguments), each gradchecked and
 * gradgradchecked in f32 and f64. The rows reach what the catalogue's
 * samples do not: the functions built on others (take_along_axis, the
 * splits, swapaxes, movedim, the squeezes, flatten, unflatten, expand,
 * tile), repeated indices in every gather, empty slices and pieces, size-1
 * axes. Each result is squared, so the second derivative has a part that
 * depends on x; a function of several results is checked through all of
 * them, weighted 1, 2, 3, ... so that a gradient sent to the wrong piece
 * shows. tg_one_hot is left out: its result has no gradient. */
#include <string.h>

#include "testutil.h"

typedef struct {
    int axis, b;    /* an axis (or offset, mode, chunk count), and a second one */
    int n;          /* how many of v the function reads */
    int64_t v[6];   /* indices, sizes, widths, bounds */
    tu_shape ishape; /* the index tensor's shape, of values v */
    int pieces;     /* results of a split */
} args;

typedef struct {
    const char *fn; /* the public function the row checks */
    tg_fn f;
    int n_inputs;
    tu_shape shapes[2];
    args a;
} row;

static tg_tensor *index_of(const args *a)
{
    return tg_index_tensor(a->ishape.ndim, a->ishape.d, a->v);
}

static int axes_of(const args *a, int *axes)
{
    for (int k = 0; k < a->n; k++)
        axes[k] = (int)a->v[k];
    return a->n;
}

#define OP(name, expr)                                                                     \
    static tg_tensor *name(tg_tensor *const *in, void *ctx)                                \
    {                                                                                      \
        const args *a = ctx;                                                               \
        tg_tensor *x = in[0];                                                              \
        int ax[TG_MAX_DIMS];                                                               \
        (void)a, (void)x, (void)ax;                                                        \
        return tg_square(expr);                                                            \
    }

OP(select_fn, tg_select(x, a->axis, a->v[0]))
OP(slice_fn, tg_slice(x, a->axis, a->v[0], a->v[1], a->v[2]))
/* an empty slice joined to x: its gradient (of no elements) goes back too */
OP(empty_slice_fn, tg_concat(2, (tg_tensor *[]){tg_slice(x, a->axis, a->v[0], a->v[1], 1), x},
                             a->axis))
OP(index_select_fn, tg_index_select(x, a->axis, index_of(a)))
OP(gather_fn, tg_gather(x, a->axis, index_of(a)))
OP(take_along_axis_fn, tg_take_along_axis(x, index_of(a), a->axis))
OP(scatter_add_fn, tg_scatter_add(x, a->axis, index_of(a), in[1]))
OP(index_add_fn, tg_index_add(x, a->axis, index_of(a), in[1]))
OP(embedding_fn, tg_embedding(x, index_of(a), TG_NO_PADDING))
OP(concat_fn, tg_concat(2, in, a->axis))
OP(stack_fn, tg_stack(2, in, a->axis))
OP(pad_fn, tg_pad(x, a->n, a->v, (tg_pad_mode)a->axis, 0.5))
OP(permute_fn, tg_permute(x, axes_of(a, ax), ax))
OP(transpose_fn, tg_transpose(x))
OP(swapaxes_fn, tg_swapaxes(x, a->axis, a->b))
OP(movedim_fn, tg_movedim(x, a->axis, a->b))
OP(squeeze_fn, tg_squeeze(x, a->axis))
OP(squeeze_all_fn, tg_squeeze_all(x))
OP(unsqueeze_fn, tg_unsqueeze(x, a->axis))
OP(flatten_fn, tg_flatten(x, a->axis, a->b))
OP(unflatten_fn, tg_unflatten(x, a->axis, a->n, a->v))
OP(expand_fn, tg_expand(x, a->n, a->v))
OP(reshape_fn, tg_reshape(x, a->n, a->v))
OP(broadcast_to_fn, tg_broadcast_to(x, a->n, a->v))
OP(flip_fn, tg_flip(x, axes_of(a, ax), ax))
OP(roll_fn, tg_roll(x, 2, (int64_t[]){a->v[0], a->v[1]}, (int[]){a->axis, a->b}))
OP(repeat_fn, tg_repeat(x, a->n, a->v))
OP(tile_fn, tg_tile(x, a->n, a->v))
OP(tril_fn, tg_tril(x, a->axis))
OP(triu_fn, tg_triu(x, a->axis))
OP(diagonal_fn, tg_diagonal(x, a->v[0], a->axis, a->b))
OP(diag_embed_fn, tg_diag_embed(x, a->axis))
OP(trace_fn, tg_trace(x))
OP(outer_fn, tg_outer(x, in[1]))
OP(dot_fn, tg_dot(x, in[1]))

/* The mask is a constant of x's dtype, values v. */
static tg_tensor *masked_select_fn(tg_tensor *const *in, void *ctx)
{
    const args *a = ctx;
    double m[6];
    for (int k = 0; k < 6; k++)
        m[k] = (double)a->v[k];
    tg_tensor *mask = tg_tensor_new(tg_dtype_of(in[0]), a->ishape.ndim, a->ishape.d, m, false);
    return tg_square(tg_masked_select(in[0], mask));
}

/* sum_k (k + 1) sum(piece_k^2), after checking the number of pieces */
static tg_tensor *weighted_pieces(int count, tg_tensor **piece, const args *a)
{
    ck_assert_msg(count == a->pieces, "%d pieces, expected %d: %s", count, a->pieces,
                  tg_last_error());
    tg_tensor *total = NULL;
    for (int k = 0; k < count; k++) {
        tg_tensor *term = tg_mul_scalar(tg_sum(tg_square(piece[k])), k + 1);
        total = total ? tg_add(total, term) : term;
    }
    return total;
}

#define PIECES(name, call)                                                                 \
    static tg_tensor *name(tg_tensor *const *in, void *ctx)                                \
    {                                                                                      \
        const args *a = ctx;                                                               \
        tg_tensor *piece[6];                                                               \
        return weighted_pieces(call, piece, a);                                            \
    }

PIECES(split_fn, tg_split(in[0], a->axis, a->n, a->v, piece))
PIECES(split_size_fn, tg_split_size(in[0], a->axis, a->v[0], piece, 6))
PIECES(chunk_fn, tg_chunk(in[0], a->b, a->axis, piece))
PIECES(unbind_fn, tg_unbind(in[0], a->axis, piece, 6))

#define S TU_SHAPE
#define ROW1(fn, f, shape, ...) {fn, f, 1, {shape}, __VA_ARGS__}
#define ROW2(fn, f, s0, s1, ...) {fn, f, 2, {s0, s1}, __VA_ARGS__}
#define END TG_SLICE_END

static const row rows[] = {
    ROW1("tg_select", select_fn, S(2, 3), {.axis = 1, .v = {-1}}),
    ROW1("tg_select", select_fn, S(1, 3), {.axis = 0, .v = {0}}),
    ROW1("tg_slice", slice_fn, S(2, 5), {.axis = 1, .v = {1, END, 2}}),
    ROW1("tg_slice", slice_fn, S(3, 2), {.axis = 0, .v = {-1, END, 1}}),
    ROW1("tg_slice", empty_slice_fn, S(2, 3), {.axis = 1, .v = {2, 2}}),
    ROW1("tg_slice", empty_slice_fn, S(1, 2), {.axis = 0, .v = {1, 0}}),
    ROW1("tg_index_select", index_select_fn, S(3, 2),
         {.axis = 0, .v = {2, 0, 2}, .ishape = S(3)}),
    ROW1("tg_index_select", index_select_fn, S(2, 1), {.axis = 1, .v = {0, 0}, .ishape = S(2)}),
    ROW1("tg_gather", gather_fn, S(2, 3), {.axis = 1, .v = {1, 1, 0, 2}, .ishape = S(2, 2)}),
    ROW1("tg_gather", gather_fn, S(3, 1), {.axis = 0, .v = {2, 2}, .ishape = S(2, 1)}),
    ROW1("tg_take_along_axis", take_along_axis_fn, S(2, 3),
         {.axis = -1, .v = {2, 2, 0, -1}, .ishape = S(2, 2)}),
    ROW1("tg_take_along_axis", take_along_axis_fn, S(3, 2),
         {.axis = 0, .v = {1, 1}, .ishape = S(1, 2)}),
    ROW2("tg_scatter_add", scatter_add_fn, S(2, 3), S(2, 2),
         {.axis = 1, .v = {0, 0, 2, 2}, .ishape = S(2, 2)}),
    ROW2("tg_scatter_add", scatter_add_fn, S(2, 1), S(3, 1),
         {.axis = 0, .v = {1, 1, 1}, .ishape = S(3, 1)}),
    ROW2("tg_index_add", index_add_fn, S(3, 2), S(3, 2), {.axis = 0, .v = {1, 1, 0}, .ishape = S(3)}),
    ROW2("tg_index_add", index_add_fn, S(2, 1), S(2, 2), {.axis = 1, .v = {0, 0}, .ishape = S(2)}),
    ROW1("tg_masked_select", masked_select_fn, S(2, 3),
         {.v = {1, 0, 1, 1, 0, 0}, .ishape = S(2, 3)}),
    ROW1("tg_masked_select", masked_select_fn, S(2, 3), {.v = {0, 1, 1}, .ishape = S(3)}),
    ROW1("tg_embedding", embedding_fn, S(4, 3), {.v = {1, 3, 1, 1}, .ishape = S(2, 2)}),
    ROW1("tg_embedding", embedding_fn, S(2, 1), {.v = {0, 0, 0}, .ishape = S(3)}),
    ROW2("tg_concat", concat_fn, S(2, 1), S(2, 3), {.axis = 1}),
    ROW2("tg_concat", concat_fn, S(1, 2), S(0, 2), {.axis = 0}),
    ROW2("tg_stack", stack_fn, S(3), S(3), {.axis = 0}),
    ROW2("tg_stack", stack_fn, S(2, 1), S(2, 1), {.axis = -1}),
    ROW1("tg_split", split_fn, S(4, 2), {.axis = 0, .n = 3, .v = {1, 0, 3}, .pieces = 3}),
    ROW1("tg_split", split_fn, S(2, 3), {.axis = -1, .n = 2, .v = {2, 1}, .pieces = 2}),
    ROW1("tg_split_size", split_size_fn, S(5, 2), {.axis = 0, .v = {2}, .pieces = 3}),
    ROW1("tg_split_size", split_size_fn, S(2, 1), {.axis = 1, .v = {1}, .pieces = 1}),
    ROW1("tg_chunk", chunk_fn, S(2, 5), {.axis = 1, .b = 3, .pieces = 3}),
    ROW1("tg_chunk", chunk_fn, S(3, 2), {.axis = 0, .b = 4, .pieces = 3}),
    ROW1("tg_unbind", unbind_fn, S(3, 2), {.axis = 0, .pieces = 3}),
    ROW1("tg_unbind", unbind_fn, S(2, 1), {.axis = -1, .pieces = 1}),
    ROW1("tg_pad", pad_fn, S(2, 3), {.axis = TG_PAD_CONSTANT, .n = 2, .v = {1, 2}}),
    ROW1("tg_pad", pad_fn, S(2, 3), {.axis = TG_PAD_CONSTANT, .n = 2, .v = {-1, 0}}),
    ROW1("tg_pad", pad_fn, S(2, 3), {.axis = TG_PAD_REFLECT, .n = 2, .v = {2, 1}}),
    ROW1("tg_pad", pad_fn, S(2, 3), {.axis = TG_PAD_REPLICATE, .n = 4, .v = {1, 1, 0, 1}}),
    ROW1("tg_pad", pad_fn, S(1, 3), {.axis = TG_PAD_CIRCULAR, .n = 2, .v = {1, 2}}),
    ROW1("tg_permute", permute_fn, S(2, 3, 2), {.n = 3, .v = {2, 0, 1}}),
    ROW1("tg_transpose", transpose_fn, S(2, 3), {0}),
    ROW1("tg_swapaxes", swapaxes_fn, S(2, 3, 2), {.axis = 0, .b = -1}),
    ROW1("tg_swapaxes", swapaxes_fn, S(1, 3), {.axis = 0, .b = 1}),
    ROW1("tg_movedim", movedim_fn, S(2, 3, 2), {.axis = 0, .b = -1}),
    ROW1("tg_movedim", movedim_fn, S(2, 1, 3), {.axis = 2, .b = 0}),
    ROW1("tg_squeeze", squeeze_fn, S(2, 1, 3), {.axis = 1}),
    ROW1("tg_squeeze", squeeze_fn, S(2, 3), {.axis = 0}), /* not size 1: unchanged */
    ROW1("tg_squeeze_all", squeeze_all_fn, S(1, 3, 1), {0}),
    ROW1("tg_unsqueeze", unsqueeze_fn, S(2, 3), {.axis = -1}),
    ROW1("tg_unsqueeze", unsqueeze_fn, S(3), {.axis = 0}),
    ROW1("tg_flatten", flatten_fn, S(2, 3, 2), {.axis = 1, .b = 2}),
    ROW1("tg_flatten", flatten_fn, S(2, 1, 3), {.axis = 0, .b = -1}),
    ROW1("tg_flatten", flatten_fn, TU_SCALAR, {.axis = 0, .b = -1}),
    ROW1("tg_unflatten", unflatten_fn, S(6, 1), {.axis = 0, .n = 2, .v = {2, -1}}),
    ROW1("tg_unflatten", unflatten_fn, S(2, 6), {.axis = -1, .n = 3, .v = {3, 1, 2}}),
    ROW1("tg_expand", expand_fn, S(3, 1), {.n = 3, .v = {2, -1, 4}}),
    ROW1("tg_expand", expand_fn, S(1), {.n = 1, .v = {3}}),
    ROW1("tg_reshape", reshape_fn, S(2, 3), {.n = 2, .v = {3, -1}}),
    ROW1("tg_broadcast_to", broadcast_to_fn, S(3), {.n = 2, .v = {2, 3}}),
    ROW1("tg_flip", flip_fn, S(2, 3), {.n = 2, .v = {0, 1}}),
    ROW1("tg_flip", flip_fn, S(1, 3), {.n = 1, .v = {0}}),
    ROW1("tg_roll", roll_fn, S(2, 3), {.axis = 0, .b = 1, .v = {1, -1}}),
    ROW1("tg_repeat", repeat_fn, S(2, 1), {.n = 3, .v = {2, 1, 3}}),
    ROW1("tg_tile", tile_fn, S(2, 3), {.n = 1, .v = {2}}),
    ROW1("tg_tile", tile_fn, S(3), {.n = 3, .v = {2, 1, 2}}),
    ROW1("tg_tril", tril_fn, S(3, 3), {.axis = 0}),
    ROW1("tg_tril", tril_fn, S(2, 3), {.axis = -1}),
    ROW1("tg_triu", triu_fn, S(3, 3), {.axis = 1}),
    ROW1("tg_diagonal", diagonal_fn, S(3, 3), {.axis = 0, .b = 1, .v = {1}}),
    ROW1("tg_diagonal", diagonal_fn, S(2, 3, 3), {.axis = 1, .b = 2, .v = {0}}),
    ROW1("tg_diag_embed", diag_embed_fn, S(3), {.axis = -1}),
    ROW1("tg_trace", trace_fn, S(3, 3), {0}),
    ROW1("tg_trace", trace_fn, S(2, 3), {0}),
    ROW2("tg_outer", outer_fn, S(3), S(2), {0}),
    ROW2("tg_dot", dot_fn, S(3), S(3), {0}),
};
#define N_ROWS (sizeof rows / sizeof rows[0])

START_TEST(every_case_gradcheck_and_gradgrad)
{
    const row *r = &rows[_i];
    tu_gradcheck_both(r->f, (void *)&r->a, r->n_inputs, r->shapes, -2, 2);
    tu_gradgradcheck_both(r->f, (void *)&r->a, r->n_inputs, r->shapes, -2, 2);
}
END_TEST

static bool has_row(const char *fn)
{
    for (size_t i = 0; i < N_ROWS; i++)
        if (strcmp(rows[i].fn, fn) == 0)
            return true;
    return false;
}

/* The catalogue's ops of the issue (select to concat, and the shape ops it
 * builds on) and the functions built on them each have a row. */
START_TEST(every_function_has_a_row)
{
    static const char *const built_on_others[] = {
        "tg_take_along_axis", "tg_stack", "tg_split", "tg_split_size", "tg_chunk",
        "tg_unbind", "tg_swapaxes", "tg_movedim", "tg_squeeze", "tg_squeeze_all",
        "tg_unsqueeze", "tg_flatten", "tg_unflatten", "tg_expand", "tg_tile"};
    for (size_t k = 0; k < sizeof built_on_others / sizeof built_on_others[0]; k++)
        ck_assert_msg(has_row(built_on_others[k]), "no row for %s", built_on_others[k]);
    static const tg_op_kind shape_ops[] = {TG_OP_TRANSPOSE, TG_OP_RESHAPE, TG_OP_BROADCAST_TO};
    for (size_t k = 0; k < 3; k++)
        ck_assert(has_row(tg_op_info_of(shape_ops[k])->name));
    for (int k = TG_OP_SELECT; k <= TG_OP_CONCAT; k++) {
        const char *name = tg_op_info_of((tg_op_kind)k)->name;
        ck_assert_msg(k == TG_OP_ONE_HOT || has_row(name), "no row for %s", name);
    }
}
END_TEST

TCase *tg_test_indexing(void)
{
    TCase *tc = tu_tcase("indexing");
    tcase_add_loop_test(tc, every_case_gradcheck_and_gradgrad, 0, (int)N_ROWS);
    tcase_add_test(tc, every_function_has_a_row);
    return tc;
}
