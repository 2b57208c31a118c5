// The benchmark suite: Google Benchmark over the layer suite (bench/layers.csv). Per layer,
// interleaved: svertka's default choice, each other applicable algorithm forced, the reference
// (sampled where slow) and oneDNN where installed, in the same layout and thread count; and the
// FMA peak of each ISA measured in the same run. GFLOP/s count useful work (flops()). Ends
// with a summary table, the JSON results and a chart (usage: kUsage below).
#include <benchmark/benchmark.h>

#include <chrono>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>

#include "algorithm.hpp"
#include "kernel_tables.hpp"
#include "layers.hpp"
#include "onednn_layer.hpp"
#include "peak.hpp"
#include "problem.hpp"
#include "reference/reference.hpp"
#include "report.hpp"
#include "runtime/environment.hpp"
#include "runtime/topology.hpp"
#include "runtime/tuning_db.hpp"
#include "runtime/threads.hpp"

namespace svertka::bench {
namespace {

// Reference kernels are slow: each is run on a sample of its layer of at most this much work.
double reference_flops = 2e8;

// Times each iteration; GFLOP/s and the fraction of peak are those of the fastest (benchdnn's
// "min"). On a shared machine, other tenants slow runs by 10-40% for milliseconds at a time:
// a mean over a repetition takes in as much of that as happened to fall in it, while the
// fastest iteration of the same plan comes back within a few percent from run to run.
template <class Body>
void timed_loop(benchmark::State& state, double flops, Body body) {
  double fastest = std::numeric_limits<double>::infinity();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    body();
    const std::chrono::duration<double> s = std::chrono::steady_clock::now() - start;
    fastest = std::min(fastest, s.count());
  }
  const double gflops = flops / fastest * 1e-9;
  const Context ctx = configured_context();
  state.counters["GFLOP/s"] = gflops;
  if (ctx.kernels) state.counters["peak%"] = 100.0 * gflops / peak_gflops(*ctx.kernels, ctx.threads);
}

void svertka_layer(benchmark::State& state, const Layer& layer, const std::string& algorithm,
                   int index, int count) {
  static int shown = 0;  // progress, once per layer, on stderr beside the console table
  if (index > shown) {
    shown = index;
    std::cerr << "[" << index << "/" << count << "] " << layer.name << "\n";
  }
  // "model": the cost model's choice, the tuning database hidden; else a forced algorithm.
  const std::string tuning_file = env("SVERTKA_TUNING_FILE");
  if (algorithm == "model") {
    ::setenv("SVERTKA_TUNING_FILE", "/nonexistent/svertka-model-only", 1);
  } else if (!algorithm.empty()) {
    ::setenv("SVERTKA_ALGO", algorithm.c_str(), 1);
  }
  const BufferSizes s = buffer_sizes(layer.op, layer.params);
  const auto src = random_floats(s.src), w = random_floats(s.weights), b = random_floats(s.bias);
  Floats dst(s.dst);
  const Plan plan(layer.op, layer.params, w, b);
  ::unsetenv("SVERTKA_ALGO");
  if (tuning_file.empty()) {
    ::unsetenv("SVERTKA_TUNING_FILE");
  } else {
    ::setenv("SVERTKA_TUNING_FILE", tuning_file.c_str(), 1);
  }
  plan.execute(src, dst);
  timed_loop(state, flops(make_problem(layer.op, layer.params)), [&] {
    plan.execute(src, dst);
    benchmark::DoNotOptimize(dst.data());
  });
  state.SetLabel(plan.describe());
}

void reference_layer(benchmark::State& state, const Layer& layer) {
  double fraction = 1;
  const Layer s = sampled(layer, reference_flops, &fraction);
  const Problem pr = make_problem(s.op, s.params);
  const auto src = random_floats(pr.src().size()), w = random_floats(pr.weights_size()),
             b = random_floats(pr.p.out_channels);
  Floats dst(pr.dst().size());
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
  const std::string prefix = std::string("--") + name + "=", flag = std::string("--") + name;
  for (int i = 1; i < argc; ++i) {
    const bool valued = std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0;
    if (valued || argv[i] == flag) {
      std::string value = valued ? argv[i] + prefix.size() : "1";
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      return value;
    }
  }
  return fallback;
}

bool has_option(int argc, char** argv, const char* prefix) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) return true;
  }
  return false;
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


constexpr const char* kUsage =
    "usage: svertka-bench [LAYERS.csv | PROBLEM ...] [--layout=nchw|nhwc] [--threads=N]\n"
    "                     [--isa=avx512|avx2] [--quick] [--out=DIR] [Google Benchmark flags]\n"
    "  LAYERS.csv  layers in the columns of bench/layers.csv (default: that file)\n"
    "  PROBLEM     one layer as a oneDNN-style string, e.g. mb1ic64ih56oc64kh3ph1\n"
    "              (prefix deconv: for a transposed convolution)\n"
    "  --quick     every third layer, short runs: a first look in under a minute\n"
    "  --out=DIR   where bench.json (Google Benchmark's format), summary.txt and chart.svg go\n";

}  // namespace
}  // namespace svertka::bench

