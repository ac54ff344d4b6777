/*
 * tapegrad/program.h -- record a graph once, replay it many times.
 *
 *     tg_tensor *w = tg_param(TG_F64, 0, NULL, (double[]){0.5});
 *     tg_program *p = tg_capture(loss_fn, &data, 0, NULL, 0);
 *     for (int step = 0; step < n; step++) {
 *         load_batch(&data);             // new values into the data tensors
 *         tg_program_run(p);             // forward and backward, no recording
 *         sgd_step(w);                   // the gradient is in w's .grad
 *     }
 *     tg_program_free(p);
 *
 * tg_capture runs f once and keeps the graph it records: every op result,
 * including those computed only from data that does not require grad. Each
 * tg_program_run then recomputes every op in place on the current values of
 * the persistent tensors the graph reads (each op's rerun), refreshes the
 * local partials of scalar nodes, and sweeps backward: no recording, no
 * allocation once its scratch has been made once. A graph of 0-d F64
 * scalars only is compiled into flat arrays (values, partials, input
 * slots) and swept in one loop.
 *
 * What a program cannot see: C control flow on values. The captured
 * structure is replayed whatever the values are (tg_where on data is fine;
 * an `if` on tg_item is not), so a graph whose ops or shapes depend on
 * values replays wrongly; tg_program_check runs f again and says where the
 * structure differs. Semantics and limits: docs/program.md.
 */
#ifndef TAPEGRAD_PROGRAM_H
#define TAPEGRAD_PROGRAM_H

#include <tapegrad/export.h>

#include <tapegrad/gradcheck.h>
#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tg_program tg_program;

/* tg_capture's flags. */
enum {
    /* Sweep with the general engine even where the graph is all scalars,
     * as without a program (to compare the two; no faster) */
    TG_PROGRAM_NO_FLAT = 1u << 0,
};

/* Runs f(wrt, ud) once and captures the graph it records. f's result (one
 * element) is the program's output. With n_wrt > 0 each run computes the
 * gradient of the output with respect to wrt[0..n_wrt-1] (persistent
 * tensors that require grad), as tg_grad does: no .grad is touched, and a
 * wrt tensor the output does not depend on gets zeros. With n_wrt == 0 each
 * run is tg_backward: the gradient is added to the .grad of every
 * persistent tensor that requires grad (a training step is a run and an
 * optimizer step). The graph may read persistent tensors only: tape
 * tensors made before the capture are not valid inside it. Returns NULL
 * with the error set on failure (an op that cannot be replayed, no output,
 * inside tg_jvp or a sweep). */
TG_API tg_program *tg_capture(tg_fn f, void *ud, int n_wrt, tg_tensor *const *wrt,
                              unsigned flags);

/* Forward and backward on the current values. Returns 0 or a negative
 * TG_E* code with the error set (an input freed since the capture, where
 * that is detectable; an op that failed). */
TG_API int tg_program_run(tg_program *p);

/* The output's value after the latest run (NaN before the first). */
TG_API double tg_program_value(const tg_program *p);

/* The gradient with respect to wrt[i] after the latest run: a persistent
 * tensor of wrt[i]'s shape owned by the program, updated by each run. NULL
 * with the error set for an index out of range or a program without wrt. */
TG_API const tg_tensor *tg_program_grad(const tg_program *p, int i);

/* Runs f again, normally, on the current values, and compares the graph it
 * records with the captured one: ops, shapes, dtypes, how they are wired,
 * the constants f made and the ops' scalar parameters. Returns 0 when they
 * agree, else TG_ESTATE with a message naming the first node that differs.
 * Gradients and the program's results are not touched. */
TG_API int tg_program_check(tg_program *p);

/* Captured nodes, and whether runs use the flat scalar sweep. */
TG_API int64_t tg_program_length(const tg_program *p);
TG_API bool tg_program_is_flat(const tg_program *p);

TG_API void tg_program_free(tg_program *p); /* NULL is ignored */

#ifdef __cplusplus
}
#endif

#endif
