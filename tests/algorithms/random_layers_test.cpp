// Every algorithm on seeded random layers of network sizes, each forced with SVERTKA_ALGO
// wherever it applies, under each ISA the CPU runs, on one and two threads: against the
// reference, and executed from several threads at once. SVERTKA_TEST_LAYERS=N draws N layers
// for the first instead of the suite's 36 (a longer hunt: thousands).
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <stdexcept>

#include "algorithm.hpp"
#include "support/concurrent.hpp"
#include "support/forced_algorithm.hpp"
#include "support/shapes.hpp"

namespace svertka::test {
namespace {

class RandomLayers : public ForcedAlgorithm {
 protected:
  // Plans of each algorithm that applies to the layer, SVERTKA_ALGO forcing it; runs counts
  // them by name.
  template <class Body>
  void for_each_algorithm(Body body) {
    for (const Implementation& impl : implementations()) {
      const std::string name(impl.name);
      if (name == "reference") continue;  // the oracle itself
      const ScopedEnv scoped = force(name);
      try {
        body();
        ++runs_[name];
      } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("does not apply"), std::string::npos) << e.what();
      }
    }
  }
  // The families of random_layers reach every algorithm: a sweep that stopped reaching one
  // would test less without saying so.
  void TearDown() override {
    if (IsSkipped()) return;
    for (const Implementation& impl : implementations()) {
      if (impl.name != "reference") {
        EXPECT_GT(runs_[std::string(impl.name)], 0) << impl.name;
      }
    }
  }

 private:
  std::map<std::string, int> runs_;
};

TEST_P(RandomLayers, EveryAlgorithmThatAppliesMatchesTheReference) {
  const char* requested = std::getenv("SVERTKA_TEST_LAYERS");
  const int count = requested ? std::atoi(requested) : 36;
  std::mt19937 rng(5);
  for (const auto& [op, params] : random_layers(count, 29, 2e6)) {
    for_each_algorithm([&] { EXPECT_TRUE(matches_reference(op, params, rng)); });
  }
}

// Three threads executing one plan at once on their own inputs, twice each, get the bits of
// lone executions: the library's arenas and per-thread buffers keep concurrent executions
// apart, whatever each algorithm shares among its tasks.
TEST_P(RandomLayers, ConcurrentExecutionsGiveTheBitsOfLoneOnes) {
  std::mt19937 rng(6);
  for (const auto& [op, params] : random_layers(12, 31, 5e5)) {
    const BufferSizes s = buffer_sizes(op, params);
    const auto w = random_floats(s.weights, rng), b = random_floats(s.bias, rng);
    std::vector<std::vector<float>> src;
    for (int i = 0; i < 3; ++i) src.push_back(random_floats(s.src, rng));
    for_each_algorithm(
        [&] { expect_concurrent_executions_match(Plan(op, params, w, b), src, s.dst, 2); });
  }
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(RandomLayers);

}  // namespace
}  // namespace svertka::test
