// The benchmark's summary: collects every run as Google Benchmark reports it (the console and
// the JSON file stay Google Benchmark's own), then prints one table and geomeans and draws the
// chart with gnuplot.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include "layers.hpp"

namespace svertka::bench {

class Summary : public benchmark::ConsoleReporter {
 public:
  explicit Summary(bool color) : ConsoleReporter(color ? OO_ColorTabular : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override;

  // The table: layer, op, GFLOP, svertka GFLOP/s, % of the FMA peak (of the ISA it ran), the
  // algorithm and ISA chosen, x reference, x oneDNN; then geomeans for conv and deconv, and
  // the default choice against the fastest forced algorithm.
  void print(const std::vector<Layer>& layers, std::ostream& out) const;

  // A bar chart of GFLOP/s per layer, svertka beside oneDNN, the peak as a line: gnuplot's
  // script and data next to the image. Returns false when gnuplot is missing or fails.
  bool chart(const std::vector<Layer>& layers, const std::string& dir, std::string& image) const;

 private:
  struct Result {
    double gflops = 0;     // best over repetitions
    std::string label;     // svertka: the plan's describe(); oneDNN: its implementation
  };
  std::map<std::string, std::map<std::string, Result>> results_;  // layer -> variant -> result
  std::map<std::string, double> peaks_;                            // isa -> GFLOP/s

  const Result* find(const std::string& layer, const std::string& variant) const;
  double peak_of(const Result& svertka) const;
};

}  // namespace svertka::bench
