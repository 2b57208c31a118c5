// Plans: deterministic, safe to execute from several threads at once, independent of the
// caller's buffers after creation, and strict about buffer sizes and forced algorithms.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>

#include "support/check.hpp"
#include "support/concurrent.hpp"

namespace svertka::test {
namespace {

struct Layer {
  Op op;
  ConvParams params;
};

std::vector<Layer> layers() {
  ConvParams conv;
  conv.batch = 2;
  conv.in_channels = 6;
  conv.out_channels = 8;
  conv.in_height = 11;
  conv.in_width = 9;
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad_top = conv.pad_bottom = conv.pad_left = conv.pad_right = 1;
  conv.groups = 2;
  ConvParams t = conv;
  t.stride_h = t.stride_w = 2;
  t.output_padding_h = 1;
  t.layout = Layout::nhwc;
  return {{Op::conv2d, conv}, {Op::conv_transpose2d, t}};
}

std::string throws_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(Plan, ExecutingTwiceGivesTheSameBits) {
  std::mt19937 rng(1);
  for (const Layer& l : layers()) {
    const BufferSizes s = buffer_sizes(l.op, l.params);
    const auto src = random_floats(s.src, rng), w = random_floats(s.weights, rng),
               b = random_floats(s.bias, rng);
    const Plan plan(l.op, l.params, w, b);
    std::vector<float> first(s.dst, 0.0f), second(s.dst, 1.0f);
    plan.execute(src, first);
    plan.execute(src, second);
    EXPECT_EQ(first, second) << plan.describe();
  }
}

TEST(Plan, ConcurrentExecutionsOfOnePlanGiveTheSameBits) {
  std::mt19937 rng(2);
  for (const Layer& l : layers()) {
    const BufferSizes s = buffer_sizes(l.op, l.params);
    const auto w = random_floats(s.weights, rng), b = random_floats(s.bias, rng);
    const Plan plan(l.op, l.params, w, b);
    std::vector<std::vector<float>> src;
    for (int i = 0; i < 4; ++i) src.push_back(random_floats(s.src, rng));
    expect_concurrent_executions_match(plan, src, s.dst, 10);
  }
}

TEST(Plan, CopiesWeightsAndBiasAtCreation) {
  std::mt19937 rng(3);
  for (const Layer& l : layers()) {
    const BufferSizes s = buffer_sizes(l.op, l.params);
    const auto src = random_floats(s.src, rng);
    auto w = random_floats(s.weights, rng), b = random_floats(s.bias, rng);
    const Plan plan(l.op, l.params, w, b);
    std::vector<float> before(s.dst), after(s.dst);
    plan.execute(src, before);
    std::fill(w.begin(), w.end(), 0.0f);
    std::fill(b.begin(), b.end(), 0.0f);
    plan.execute(src, after);
    EXPECT_EQ(before, after);
  }
}

TEST(Plan, DescribeNamesTheOpAndPlanKeepsItsProblem) {
  for (const Layer& l : layers()) {
    const Plan plan(l.op, l.params, std::vector<float>(buffer_sizes(l.op, l.params).weights));
    EXPECT_EQ(plan.describe().rfind(l.op == Op::conv2d ? "conv2d " : "conv_transpose2d ", 0), 0u)
        << plan.describe();
    EXPECT_EQ(plan.op(), l.op);
    EXPECT_EQ(plan.params(), l.params);
  }
}

TEST(Plan, RejectsShortBuffersAndWritesNothing) {
  const Layer l = layers()[0];
  const BufferSizes s = buffer_sizes(l.op, l.params);
  const std::vector<float> w(s.weights), src(s.src);
  EXPECT_NE(throws_message([&] { Plan(l.op, l.params, std::span(w).first(s.weights - 1)); })
                .find("weights"),
            std::string::npos);
  EXPECT_NE(throws_message([&] { Plan(l.op, l.params, w, std::vector<float>(s.bias - 1)); })
                .find("bias"),
            std::string::npos);
  const Plan plan(l.op, l.params, w);
  std::vector<float> dst(s.dst, 7.0f);
  EXPECT_NE(throws_message([&] { plan.execute(src, std::span(dst).first(s.dst - 1)); }).find("dst"),
            std::string::npos);
  EXPECT_NE(throws_message([&] { plan.execute(std::span(src).first(1), dst); }).find("src"),
            std::string::npos);
  EXPECT_EQ(dst, std::vector<float>(s.dst, 7.0f));
}

TEST(Plan, UnknownForcedAlgorithmIsAClearError) {
  const Layer l = layers()[0];
  const std::vector<float> w(buffer_sizes(l.op, l.params).weights);
  ::setenv("SVERTKA_ALGO", "no_such_algorithm", 1);
  const std::string message = throws_message([&] { Plan(l.op, l.params, w); });
  ::unsetenv("SVERTKA_ALGO");
  EXPECT_NE(message.find("SVERTKA_ALGO"), std::string::npos) << message;
  EXPECT_NE(message.find("reference"), std::string::npos) << "lists the known ones: " << message;
}

}  // namespace
}  // namespace svertka::test
