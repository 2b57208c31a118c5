// The benchmark suite: Google Benchmark over the layer suite (bench/layers.csv), GFLOP/s counted
// on the useful work of each layer (problem.hpp's flops()).
//   svertka-bench [--layers=FILE.csv] [--layout=nchw|nhwc] [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <cstring>
#include <iostream>
#include <random>

#include "layers.hpp"
#include "problem.hpp"
#include "reference/reference.hpp"

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

void reference_layer(benchmark::State& state, const Layer& layer) {
  double fraction = 1;
  const Layer s = sampled(layer, kReferenceFlops, &fraction);
  const Problem pr = make_problem(s.op, s.params);
  const auto src = random_floats(pr.src().size()), w = random_floats(pr.weights_size()),
             b = random_floats(pr.p.out_channels);
  std::vector<float> dst(pr.dst().size());
  for (auto _ : state) {
    if (pr.op == Op::conv2d) {
      reference::conv2d_sliding_window(pr, src.data(), w.data(), b.data(), dst.data());
    } else {
      reference::conv_transpose2d_scatter(pr, src.data(), w.data(), b.data(), dst.data());
    }
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops(pr) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["sampled"] = fraction;
  state.SetLabel(to_string(make_problem(layer.op, layer.params)));
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

}  // namespace
}  // namespace svertka::bench

int main(int argc, char** argv) {
  using namespace svertka;
  using namespace svertka::bench;
  const std::string path = take_option(argc, argv, "layers", SVERTKA_LAYERS_CSV);
  const std::string layout_name = take_option(argc, argv, "layout", "nchw");
  if (layout_name != "nchw" && layout_name != "nhwc") {
    std::cerr << "--layout must be nchw or nhwc\n";
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  std::vector<Layer> layers;
  try {
    layers = read_layers(path, layout_name == "nchw" ? Layout::nchw : Layout::nhwc);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  for (const Layer& layer : layers) {
    benchmark::RegisterBenchmark(("reference/" + layer.name).c_str(), reference_layer, layer)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