int main(int argc, char** argv) {
  using namespace svertka;
  using namespace svertka::bench;
  if (has_option(argc, argv, "--help")) {
    std::cout << kUsage;
    return 0;
  }
  const std::string layout_name = take_option(argc, argv, "layout", "nchw");
  const std::string threads = take_option(argc, argv, "threads", "");
  const std::string isa = take_option(argc, argv, "isa", "");
  const bool quick = !take_option(argc, argv, "quick", "").empty();
  const std::string out_dir = take_option(argc, argv, "out", "svertka-bench-results");
  std::string layers_file = take_option(argc, argv, "layers", "");
  if (layout_name != "nchw" && layout_name != "nhwc") {
    std::cerr << "--layout must be nchw or nhwc\n" << kUsage;
    return 2;
  }
  const Layout layout = layout_name == "nchw" ? Layout::nchw : Layout::nhwc;
  if (!threads.empty()) ::setenv("SVERTKA_NUM_THREADS", threads.c_str(), 1);
  if (!isa.empty()) {
    ::setenv("SVERTKA_ISA", isa.c_str(), 1);
    ::setenv("ONEDNN_MAX_CPU_ISA", isa == "avx2" ? "AVX2" : "AVX512_CORE", 1);
  }
  // Layers: CSV files and problem strings given as arguments, else the suite.
  std::vector<Layer> layers;
  std::vector<char*> rest{argv[0]};
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg.rfind("--", 0) == 0) {
        rest.push_back(argv[i]);
      } else if (arg.size() > 4 && arg.substr(arg.size() - 4) == ".csv") {
        for (const Layer& l : read_layers(arg, layout)) layers.push_back(l);
      } else {
        layers.push_back(parse_problem(arg, layout));
      }
    }
    if (!layers_file.empty() || layers.empty()) {
      for (const Layer& l : read_layers(layers_file.empty() ? SVERTKA_LAYERS_CSV : layers_file, layout)) {
        layers.push_back(l);
      }
    }
    configured_context();
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n" << kUsage;
    return 2;
  }
  if (quick) {  // every third layer
    std::vector<Layer> third;
    for (std::size_t i = 0; i < layers.size(); i += 3) third.push_back(layers[i]);
    layers = third;
  }
  // Google Benchmark's own JSON, unless the caller chose the output.
  std::filesystem::create_directories(out_dir);
  std::vector<std::string> extra;
  if (!has_option(argc, argv, "--benchmark_out=")) {
    extra.push_back("--benchmark_out=" + out_dir + "/bench.json");
    extra.push_back("--benchmark_out_format=json");
  }
  // Short repetitions in random order, the best of each kept (report.cpp): noise on a shared
  // machine comes in bursts, and a burst then costs one repetition of each, not a whole row.
  if (!has_option(argc, argv, "--benchmark_min_time")) {
    extra.push_back("--benchmark_min_time=0.05");
  }
  if (!quick && !has_option(argc, argv, "--benchmark_repetitions")) {
    extra.push_back("--benchmark_repetitions=5");
  }
  if (!has_option(argc, argv, "--benchmark_enable_random_interleaving")) {
    extra.push_back("--benchmark_enable_random_interleaving=true");
  }
  for (std::string& e : extra) rest.push_back(e.data());
  int rest_argc = int(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  if (!have_onednn()) std::cerr << "svertka-bench: built without oneDNN; no side-by-side rows\n";
  reference_flops = quick ? 3e7 : 2e8;

  // The FMA peak of each ISA, registered first and last (without random interleaving): the
  // summary takes its best run.
  auto add_peaks = [] {
    for (Isa i : {Isa::avx512, Isa::avx2}) {
      if (detected_isa() >= i) {
        benchmark::RegisterBenchmark((std::string("peak/") + to_string(i)).c_str(), peak,
                                     kernel_table(i))
            ->Iterations(1);
      }
    }
  };
  add_peaks();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& layer = layers[i];
    auto add = [&](const std::string& name, auto fn, auto... args) {
      benchmark::RegisterBenchmark((layer.name + "/" + name).c_str(), fn, args...)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    };
    // The variants of a layer side by side (the order they run in without random interleaving).
    add("svertka", svertka_layer, layer, std::string(), int(i + 1), int(layers.size()));
    const auto forced = forced_algorithms(layer);
    if (forced.size() > 1) {
      for (const std::string& a : forced) add("svertka:" + a, svertka_layer, layer, a, 0, 0);
    }
    // A tuned layer is also measured as the cost model alone would run it.
    const Context ctx = configured_context();
    if (ctx.kernels && lookup_tuning(make_problem(layer.op, layer.params), ctx.kernels->isa, ctx.threads)) {
      add("svertka:model", svertka_layer, layer, std::string("model"), 0, 0);
    }
    add("reference", reference_layer, layer);
    if (have_onednn()) add("onednn", onednn_layer, layer);
  }
  add_peaks();
  Summary summary(::isatty(STDOUT_FILENO) != 0);
  benchmark::RunSpecifiedBenchmarks(&summary);
  benchmark::Shutdown();

  std::ostringstream table;
  table << "svertka-bench: " << layers.size() << " layers, " << layout_name << ", threads "
        << configured_context().threads << ", CPU " << topology().cpu_model << "\n";
  summary.print(layers, table);
  std::cout << table.str();
  std::ofstream(out_dir + "/summary.txt") << table.str();
  std::string image;
  if (summary.chart(layers, out_dir, image)) {
    std::cout << "chart: " << image << "\n";
  } else {
    std::cout << "chart: gnuplot not found or failed (apt-get install gnuplot-nox); data in "
              << out_dir << "/chart.dat\n";
  }
  std::cout << "results: " << out_dir << "/bench.json (compare runs with Google Benchmark's "
            << "tools/compare.py)\n";
  return 0;
}
