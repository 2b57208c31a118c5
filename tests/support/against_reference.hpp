// Runs a layer through a Plan (under the environment the test set: SVERTKA_ISA, SVERTKA_ALGO,
// SVERTKA_NUM_THREADS) and through the reference kernels, and compares them with a tolerance
// scaled by the sum of |terms| of each output.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "cpu_features.hpp"
#include "problem.hpp"
#include "reference/reference.hpp"
#include "support/check.hpp"

namespace svertka::test {

inline ::testing::AssertionResult matches_reference(Op op, const ConvParams& params,
                                                    std::mt19937& rng,
                                                    std::string* description = nullptr) {
  const Problem pr = make_problem(op, params);
  const auto src = random_floats(pr.src().size(), rng);
  const auto w = random_floats(pr.weights_size(), rng);
  const auto b = random_floats(params.out_channels, rng);
  const auto reference =
      op == Op::conv2d ? reference::conv2d_sliding_window : reference::conv_transpose2d_scatter;
  std::vector<float> want(pr.dst().size()), magnitude(want.size());
  reference(pr, src.data(), w.data(), b.data(), want.data());
  reference(pr, absolute(src).data(), absolute(w).data(), absolute(b).data(), magnitude.data());
  const Plan plan(op, params, w, b);
  if (description) *description = plan.describe();
  std::vector<float> got(want.size(), std::nanf(""));
  plan.execute(src, got);
  auto result = close(want, got, magnitude);
  if (!result) {
    result << "\n  plan: " << plan.describe() << "\n  problem: " << to_string(pr) << " "
           << to_string(params.layout);
  }
  return result;
}

// The ISAs worth testing: every one the CPU runs.
inline bool cpu_runs(const std::string& isa) {
  return isa == "reference" || (isa == "avx2" && detected_isa() >= Isa::avx2) ||
         (isa == "avx512" && detected_isa() >= Isa::avx512);
}

}  // namespace svertka::test
