/*
 * bench_tape.c -- what a large graph leaves behind on the tape: the cost of a
 * tg_tape_reset and of the notes' neuron step before and after the
 * 1,000,000-step chain y = y * a + c, the bytes the tape reserves after it
 * (at once, after the shrink policy has seen ordinary steps, and after a
 * second chain and tg_tape_trim), the slowest of the resets that follow the
 * chain (the one that gives the memory back), and the process's peak and
 * current resident memory.
 *
 *   bench_tape [--steps N]      (N: chain length, default 1000000)
 *
 * Run it under /usr/bin/time -v for an independent peak RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <tapegrad/tapegrad.h>

static void die(const char *what)
{
    fprintf(stderr, "bench_tape: %s: %s\n", what, tg_last_error());
    exit(1);
}

/* The notes' neuron with fresh leaves, forward, backward and reset. */
static void neuron_step(void)
{
    tg_tensor *sum = tg_var(0.1);
    for (int i = 0; i < 3; i++)
        sum = tg_add(tg_mul(tg_var(0.3 * i), tg_scalar(1.0 + i)), sum);
    if (tg_backward(tg_sigmoid(sum)) < 0)
        die("neuron");
    tg_tape_reset();
}

static double neuron_ns(int iters)
{
    double t0 = tg_perf_counter();
    for (int i = 0; i < iters; i++)
        neuron_step();
    return (tg_perf_counter() - t0) / iters * 1e9;
}

/* The slowest of the next n resets (each of a tape holding one small
 * tensor), in ns, and which it was (0 for the first). */
static double slowest_reset_ns(int n, int *which)
{
    double slowest = 0;
    for (int i = 0; i < n; i++) {
        if (!tg_var(1.0))
            die("reset");
        double t0 = tg_perf_counter();
        tg_tape_reset();
        double ns = (tg_perf_counter() - t0) * 1e9;
        if (ns > slowest) {
            slowest = ns;
            *which = i;
        }
    }
    return slowest;
}

/* Resets of a tape holding one small tensor: what a reset itself costs. */
static double reset_ns(int iters)
{
    double t0 = tg_perf_counter();
    for (int i = 0; i < iters; i++) {
        if (!tg_var(1.0))
            die("reset");
        tg_tape_reset();
    }
    return (tg_perf_counter() - t0) / iters * 1e9;
}

static double chain_s(long steps)
{
    double t0 = tg_perf_counter();
    tg_tensor *y = tg_var(1.0), *a = tg_var(0.999999), *c = tg_var(1e-6);
    for (long i = 0; i < steps; i++)
        y = tg_add(tg_mul(y, a), c);
    if (tg_backward(y) < 0)
        die("chain");
    double s = tg_perf_counter() - t0;
    tg_tape_reset();
    return s;
}

static double reserved_mb(void)
{
    size_t reserved;
    tg_tape_memory(NULL, &reserved);
    return (double)reserved / (1 << 20);
}

static double rss_mb(void)
{
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%*s %ld", &pages) != 1)
        pages = 0;
    if (f)
        fclose(f);
    return (double)pages * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

int main(int argc, char **argv)
{
    long steps = 1000000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--steps") && i + 1 < argc) {
            steps = strtol(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: bench_tape [--steps N]\n");
            return 2;
        }
    }
    neuron_ns(20000); /* warm-up: the arenas and the node list reach their steady size */
    printf("reset_ns_before\t%.1f\n", reset_ns(200000));
    printf("neuron_ns_before\t%.1f\n", neuron_ns(200000));
    printf("chain_s\t%.4f\n", chain_s(steps));
    printf("reserved_MB_after_chain\t%.1f\n", reserved_mb());
    int which = -1;
    double slowest = slowest_reset_ns(64, &which);
    printf("slowest_of_64_resets_after_ns\t%.0f\t(reset %d after the chain's)\n", slowest, which + 1);
    printf("reserved_MB_after_64_resets\t%.1f\n", reserved_mb());
    printf("reset_ns_after\t%.1f\n", reset_ns(200000));
    printf("neuron_ns_after\t%.1f\n", neuron_ns(200000));
    printf("reserved_MB_after_200k_steps\t%.1f\n", reserved_mb());
    printf("rss_MB_after_200k_steps\t%.1f\n", rss_mb());
    chain_s(steps);
    printf("reserved_MB_after_second_chain\t%.1f\n", reserved_mb());
    tg_tape_trim();
    printf("reserved_MB_after_trim\t%.1f\n", reserved_mb());
    printf("rss_MB_after_trim\t%.1f\n", rss_mb());
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak_rss_MB\t%.1f\n", (double)ru.ru_maxrss / 1024);
    tg_tape_destroy();
    return 0;
}
