// The fixture for testing one algorithm: each test runs under every ISA the CPU has and on one
// and two threads, with SVERTKA_ALGO forcing the algorithm.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "support/against_reference.hpp"
#include "support/scoped_env.hpp"

namespace svertka::test {

class ForcedAlgorithm : public ::testing::TestWithParam<std::tuple<std::string, int>> {
 protected:
  void SetUp() override {
    if (!cpu_runs(isa())) GTEST_SKIP() << "this CPU does not run " << isa();
  }
  std::string isa() const { return std::get<0>(GetParam()); }
  ScopedEnv force(const std::string& algorithm) const {
    return ScopedEnv{{"SVERTKA_ALGO", algorithm},
                     {"SVERTKA_ISA", isa()},
                     {"SVERTKA_NUM_THREADS", std::to_string(std::get<1>(GetParam()))}};
  }
};

inline std::string isa_and_threads(
    const ::testing::TestParamInfo<std::tuple<std::string, int>>& info) {
  return std::get<0>(info.param) + "_threads" + std::to_string(std::get<1>(info.param));
}

#define SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(Suite)                                    \
  INSTANTIATE_TEST_SUITE_P(IsasAndThreads, Suite,                                          \
                           ::testing::Combine(::testing::Values("avx512", "avx2"),         \
                                              ::testing::Values(1, 2)),                    \
                           ::svertka::test::isa_and_threads)

}  // namespace svertka::test
