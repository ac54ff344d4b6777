// bench_libtorch.cpp -- the libtorch (PyTorch's C++ API, Debian's
// libtorch-dev) side of tapegrad's benchmark suite (tools/bench/run.sh). The
// same workloads as bench.c and bench_torch.py, set up the same way (see the
// comments at each), one line per result:
//
//     workload<TAB>threads<TAB>median<TAB>spread<TAB>unit
//
//   bench_libtorch [--threads N] [--reps R] [--quick] [--data DIR] [--only NAME]
//
// --only runs the workloads whose name starts with NAME: run.sh starts one
// process per workload, so no workload inherits another's allocator state.
#include <sys/resource.h>
#include <torch/torch.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
    int threads = 1, reps = 5;
    bool quick = false;
    std::string data = "/usr/share/datasets/fashion-mnist", only;
};

double now()
{
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

bool selected(const Options &o, const std::string &name)
{
    return name.compare(0, o.only.size(), o.only) == 0;
}

void report(const std::string &name, const Options &o, std::vector<double> s, const char *unit)
{
    std::sort(s.begin(), s.end());
    size_t n = s.size();
    double median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    double spread = median != 0 ? (s.back() - s.front()) / median : 0;
    std::printf("%s\t%d\t%.6g\t%.3f\t%s\n", name.c_str(), o.threads, median, spread, unit);
    std::fflush(stdout);
}

// An IDX file (gzipped) as a uint8 tensor of its dimensions.
torch::Tensor load_idx(const std::string &path)
{
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) {
        std::fprintf(stderr, "bench_libtorch: cannot open %s\n", path.c_str());
        std::exit(1);
    }
    unsigned char head[4];
    gzread(f, head, 4);
    int ndim = head[3];
    std::vector<int64_t> dims(ndim);
    int64_t count = 1;
    for (int d = 0; d < ndim; d++) {
        unsigned char b[4];
        gzread(f, b, 4);
        dims[d] = (int64_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
        count *= dims[d];
    }
    torch::Tensor t = torch::empty(dims, torch::kUInt8);
    gzread(f, t.data_ptr<uint8_t>(), (unsigned)count);
    gzclose(f);
    return t;
}

// ---- MLP training on Fashion-MNIST: bench_torch.py's loop in C++ ----

double mlp_samples_per_second(const std::vector<int64_t> &sizes, int64_t batch,
                              const torch::Tensor &x, const torch::Tensor &y, int64_t n_samples)
{
    torch::manual_seed(0);
    torch::nn::Sequential model;
    for (size_t i = 0; i + 1 < sizes.size(); i++) {
        model->push_back(torch::nn::Linear(sizes[i], sizes[i + 1]));
        if (i + 2 < sizes.size())
            model->push_back(torch::nn::ReLU());
    }
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1));
    torch::nn::CrossEntropyLoss loss_fn;
    auto epoch = [&](int64_t limit) {
        for (int64_t start = 0; start + batch <= limit; start += batch) {
            opt.zero_grad();
            torch::Tensor loss = loss_fn(model->forward(x.slice(0, start, start + batch)),
                                         y.slice(0, start, start + batch));
            loss.backward();
            opt.step();
        }
    };
    epoch(std::min(n_samples, 20 * batch)); // warm-up, as on the other sides
    double t0 = now();
    epoch(n_samples);
    return (double)(n_samples / batch * batch) / (now() - t0);
}

void bench_mlp(const Options &o)
{
    struct Case {
        std::vector<int64_t> sizes;
        int64_t batch;
    };
    const Case cases[] = {{{784, 128, 10}, 32}, {{784, 128, 10}, 128}, {{784, 512, 512, 10}, 128}};
    torch::Tensor x, y;
    for (const Case &c : cases) {
        std::string name = "mlp_";
        for (size_t i = 0; i < c.sizes.size(); i++)
            name += (i ? "-" : "") + std::to_string(c.sizes[i]);
        name += "_b" + std::to_string(c.batch) + "_samples_per_s";
        if (!selected(o, name))
            continue;
        if (!x.defined()) {
            x = load_idx(o.data + "/train-images-idx3-ubyte.gz").reshape({-1, 784}).to(torch::kFloat) /
                255.0;
            y = load_idx(o.data + "/train-labels-idx1-ubyte.gz").to(torch::kLong);
        }
        int64_t n = o.quick ? 6000 : 60000;
        std::vector<double> s;
        for (int r = 0; r < (o.quick ? 2 : 1); r++)
            s.push_back(mlp_samples_per_second(c.sizes, c.batch, x, y, n));
        report(name, o, s, "samples/s");
        if (c.sizes.size() == 4) { // as bench.c: the large MLP's process, data set included
            struct rusage usage;
            getrusage(RUSAGE_SELF, &usage);
            report("mlp_peak_rss_MB", o, {(double)usage.ru_maxrss / 1024}, "MB");
        }
    }
}

