// What the autotuner may change about a plan: data, never code. Zero fields mean "the model's
// choice". Read from the tuning database at plan creation (tuning_db.hpp).
#pragma once

#include <cstdint>
#include <string>

namespace svertka {

struct Tuning {
  std::string algorithm;       // "" = the cost model chooses
  std::string kernel;          // a brgemm kernel's name from the ISA's table; "" = default
  int64_t mc = 0, kc = 0, nc = 0;  // im2col-GEMM cache blocks
  int64_t tasks_per_thread = 0;    // work items per thread; 0 = the default (8)

  bool tuned() const { return !algorithm.empty(); }
  friend bool operator==(const Tuning&, const Tuning&) = default;
};

// The work items an algorithm makes for `threads` threads: several per thread so that uneven
// items even out, one when single-threaded.
inline int64_t wanted_tasks(const Tuning& t, int threads) {
  return threads > 1 ? (t.tasks_per_thread > 0 ? t.tasks_per_thread : 8) * int64_t{threads} : 1;
}

}  // namespace svertka
