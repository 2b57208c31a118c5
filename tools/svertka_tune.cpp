// svertka-tune: measures, on this machine, the candidates for each layer (every applicable
// algorithm x register blocks x cache blocks x work decomposition, pruned by the cost model) and
// merges the winners into the tuning database that plans read (FFTW's wisdom, for convolution).
//   svertka-tune [LAYERS.csv | PROBLEM ...] [--layout nhwc] [--threads 1,2] [--isa avx512]
//                [--budget 60s] [--file PATH]
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "algorithm.hpp"
#include "algorithms/blocking.hpp"
#include "kernel_tables.hpp"
#include "layers.hpp"
#include "runtime/threads.hpp"
#include "runtime/tuning_db.hpp"

namespace svertka {
namespace {

using Clock = std::chrono::steady_clock;

struct Candidate {
  Tuning tuning;  // algorithm "" = the model's own choice (the baseline)
  std::unique_ptr<Algorithm> algorithm;
  std::vector<double> times;
  // The fastest run of all rounds: a layer of 50 ms has one run a round, and the median of
  // those took in the machine's noise (one plan measured 45-63 ms from run to run).
  double fastest() const { return *std::min_element(times.begin(), times.end()); }
};

std::string describe(const Tuning& t) {
  std::ostringstream s;
  s << t.algorithm;
  if (!t.kernel.empty()) s << " " << t.kernel;
  if (t.kc) s << " mc=" << t.mc << " kc=" << t.kc << " nc=" << t.nc;
  if (t.tasks_per_thread) s << " tasks/thread=" << t.tasks_per_thread;
  return s.str();
}

// The candidates worth measuring: the model's choice, then for each applicable algorithm
// within 2x of the model's best estimate, its register blocks, cache blocks and task counts.
std::vector<Tuning> candidates(const Problem& pr, const Context& ctx) {
  double best = 0;
  for (const Implementation& impl : implementations()) {
    if (impl.name != "reference" && impl.why_not(pr, ctx).empty()) {
      const double c = impl.cost(pr, ctx);
      best = best == 0 ? c : std::min(best, c);
    }
  }
  std::vector<Tuning> out{Tuning{}};
  const std::vector<int64_t> tasks = ctx.threads > 1 ? std::vector<int64_t>{2, 8, 16}
                                                     : std::vector<int64_t>{0};
  for (const Implementation& impl : implementations()) {
    if (impl.name == "reference" || !impl.why_not(pr, ctx).empty()) continue;
    if (impl.cost(pr, ctx) > 2 * best) continue;  // the model is sure enough
    const std::string name(impl.name);
    // Register-block variants: not for these (column_fold has gemm[0]'s block only).
    const bool blocked = name != "depthwise" && name != "grouped" && name != "column_fold";
    for (int64_t t : tasks) {
      if (!blocked) {
        out.push_back({name, "", 0, 0, 0, t});
        continue;
      }
      for (const Brgemm& k : ctx.kernels->gemm) {
        if (name != "im2col_gemm") {
          out.push_back({name, k.name, 0, 0, 0, t});
          continue;
        }
        const GemmBlocking b = model_blocking(topology(), k.mr, k.nr);
        for (int64_t kc : {b.kc / 2, b.kc, 2 * b.kc}) {
          out.push_back({name, k.name, b.mc, std::max<int64_t>(kc, kInterleave), b.nc, t});
        }
      }
    }
  }
  return out;
}

struct Outcome {
  std::string layer;
  Tuning heuristic, tuned;
  double heuristic_seconds = 0, tuned_seconds = 0;
};

// Times every candidate of one layer, interleaved round by round so that machine drift hits
// them alike, for about `budget` seconds (at least five rounds).
Outcome tune(const bench::Layer& layer, const Context& base, double budget) {
  const Problem pr = canonical(make_problem(layer.op, layer.params));  // as plans run it
  const auto src = bench::random_floats(pr.src().size()),
             w = bench::random_floats(pr.weights_size()), b = bench::random_floats(pr.p.out_channels);
  bench::Floats dst(pr.dst().size());
  std::vector<Candidate> all;
  for (const Tuning& t : candidates(pr, base)) {
    Context ctx = base;
    ctx.tuning = t;
    const Implementation* impl = nullptr;
    double cheapest = 0;
    for (const Implementation& i : implementations()) {
      if (!i.why_not(pr, ctx).empty()) continue;
      if (t.tuned() ? i.name == t.algorithm : (!impl || i.cost(pr, ctx) < cheapest)) {
        impl = &i;
        cheapest = i.cost(pr, ctx);
      }
    }
    Candidate c{t, impl->create(pr, ctx, w.data(), b.data()), {}};
    if (!t.tuned()) c.tuning.algorithm = "";  // the baseline keeps "model" as its name
    // A candidate that builds the plan an earlier one built (a register block the problem
    // cannot use, the model's own choice named) is not measured again: two copies of one
    // plan differ only by where their buffers fell, and that is noise, not a choice.
    const std::string plan = c.algorithm->describe();
    const bool seen = std::any_of(all.begin(), all.end(), [&](const Candidate& e) {
      return e.algorithm->describe() == plan;
    });
    if (!seen) all.push_back(std::move(c));
  }
  const auto start = Clock::now();
  for (int round = 0; round < 15; ++round) {
    for (Candidate& c : all) {
      // One untimed run first: the other candidates' packed weights have just evicted this
      // one's from the caches, and a layer run over and over (the benchmark's) finds them
      // warm. Then runs for 10 ms, the round's sample their fastest (as the benchmark's):
      // other tenants of a shared machine slow runs by 10-40% for milliseconds at a time, and
      // a mean takes in whatever of that fell in the round. Runs of 2 ms left a plan short of
      // its steady state: on Zen 5, ResNet's 7x7 3x3 layer in NCHW measured 0.94-1.10 ms in
      // them, 0.80 ms run over and over, and a 7x48 block 7-15% ahead that the benchmark then
      // found no faster.
      c.algorithm->execute(src.data(), dst.data());
      double fastest = std::numeric_limits<double>::infinity(), spent = 0;
      for (int i = 0; i < 1024 && spent < 10e-3; ++i) {
        const auto t0 = Clock::now();
        c.algorithm->execute(src.data(), dst.data());
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        fastest = std::min(fastest, s);
        spent += s;
      }
      c.times.push_back(fastest);
    }
    const double spent = std::chrono::duration<double>(Clock::now() - start).count();
    if (round >= 4 && spent > budget) break;
  }
  // A winner must beat the model's choice by more than a shared machine's noise: by 5% in
  // its fastest run (the fastest runs of one plan still differ by 3-5% between runs of the
  // benchmark), and in at least four rounds out of five, round by round.
  Outcome o{layer.name, all[0].tuning, all[0].tuning, all[0].fastest(), all[0].fastest()};
  const Candidate& model = all[0];
  for (const Candidate& c : all) {
    std::size_t faster = 0;
    for (std::size_t r = 0; r < c.times.size(); ++r) faster += c.times[r] < model.times[r];
    const bool consistent = 5 * faster >= 4 * c.times.size();
    if (c.tuning.tuned() && consistent && c.fastest() < o.tuned_seconds &&
        c.fastest() < 0.95 * o.heuristic_seconds) {
      o.tuned = c.tuning;
      o.tuned_seconds = c.fastest();
    }
  }
  // Record the model's own choice when nothing beat it, so that plans say what was measured.
  if (!o.tuned.tuned()) {
    Context ctx = base;
    double cheapest = 0;
    for (const Implementation& i : implementations()) {
      if (i.why_not(pr, ctx).empty() && (!o.tuned.tuned() || i.cost(pr, ctx) < cheapest)) {
        o.tuned = Tuning{std::string(i.name), "", 0, 0, 0, 0};
        cheapest = i.cost(pr, ctx);
      }
    }
  }
  return o;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream s(list);
  for (std::string item; std::getline(s, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace
}  // namespace svertka

int main(int argc, char** argv) {
  using namespace svertka;
  CLI::App app{"svertka-tune: measure the best algorithm and blocking for each layer on this "
               "machine and store them in the tuning database that plans read"};
  std::vector<std::string> inputs;
  std::vector<int> thread_counts;
  std::string layout = "nhwc", isa_list, budget_text = "60s", file;
  app.add_option("layers", inputs, "CSV files (bench/layers.csv format) or oneDNN-style problem "
                                   "strings (mb1ic64ih56oc64kh3ph1; deconv: prefix)");
  // One shape from flags named as a problem string's keys: --ic 64 --ih 56 --oc 64 --kh 3.
  const std::string one_shape =
      "One shape, as a problem string's keys (--ic 64 --ih 56 --oc 64 --kh 3)";
  std::map<std::string, std::string> shape;
  for (const std::string& key : bench::problem_keys()) {
    app.add_option("--" + key, shape[key])->type_name("N")->group(one_shape);
  }
  bool deconv = false;
  app.add_flag("--deconv", deconv, "a transposed convolution")->group(one_shape);
  app.add_option("--layout", layout, "nchw or nhwc")->check(CLI::IsMember({"nchw", "nhwc"}))
      ->capture_default_str();
  app.add_option("--threads", thread_counts, "thread counts, comma-separated (default: all cores)")
      ->delimiter(',')
      ->check(CLI::Range(1, kMaxThreads));
  app.add_option("--isa", isa_list, "ISAs, comma-separated (default: the best this CPU runs)");
  app.add_option("--budget", budget_text, "time for the whole run, e.g. 60s or 5m")
      ->capture_default_str();
  app.add_option("--file", file, "the database (default: SVERTKA_TUNING_FILE or "
                                 "~/.cache/svertka/tuning.json)");
  CLI11_PARSE(app, argc, argv);

  const Layout lay = layout == "nchw" ? Layout::nchw : Layout::nhwc;
  std::vector<bench::Layer> layers;
  try {
    std::string keys;
    for (const auto& [key, value] : shape) keys += value.empty() ? "" : key + value;
    if (!keys.empty())
      layers.push_back(bench::parse_problem((deconv ? "deconv:" : "") + keys, lay));
    if (keys.empty() && deconv) throw std::runtime_error("--deconv: give the shape's flags too");
    for (const std::string& in : inputs) {
      if (in.size() > 4 && in.substr(in.size() - 4) == ".csv") {
        for (const auto& l : bench::read_layers(in, lay)) layers.push_back(l);
      } else {
        layers.push_back(bench::parse_problem(in, lay));
      }
    }
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  if (layers.empty()) {
    std::cerr << "no layers: give a CSV file, problem strings or one shape's flags (--help)\n";
    return 2;
  }
  double budget = 0;
  char unit = 's';
  if (std::sscanf(budget_text.c_str(), "%lf%c", &budget, &unit) < 1 || budget <= 0 ||
      (unit != 's' && unit != 'm')) {
    std::cerr << "--budget: a duration like 60s or 5m\n";
    return 2;
  }
  if (unit == 'm') budget *= 60;
  const std::filesystem::path path = file.empty() ? tuning_file() : std::filesystem::path(file);

  if (thread_counts.empty()) thread_counts.push_back(topology().cores);
  std::vector<Isa> isas;
  try {
    for (const std::string& i : split(isa_list)) isas.push_back(select_isa(i));
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  if (isas.empty()) isas.push_back(detected_isa());

  TuningDb db;
  try {
    db = TuningDb::load(path, topology());
  } catch (const std::exception& e) {
    std::cerr << "svertka-tune: " << e.what() << "; starting a new database\n";
  }
  std::vector<Outcome> outcomes;
  const std::size_t total = layers.size() * thread_counts.size() * isas.size();
  const auto start = Clock::now();
  std::size_t done = 0;
  for (Isa isa : isas)
    for (int threads : thread_counts)
      for (const auto& layer : layers) {
        if (!kernel_table(isa)) continue;  // nothing to tune on the reference
        const double spent = std::chrono::duration<double>(Clock::now() - start).count();
        const double share = std::max(0.05, (budget - spent) / double(total - done));
        ++done;
        std::cerr << "[" << done << "/" << total << "] " << layer.name << " " << to_string(isa)
                  << " threads=" << threads << std::flush;
        const Context ctx{isa, kernel_table(isa), threads, {}};
        Outcome o = tune(layer, ctx, share * 0.8);
        std::cerr << ": " << describe(o.tuned) << "\n";
        const Problem pr = make_problem(layer.op, layer.params);
        db.merge({tuning_key(pr, to_string(isa), threads), o.tuned, o.tuned_seconds,
                  o.heuristic_seconds});
        db.save(path, topology());  // after every layer: an interrupted run keeps what it has
        o.layer += std::string(" ") + to_string(isa) + " t" + std::to_string(threads);
        outcomes.push_back(o);
      }

  std::printf("\n%-34s %10s %10s %7s  %s\n", "layer", "model ms", "tuned ms", "gain",
              "tuned choice");
  double log_gain = 0;
  for (const Outcome& o : outcomes) {
    const double gain = o.heuristic_seconds / o.tuned_seconds;
    log_gain += std::log(gain);
    std::printf("%-34s %10.3f %10.3f %6.1f%%  %s\n", o.layer.c_str(), o.heuristic_seconds * 1e3,
                o.tuned_seconds * 1e3, (gain - 1) * 100, describe(o.tuned).c_str());
  }
  std::printf("geomean gain %.1f%% over %zu layers in %.0f s; database: %s\n",
              (std::exp(log_gain / double(outcomes.size())) - 1) * 100, outcomes.size(),
              std::chrono::duration<double>(Clock::now() - start).count(), path.c_str());
  return 0;
}
