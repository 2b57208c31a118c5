#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "problem.hpp"

namespace svertka::bench {

void Summary::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
    const std::string name = run.run_name.function_name;
    const auto slash = name.find('/');
    const auto gflops = run.counters.find("GFLOP/s");
    if (slash == std::string::npos || gflops == run.counters.end()) continue;
    const std::string first = name.substr(0, slash), second = name.substr(slash + 1);
    if (first == "peak") {
      peaks_[second] = std::max(peaks_[second], gflops->second.value);
      continue;
    }
    Result& r = results_[first][second];
    if (gflops->second.value > r.gflops) r = {gflops->second.value, run.report_label};
  }
}

const Summary::Result* Summary::find(const std::string& layer, const std::string& variant) const {
  const auto l = results_.find(layer);
  if (l == results_.end()) return nullptr;
  const auto v = l->second.find(variant);
  return v == l->second.end() ? nullptr : &v->second;
}

// The peak of the ISA the plan ran: describe() is "<op> <algorithm> <isa> ...".
double Summary::peak_of(const Result& svertka) const {
  std::istringstream words(svertka.label);
  std::string op, algorithm, isa;
  words >> op >> algorithm >> isa;
  const auto p = peaks_.find(isa);
  return p == peaks_.end() ? 0 : p->second;
}

void Summary::print(const std::vector<Layer>& layers, std::ostream& out) const {
  auto fixed = [](double v, int digits) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(digits) << v;
    return s.str();
  };
  out << "\n" << std::left << std::setw(24) << "layer" << std::setw(8) << "op" << std::right
      << std::setw(8) << "GFLOP" << std::setw(10) << "GFLOP/s" << std::setw(8) << "% peak"
      << std::setw(9) << "x ref" << std::setw(9) << "x oneDNN" << "  algorithm/ISA\n";
  std::map<std::string, std::vector<double>> vs_onednn, vs_reference;
  for (const Layer& layer : layers) {
    const Result* s = find(layer.name, "svertka");
    if (!s) continue;
    const Result* ref = find(layer.name, "reference");
    const Result* dnnl = find(layer.name, "onednn");
    const double peak = peak_of(*s);
    const std::string kind = layer.op == Op::conv2d ? "conv" : "deconv";
    std::istringstream words(s->label);
    std::string op, algorithm, isa;
    words >> op >> algorithm >> isa;
    out << std::left << std::setw(24) << layer.name << std::setw(8) << kind << std::right
        << std::setw(8) << fixed(flops(make_problem(layer.op, layer.params)) * 1e-9, 3)
        << std::setw(10) << fixed(s->gflops, 1) << std::setw(8)
        << (peak > 0 ? fixed(100 * s->gflops / peak, 1) : "-") << std::setw(9)
        << (ref ? fixed(s->gflops / ref->gflops, 1) : "-") << std::setw(9)
        << (dnnl ? fixed(s->gflops / dnnl->gflops, 2) : "-") << "  " << algorithm << "/" << isa
        << "\n";
    if (dnnl) vs_onednn[kind].push_back(s->gflops / dnnl->gflops);
    if (ref) vs_reference[kind].push_back(s->gflops / ref->gflops);
  }
  auto geomean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += std::log(x);
    return std::exp(sum / double(v.size()));
  };
  for (const char* kind : {"conv", "deconv"}) {
    if (vs_reference.count(kind)) {
      out << "geomean " << kind << ": x reference " << fixed(geomean(vs_reference.at(kind)), 1);
      if (vs_onednn.count(kind)) {
        out << ", x oneDNN " << fixed(geomean(vs_onednn.at(kind)), 3) << " over "
            << vs_onednn.at(kind).size() << " layers";
      }
      out << "\n";
    }
  }
  // The default choice against the fastest other algorithm forced on each layer with several
  // that apply ("svertka:<algorithm>"), measured in this run. The default's own algorithm
  // forced runs the same plan: the better of the two runs counts (noise, not a choice).
  int compared = 0, behind = 0;
  double least = 0;
  std::string least_layer, least_best;
  for (const Layer& layer : layers) {
    const Result* s = find(layer.name, "svertka");
    const auto variants = results_.find(layer.name);
    if (!s || variants == results_.end()) continue;
    std::istringstream words(s->label);
    std::string op, chosen;
    words >> op >> chosen;
    double own = s->gflops, other = 0;
    std::string other_name;
    for (const auto& [variant, result] : variants->second) {
      if (variant.rfind("svertka:", 0) != 0 || variant == "svertka:model") continue;
      const std::string algorithm = variant.substr(8);
      if (algorithm == chosen) {
        own = std::max(own, result.gflops);
      } else if (result.gflops > other) {
        other = result.gflops;
        other_name = algorithm;
      }
    }
    if (other == 0) continue;
    const double ratio = std::min(1.0, own / other);
    ++compared;
    if (ratio < 0.95) ++behind;
    if (least == 0 || ratio < least) {
      least = ratio;
      least_layer = layer.name;
      least_best = other_name;
    }
  }
  if (compared > 0 && least >= 1) {
    out << "default choice: the fastest algorithm on all " << compared << " layers with a choice\n";
  } else if (compared > 0) {
    out << "default choice: x the fastest other algorithm forced, the least " << fixed(least, 3)
        << " (" << least_layer << ", " << least_best << " faster); " << behind << " of "
        << compared << " layers more than 5% behind\n";
  }
  // Tuned layers against the cost model alone, measured in this run. Where the database chose
  // what the model chooses, both runs ran the same plan: the layer counts as 1 (their
  // difference is noise, not tuning).
  std::vector<double> vs_model;
  std::string slowest;
  double worst = 0;
  int retuned = 0;
  for (const Layer& layer : layers) {
    const Result* s = find(layer.name, "svertka");
    const Result* m = find(layer.name, "svertka:model");
    if (!s || !m) continue;
    std::string tuned_plan = s->label;
    if (const auto at = tuned_plan.rfind(" tuned"); at != std::string::npos) tuned_plan.erase(at);
    if (tuned_plan == m->label) {
      vs_model.push_back(1.0);
      continue;
    }
    ++retuned;
    vs_model.push_back(s->gflops / m->gflops);
    if (worst == 0 || vs_model.back() < worst) worst = vs_model.back(), slowest = layer.name;
  }
  if (!vs_model.empty()) {
    out << "tuned: geomean x model-only " << fixed(geomean(vs_model), 3) << " over "
        << vs_model.size() << " layers, " << retuned
        << " of them with another plan than the model's";
    if (retuned > 0) out << "; the least " << fixed(worst, 3) << " (" << slowest << ")";
    out << "\n";
  }
  for (const auto& [isa, gflops] : peaks_) {
    out << "FMA peak " << isa << ": " << fixed(gflops, 1) << " GFLOP/s (measured in this run)\n";
  }
}

