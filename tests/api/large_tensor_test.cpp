// A real tensor of more than 2^31 elements, where 32-bit index arithmetic would wrap: the
// depthwise path reads NHWC input in place, so input and output (8 GiB each) are all it needs.
// Skipped where the machine has not the memory (or under a sanitizer).
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "svertka/svertka.hpp"

namespace {

int64_t available_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (meminfo >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}

TEST(LargeTensor, MoreThan2To31ElementsComputeWithoutWrapping) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "too large under a sanitizer";
#endif
  svertka::ConvParams p;
  p.in_channels = p.out_channels = p.groups = 32;
  p.in_height = p.in_width = 8192;  // 32·8192² = 2^31 elements
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  p.layout = svertka::Layout::nhwc;
  const svertka::BufferSizes s = svertka::buffer_sizes(svertka::Op::conv2d, p);
  ASSERT_GE(s.src, std::size_t{1} << 31);
  const int64_t need = int64_t(s.src + s.dst) * int64_t(sizeof(float)) + (int64_t{2} << 30);
  if (available_bytes() < need) GTEST_SKIP() << "needs " << (need >> 30) << " GiB available";

  std::unique_ptr<float[]> src(new float[s.src]), dst(new float[s.dst]);
  // Input element (y, x, c) = (x + 3y + 5c) mod 7, cheap to recompute anywhere.
  auto value = [](int64_t y, int64_t x, int64_t c) { return float((x + 3 * y + 5 * c) % 7); };
  for (int64_t y = 0; y < 8192; ++y)
    for (int64_t x = 0; x < 8192; ++x)
      for (int64_t c = 0; c < 32; ++c) src[(y * 8192 + x) * 32 + c] = value(y, x, c);
  std::vector<float> weights(32 * 9);
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = float(i % 9 + 1);
  const svertka::Plan plan(svertka::Op::conv2d, p, weights);
  plan.execute({src.get(), s.src}, {dst.get(), s.dst});
  // Outputs on both sides of element 2^31 and at the corners, against the sum by hand.
  for (auto [y, x, c] : {std::tuple<int64_t, int64_t, int64_t>{0, 0, 0}, {4095, 8191, 31},
                         {4096, 0, 0}, {6000, 7000, 17}, {8191, 8191, 31}}) {
    float want = 0;
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t t = 0; t < 3; ++t) {
        const int64_t iy = y - 1 + r, ix = x - 1 + t;
        if (iy < 0 || iy >= 8192 || ix < 0 || ix >= 8192) continue;
        want += value(iy, ix, c) * weights[c * 9 + r * 3 + t];
      }
    EXPECT_EQ(dst[(y * 8192 + x) * 32 + c], want) << y << "," << x << "," << c << " "
                                                  << plan.describe();
  }
}

}  // namespace