// ---- 0-d graphs ----

void bench_neuron(const Options &o)
{
    if (!selected(o, "neuron_ns_per_node"))
        return;
    int iters = o.quick ? 2000 : 20000;
    torch::Tensor xs[3] = {torch::tensor(1.0f), torch::tensor(2.0f), torch::tensor(3.0f)};
    std::vector<double> s;
    for (int r = 0; r < o.reps; r++) {
        double t0 = now();
        for (int i = 0; i < iters; i++) {
            torch::Tensor sum = torch::tensor(0.1f, torch::requires_grad());
            for (int k = 0; k < 3; k++)
                sum = torch::tensor(0.3f * k, torch::requires_grad()) * xs[k] + sum;
            torch::sigmoid(sum).backward();
        }
        s.push_back((now() - t0) / iters / 7 * 1e9);
    }
    report("neuron_ns_per_node", o, s, "ns");
}

// ---- elementwise ops, 10^7 elements, forward + backward ----

// The input every side uses: x[i] = (i mod 4001) / 1000 - 2, in [-2, 2],
// half of it negative (relu's mask is not all ones).
torch::Tensor elementwise_input(int64_t n)
{
    return (torch::arange(n, torch::kLong).remainder(4001).to(torch::kFloat) / 1000 - 2)
        .requires_grad_();
}

void bench_elementwise(const Options &o)
{
    int64_t n = o.quick ? 1000000 : 10000000;
    torch::Tensor bias = torch::full({1000}, 0.5f);
    struct Op {
        const char *name;
        double bytes; // per element, as bench.c counts them
        torch::Tensor (*fn)(const torch::Tensor &, const torch::Tensor &);
    };
    const Op ops[] = {
        {"sigmoid", 24, [](const torch::Tensor &t, const torch::Tensor &) { return torch::sigmoid(t); }},
        {"tanh", 24, [](const torch::Tensor &t, const torch::Tensor &) { return torch::tanh(t); }},
        {"relu", 24, [](const torch::Tensor &t, const torch::Tensor &) { return torch::relu(t); }},
        {"add_bcast", 20,
         [](const torch::Tensor &t, const torch::Tensor &b) { return (t.view({-1, 1000}) + b).view({-1}); }},
    };
    for (const Op &op : ops) {
        std::string name = std::string("elementwise_") + op.name + "_GBps";
        if (!selected(o, name))
            continue;
        torch::Tensor x = elementwise_input(n), g = torch::ones({n});
        std::vector<double> s;
        for (int r = 0; r < o.reps + 1; r++) {
            if (x.grad().defined())
                x.mutable_grad().zero_(); // outside the timed region, like tg_zero_grad
            double t0 = now();
            op.fn(x, bias).backward(g);
            if (r > 0) // the first run makes .grad and faults the pages in
                s.push_back(op.bytes * (double)n / (now() - t0) / 1e9);
        }
        report(name, o, s, "GB/s");
    }
}

// ---- a 1024x1024 layer at batch 256 ----

void bench_matmul(const Options &o)
{
    if (!selected(o, "matmul_1024x1024_b256_GFLOPs"))
        return;
    const int64_t batch = 256, width = 1024;
    const double flops = 2.0 * 2 * batch * width * width; // forward and dW
    torch::Tensor x = torch::full({batch, width}, 0.01f), g = torch::ones({batch, width});
    torch::Tensor w = torch::full({width, width}, 0.001f).requires_grad_();
    std::vector<double> s;
    for (int r = 0; r < o.reps + 1; r++) {
        if (w.grad().defined())
            w.mutable_grad().zero_();
        double t0 = now();
        torch::matmul(x, w.t()).backward(g);
        if (r > 0)
            s.push_back(flops / (now() - t0) / 1e9);
    }
    report("matmul_1024x1024_b256_GFLOPs", o, s, "GFLOP/s");
}

Options parse(int argc, char **argv)
{
    Options o;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc)
            o.threads = std::atoi(argv[++i]);
        else if (a == "--reps" && i + 1 < argc)
            o.reps = std::atoi(argv[++i]);
        else if (a == "--quick")
            o.quick = true;
        else if (a == "--data" && i + 1 < argc)
            o.data = argv[++i];
        else if (a == "--only" && i + 1 < argc)
            o.only = argv[++i];
        else {
            std::fprintf(stderr, "usage: bench_libtorch [--threads N] [--reps R] [--quick] "
                                 "[--data DIR] [--only NAME]\n");
            std::exit(2);
        }
    }
    if (o.reps < 1 || o.reps > 15)
        o.reps = 5;
    return o;
}

} // namespace

int main(int argc, char **argv)
{
    Options o = parse(argc, argv);
    torch::set_num_threads(o.threads);
    bench_mlp(o);
    bench_neuron(o);
    bench_elementwise(o);
    bench_matmul(o);
    return 0;
}