bool Summary::chart(const std::vector<Layer>& layers, const std::string& dir,
                    std::string& image) const {
  const std::string data = dir + "/chart.dat", script = dir + "/chart.gnuplot";
  image = dir + "/chart.svg";
  std::ofstream d(data);
  double peak = 0, top = 0;
  for (const Layer& layer : layers) {
    const Result* s = find(layer.name, "svertka");
    if (!s) continue;
    const Result* dnnl = find(layer.name, "onednn");
    peak = std::max(peak, peak_of(*s));
    top = std::max({top, s->gflops, dnnl ? dnnl->gflops : 0.0});
    d << '"' << layer.name << "\" " << s->gflops << " " << (dnnl ? dnnl->gflops : 0.0) << "\n";
  }
  d.close();
  std::ofstream g(script);
  g << "set terminal svg size 1400,600 dynamic font 'sans,11'\nset termoption noenhanced\n"
    << "set output '" << image << "'\n"
    << "set title 'GFLOP/s per layer: svertka beside oneDNN, the FMA peak as a line'\n"
    << "set style data histograms\nset style histogram clustered gap 1\n"
    << "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
    << "set xtics rotate by -50 scale 0 font ',9'\nset ylabel 'GFLOP/s'\n"
    << "set yrange [0:" << std::max(peak, top) * 1.1 << "]\nset grid ytics\nset key top right\n"
    << "set arrow from graph 0, first " << peak << " to graph 1, first " << peak
    << " nohead dt 2 lw 2 lc rgb '#aa0000'\n"
    << "set label 'FMA peak " << int(peak) << "' at graph 0.01, first " << peak * 1.02
    << " tc rgb '#aa0000'\n"
    << "plot '" << data << "' using 2:xtic(1) title 'svertka' lc rgb '#2a6f97', "
    << "'' using 3 title 'oneDNN' lc rgb '#c0c0c0'\n";
  g.close();
  return std::system(("gnuplot '" + script + "' 2>/dev/null").c_str()) == 0;
}

}  // namespace svertka::bench
