// One plan executed by several threads at once, each on its own input: a buffer that
// executions shared by mistake would mix them, where one input for all would not show it.
#pragma once

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "svertka/svertka.hpp"

namespace svertka::test {

// Thread i executes the plan on src[i] `reps` times; each must end with the bits that a lone
// execution of its input gives.
inline void expect_concurrent_executions_match(const Plan& plan,
                                               const std::vector<std::vector<float>>& src,
                                               std::size_t dst_size, int reps) {
  std::vector<std::vector<float>> want(src.size(), std::vector<float>(dst_size)), got = want;
  for (std::size_t i = 0; i < src.size(); ++i) plan.execute(src[i], want[i]);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < src.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int rep = 0; rep < reps; ++rep) plan.execute(src[i], got[i]);
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < src.size(); ++i) {
    EXPECT_EQ(got[i], want[i]) << plan.describe() << ", thread " << i;
  }
}

}  // namespace svertka::test
