// The benchmark suite: Google Benchmark over the layer suite (bench/layers.csv). Per layer,
// interleaved: svertka's default choice, each other applicable algorithm forced, the reference
// (sampled where slow) and oneDNN where installed, in the same layout and thread count; and the
// FMA peak of each ISA measured in the same run. GFLOP/s count useful work (flops()).
//   svertka-bench [--layers=FILE.csv] [--layout=nchw|nhwc] [--threads=N] [--isa=avx512|avx2]
//                 [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <random>

#include "algorithm.hpp"
#include "kernel_tables.hpp"
#include "layers.hpp"
#include "onednn_layer.hpp"
#include "peak.hpp"
#include "problem.hpp"
#include "reference/reference.hpp"
#include "runtime/threads.hpp"

namespace svertka::bench {
namespace {

// Reference kernels are slow: each is run on a sample of its layer of at most this much work.
constexpr double kReferenceFlops = 2e8;

std::vector<float> random_floats(std::size_t n) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Times the loop itself so that GFLOP/s and the fraction of peak are exact per run.
template <class Body>
void timed_loop(benchmark::State& state, double flops, Body body) {
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) body();
  const std::chrono::duration<double> s = std::chrono::steady_clock::now() - start;
  const double gflops = flops * double(state.iterations()) / s.count() * 1e-9;
  const Context ctx = configured_context();
  state.counters["GFLOP/s"] = gflops;
  if (ctx.kernels) state.counters["peak%"] = 100.0 * gflops / peak_gflops(*ctx.kernels, ctx.threads);
}

void svertka_layer(benchmark::State& state, const Layer& layer, const std::string& algorithm) {
  if (!algorithm.empty()) ::setenv("SVERTKA_ALGO", algorithm.c_str(), 1);
  const BufferSizes s = buffer_sizes(layer.op, layer.params);
  const auto src = random_floats(s.src), w = random_floats(s.weights), b = random_floats(s.bias);
  std::vector<float> dst(s.dst);
  const Plan plan(layer.op, layer.params, w, b);
  ::unsetenv("SVERTKA_ALGO");
  plan.execute(src, dst);
  timed_loop(state, flops(make_problem(layer.op, layer.params)), [&] {
    plan.execute(src, dst);
    benchmark::DoNotOptimize(dst.data());
  });
  state.SetLabel(plan.describe());
}

void reference_layer(benchmark::State& state, const Layer& layer) {
  double fraction = 1;
  const Layer s = sampled(layer, kReferenceFlops, &fraction);
  const Problem pr = make_problem(s.op, s.params);
  const auto src = random_floats(pr.src().size()), w = random_floats(pr.weights_size()),
             b = random_floats(pr.p.out_channels);
  std::vector<float> dst(pr.dst().size());
  timed_loop(state, flops(pr), [&] {
    if (pr.op == Op::conv2d) {
      reference::conv2d_sliding_window(pr, src.data(), w.data(), b.data(), dst.data());
    } else {
      reference::conv_transpose2d_scatter(pr, src.data(), w.data(), b.data(), dst.data());
    }
    benchmark::DoNotOptimize(dst.data());
  });
  state.counters["sampled"] = fraction;
}

void onednn_layer(benchmark::State& state, const Layer& layer) {
  std::unique_ptr<OnednnLayer> d;
  try {
    d = make_onednn_layer(layer, configured_threads());
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  d->execute();
  timed_loop(state, flops(make_problem(layer.op, layer.params)), [&] { d->execute(); });
  state.SetLabel(d->implementation());
}

void peak(benchmark::State& state, const KernelTable* table) {
  for (auto _ : state) benchmark::DoNotOptimize(peak_gflops(*table, configured_threads()));
  state.counters["GFLOP/s"] = peak_gflops(*table, configured_threads());
}

std::string take_option(int& argc, char** argv, const char* name, const char* fallback) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      std::string value = argv[i] + prefix.size();
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      return value;
    }
  }
  return fallback;
}

// The algorithms worth forcing for a layer: every applicable one but the reference, which
// runs sampled on its own.
std::vector<std::string> forced_algorithms(const Layer& layer) {
  const Context ctx = configured_context();
  const Problem pr = make_problem(layer.op, layer.params);
  std::vector<std::string> names;
  for (const Implementation& impl : implementations()) {
    if (impl.name != "reference" && impl.why_not(pr, ctx).empty()) names.emplace_back(impl.name);
  }
  return names;
}

}  // namespace
}  // namespace svertka::bench

int main(int argc, char** argv) {
  using namespace svertka;
  using namespace svertka::bench;
  const std::string path = take_option(argc, argv, "layers", SVERTKA_LAYERS_CSV);
  const std::string layout_name = take_option(argc, argv, "layout", "nchw");
  const std::string threads = take_option(argc, argv, "threads", "");
  const std::string isa = take_option(argc, argv, "isa", "");
  if (layout_name != "nchw" && layout_name != "nhwc") {
    std::cerr << "--layout must be nchw or nhwc\n";
    return 2;
  }
  if (!threads.empty()) ::setenv("SVERTKA_NUM_THREADS", threads.c_str(), 1);
  if (!isa.empty()) {
    ::setenv("SVERTKA_ISA", isa.c_str(), 1);
    ::setenv("ONEDNN_MAX_CPU_ISA", isa == "avx2" ? "AVX2" : "AVX512_CORE", 1);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  std::vector<Layer> layers;
  try {
    layers = read_layers(path, layout_name == "nchw" ? Layout::nchw : Layout::nhwc);
    configured_context();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  if (!have_onednn()) std::cerr << "svertka-bench: built without oneDNN; no side-by-side rows\n";
  for (Isa i : {Isa::avx512, Isa::avx2}) {
    if (detected_isa() >= i) {
      benchmark::RegisterBenchmark((std::string("peak/") + to_string(i)).c_str(), peak,
                                   kernel_table(i))
          ->Iterations(1);
    }
  }
  for (const Layer& layer : layers) {
    auto add = [&](const std::string& name, auto fn, auto... args) {
      benchmark::RegisterBenchmark((layer.name + "/" + name).c_str(), fn, args...)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    };
    add("svertka", svertka_layer, layer, std::string());
    const auto forced = forced_algorithms(layer);
    if (forced.size() > 1) {
      for (const std::string& a : forced) add("svertka:" + a, svertka_layer, layer, a);
    }
    add("reference", reference_layer, layer);
    if (have_onednn()) add("onednn", onednn_layer, layer);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
