// Every algorithm against the reference on seeded random layers of network sizes, each forced
// with SVERTKA_ALGO wherever it applies, under each ISA the CPU runs, on one and two threads.
// SVERTKA_TEST_LAYERS=N draws N layers instead of the suite's 36 (a longer hunt: thousands).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <stdexcept>

#include "algorithm.hpp"
#include "support/forced_algorithm.hpp"
#include "support/shapes.hpp"

namespace svertka::test {
namespace {

class RandomLayers : public ForcedAlgorithm {};

TEST_P(RandomLayers, EveryAlgorithmThatAppliesMatchesTheReference) {
  const char* requested = std::getenv("SVERTKA_TEST_LAYERS");
  const int count = requested ? std::atoi(requested) : 36;
  std::mt19937 rng(5);
  std::map<std::string, int> runs;
  for (const auto& [op, params] : random_layers(count, 29, 2e6)) {
    for (const Implementation& impl : implementations()) {
      const std::string name(impl.name);
      if (name == "reference") continue;  // the oracle itself
      const ScopedEnv scoped = force(name);
      try {
        EXPECT_TRUE(matches_reference(op, params, rng)) << name;
        ++runs[name];
      } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("does not apply"), std::string::npos) << e.what();
      }
    }
  }
  // The families of random_layers reach every algorithm: a sweep that stopped reaching one
  // would test less without saying so.
  for (const Implementation& impl : implementations()) {
    if (impl.name != "reference") {
      EXPECT_GT(runs[std::string(impl.name)], 0) << impl.name;
    }
  }
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(RandomLayers);

}  // namespace
}  // namespace svertka::test
