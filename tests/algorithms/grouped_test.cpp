// Grouped convolution with 1 or 2 groups per vector against the reference, forced with
// SVERTKA_ALGO=grouped under each ISA the CPU runs, on one and two threads: output channels per
// group of half a vector and a whole one, input channels per group around the interleave, a
// last pack missing its second group, rows narrower and wider than a tile, strides, dilation,
// asymmetric and oversized padding, both layouts.
#include <gtest/gtest.h>

#include "support/forced_algorithm.hpp"

namespace svertka::test {
namespace {

class GroupedConv : public ForcedAlgorithm {
 protected:
  int64_t lanes() const { return isa() == "avx512" ? 16 : 8; }
};

TEST_P(GroupedConv, MatchesReferenceOverChannelsGroupsAndGeometry) {
  const ScopedEnv scoped = force("grouped");
  std::mt19937 rng(1);
  struct G {
    int64_t h, w, kh, kw, sh, sw, d, pt, pb, pl, pr;
  };
  const G geometry[] = {{9, 31, 3, 3, 1, 1, 1, 1, 1, 1, 1}, {7, 5, 1, 1, 1, 1, 1, 0, 0, 0, 0},
                        {11, 23, 7, 7, 2, 2, 1, 3, 2, 3, 1}, {6, 20, 1, 3, 3, 1, 2, 0, 0, 2, 3},
                        {5, 17, 3, 3, 1, 2, 3, 4, 4, 5, 4}, {3, 3, 3, 3, 1, 1, 4, 4, 4, 4, 4}};
  int tested = 0;
  for (int64_t kg : {lanes() / 2, lanes()})
    for (int64_t cg : {2, 3, 4, 8, 9, 16})
      for (int64_t groups : {2, 3, 5})
        for (const G& g : geometry) {
          if (cg > 8 && g.sw == 2 && kg == lanes() / 2) continue;  // rows beyond the kernels'
          ConvParams p;
          p.batch = 2;
          p.groups = groups;
          p.in_channels = groups * cg;
          p.out_channels = groups * kg;
          p.in_height = g.h;
          p.in_width = g.w;
          p.kernel_h = g.kh;
          p.kernel_w = g.kw;
          p.stride_h = g.sh;
          p.stride_w = g.sw;
          p.dilation_h = p.dilation_w = g.d;
          p.pad_top = g.pt;
          p.pad_bottom = g.pb;
          p.pad_left = g.pl;
          p.pad_right = g.pr;
          p.layout = (cg + groups + g.w) % 2 ? Layout::nhwc : Layout::nchw;
          std::string description;
          ASSERT_TRUE(matches_reference(Op::conv2d, p, rng, &description));
          ASSERT_NE(description.find("grouped " + isa()), std::string::npos) << description;
          const bool row_form = g.kw == 3 && g.sw == 1 && g.d == 1;  // 3-wide, stride 1
          ASSERT_NE(description.find(row_form ? " rows" : " taps"), std::string::npos)
              << description;
          ++tested;
        }
  EXPECT_GT(tested, 150);
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(GroupedConv);

}  // namespace
}  // namespace svertka::test
