#!/usr/bin/env python3
"""Splits a perf profile of a training step into gemm / elementwise /
optimizer / copies / bookkeeping / sync, for docs/performance.md:

    perf record -F 999 -o P.data -- COMMAND
    perf script -G [--time 60%-100%] -F comm,tid,ip,sym,dso -i P.data | profile_split.py

Each sample is put in the category of the first rule its leaf frame (the
symbol and the library it is in) matches, in the order of RULES; a sample
in data loading (zlib, IDX parsing, Python's unmarshalling at import) is
left out. Percentages are of the samples kept, all threads together, and
per thread. PyTorch's SGD is `param.add_(grad, alpha=-lr)`, an add kernel;
its backward steals the gradient buffers (no accumulation pass) and its
forward adds the bias inside addmm, so in its profile the add kernels are
the optimizer. Debian's libtorch_cpu has no symbols: its samples that
perf cannot name (its kernels and its dispatcher alike) are a category of
their own. --time 60%-100% keeps the last 40% of the run, the timed epoch,
where the setup before it (importing torch) would swamp the split."""
import re
import sys
from collections import Counter, defaultdict

LOADING = re.compile(r"libz\.so|tg_idx_load|tg_fashion_mnist|inflate|crc32|unmarshal|"
                     r"frombuffer|_PyImport|dlopen|_dl_relocate|do_lookup")
RULES = [
    ("sync", re.compile(r"gomp_|GOMP_|blas_thread_server|exec_blas|sched_yield|futex|"
                        r"omp_|__kmp|pthread_cond|pthread_barrier")),
    ("gemm", re.compile(r"libopenblas|libblas|gemm|_SKYLAKEX|_HASWELL|dnnl|mkldnn")),
    # page faults and other kernel work: the process's bookkeeping
    ("bookkeeping", re.compile(r"\[kernel\.kallsyms\]")),
    ("optimizer", re.compile(r"sgd|adam|optim|add_kernel|AddKernel|add_stub|axpy")),
    ("copies", re.compile(r"memmove|memcpy|copy_|gather_rows|fill_batch|index_select|"
                          r"narrow|contiguous|clone")),
    ("elementwise", re.compile(r"relu|threshold|clamp|sigmoid|tanh|softmax|log_softmax|nll|"
                               r"cross_entropy|bias|sum|reduce|add_same|add_range|deliver|"
                               r"memset|zero|mul|div|exp|log|max|argmax|vectorized|Vectorized|"
                               r"cpu_kernel|loop2d|loop_2d|kernel")),
]


def category(sym, dso):
    if "libtorch_cpu" in dso and re.fullmatch(r"0x[0-9a-f]+|\[unknown\]", sym):
        return "libtorch_cpu, no symbols"
    text = sym + " " + dso
    for name, rule in RULES:
        if rule.search(text):
            return name
    return "bookkeeping"


def main():
    total = Counter()
    per_thread = defaultdict(Counter)
    skipped = 0
    for line in sys.stdin:
        fields = line.split()
        if len(fields) < 3:
            continue
        tid = fields[1]
        dso = fields[-1]
        sym = " ".join(fields[3:-1])
        if LOADING.search(sym + " " + dso):
            skipped += 1
            continue
        cat = category(sym, dso)
        total[cat] += 1
        per_thread[tid][cat] += 1
    n = sum(total.values())
    order = ["gemm", "elementwise", "optimizer", "copies", "bookkeeping", "sync"]
    order += [c for c in total if c not in order]
    print(f"samples kept {n}, left out as loading {skipped}")
    print("| category | all threads | " + " | ".join(f"thread {t}" for t in per_thread) + " |")
    print("|---|---|" + "---|" * len(per_thread))
    for cat in order:
        cells = [f"{100 * total[cat] / n:.1f}%" if n else "-"]
        for t in per_thread:
            m = sum(per_thread[t].values())
            cells.append(f"{100 * per_thread[t][cat] / m:.1f}%" if m else "-")
        print(f"| {cat} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
