// Runs a layer through a Plan (under the environment the test set: SVERTKA_ISA, SVERTKA_ALGO,
// SVERTKA_NUM_THREADS) and through the reference kernels, and compares them with a tolerance
// scaled by the sum of |terms| of each output.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "algorithms/blocking.hpp"
#include "cpu_features.hpp"
#include "problem.hpp"
#include "reference/reference.hpp"
#include "runtime/topology.hpp"
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

// A layer grown row by row until blocking.hpp streams its output past the caches: its output
// rows that start vector-aligned (in_width 128) streamed, the others (123) stored as usual
// where they start; the reference's values either way, and describe() says so.
inline void expect_streamed_output_matches_reference(Op op, ConvParams p, int threads) {
  std::mt19937 rng(9);
  for (int64_t width : {128, 123}) {
    p.in_width = width;
    p.in_height = 1;
    while (!streams_output(make_problem(op, p), threads, topology())) p.in_height *= 2;
    std::string description;
    EXPECT_TRUE(matches_reference(op, p, rng, &description));
    EXPECT_NE(description.find("output streamed"), std::string::npos) << description;
  }
}

// The ISAs worth testing: every one the CPU runs.
inline bool cpu_runs(const std::string& isa) {
  return isa == "reference" || (isa == "avx2" && detected_isa() >= Isa::avx2) ||
         (isa == "avx512" && detected_isa() >= Isa::avx512);
}

}  // namespace svertka::test
