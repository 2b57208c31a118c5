// A ResNet basic block through svertka plans: conv 3x3 -> ReLU -> conv 3x3 -> + input -> ReLU,
// NHWC, 64 channels at 56x56. Plans are made once and executed many times.
#include <svertka/svertka.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

int main() {
  svertka::ConvParams p;
  p.in_channels = p.out_channels = 64;
  p.in_height = p.in_width = 56;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  p.layout = svertka::Layout::nhwc;
  const svertka::BufferSizes s = svertka::buffer_sizes(svertka::Op::conv2d, p);

  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  auto random = [&](std::size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = normal(rng);
    return v;
  };
  const svertka::Plan conv1(svertka::Op::conv2d, p, random(s.weights), random(s.bias));
  const svertka::Plan conv2(svertka::Op::conv2d, p, random(s.weights), random(s.bias));

  const std::vector<float> x = random(s.src);
  std::vector<float> h(s.dst), y(s.dst);
  auto relu = [](std::vector<float>& v) {
    for (float& e : v) e = std::max(e, 0.0f);
  };
  const auto start = std::chrono::steady_clock::now();
  constexpr int kRuns = 20;
  for (int run = 0; run < kRuns; ++run) {
    conv1.execute(x, h);
    relu(h);
    conv2.execute(h, y);
    for (std::size_t i = 0; i < y.size(); ++i) y[i] += x[i];
    relu(y);
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / kRuns;
  double sum = 0;
  for (float v : y) {
    if (!std::isfinite(v)) return 1;
    sum += v;
  }
  std::printf("%s\nresnet basic block 64x56x56: %.3f ms per block, output sum %.4f\n",
              conv1.describe().c_str(), ms, sum);
  return 0;
}
