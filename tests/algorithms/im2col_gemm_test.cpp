// im2col-GEMM against the reference over shapes that hit every tail, forced with
// SVERTKA_ALGO=im2col_gemm under each ISA the CPU runs, on one and two threads.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "runtime/threads.hpp"
#include "support/forced_algorithm.hpp"
#include "support/shapes.hpp"

namespace svertka::test {
namespace {

class Im2colGemm : public ForcedAlgorithm {};

TEST_P(Im2colGemm, MatchesReferenceOnTailShapes) {
  const ScopedEnv scoped = force("im2col_gemm");
  std::mt19937 rng(1);
  for (const ConvParams& p : tail_shapes(Op::conv2d)) {
    std::string description;
    EXPECT_TRUE(matches_reference(Op::conv2d, p, rng, &description));
    EXPECT_NE(description.find("im2col_gemm " + isa()), std::string::npos) << description;
  }
}

TEST_P(Im2colGemm, MatchesReferenceOnARandomSweep) {
  const ScopedEnv scoped = force("im2col_gemm");
  std::mt19937 rng(2);
  for (const ConvParams& p : random_shapes(Op::conv2d, 150, 23)) {
    EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
  }
}

// Shapes big enough for several cache blocks of every loop: reduction over kc, pixels over
// the pixel block, output channels over the channel split.
TEST_P(Im2colGemm, MatchesReferenceAcrossCacheBlocks) {
  const ScopedEnv scoped = force("im2col_gemm");
  std::mt19937 rng(3);
  for (Layout layout : {Layout::nchw, Layout::nhwc}) {
    ConvParams p;
    p.in_channels = 70;
    p.out_channels = 45;
    p.in_height = 48;
    p.in_width = 41;
    p.kernel_h = p.kernel_w = 3;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    p.layout = layout;
    EXPECT_TRUE(matches_reference(Op::conv2d, p, rng));
  }
}

// NCHW pointwise layers read the input's channel rows in place: pixels not a whole number of
// B panels (the last ones from a packed tail), several reduction blocks, groups, a batch.
TEST_P(Im2colGemm, MatchesReferenceReadingNchwPointwiseRowsInPlace) {
  const ScopedEnv scoped = force("im2col_gemm");
  std::mt19937 rng(5);
  struct B {
    int64_t c, k, h, w, groups;
  };
  for (const B& b :
       {B{16, 42, 7, 9, 1}, B{520, 42, 11, 14, 1}, B{64, 84, 5, 5, 2}, B{8, 42, 1, 30, 1}}) {
    const ConvParams p{.batch = 2,
                       .in_channels = b.c,
                       .in_height = b.h,
                       .in_width = b.w,
                       .out_channels = b.k,
                       .groups = b.groups,
                       .layout = Layout::nchw};
    std::string description;
    EXPECT_TRUE(matches_reference(Op::conv2d, p, rng, &description));
    EXPECT_NE(description.find("input rows in place"), std::string::npos) << description;
  }
}

// The unfolded input is packed panel by panel: a thread's task workspace is bounded by the
// cache blocks, whatever the image (here 512x512, 8 MiB of input), under 2 MiB. On a fresh
// thread, which runs the tasks itself at one thread, so that the buffer starts empty.
TEST_P(Im2colGemm, TaskWorkspaceStaysUnder2MiBWhateverTheImageSize) {
  if (std::get<1>(GetParam()) != 1) GTEST_SKIP() << "on two threads the tasks run in the arena";
  const ScopedEnv scoped = force("im2col_gemm");
  for (Layout layout : {Layout::nhwc, Layout::nchw}) {
    ConvParams p;
    p.in_channels = p.out_channels = 8;
    p.in_height = p.in_width = 512;
    p.kernel_h = p.kernel_w = 3;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    p.layout = layout;
    const BufferSizes s = buffer_sizes(Op::conv2d, p);
    const std::vector<float> src(s.src, 1.0f), w(s.weights, 0.5f);
    std::vector<float> dst(s.dst);
    int64_t floats = 0;
    std::thread([&] {
      Plan(Op::conv2d, p, w).execute(src, dst);
      floats = thread_workspace_floats();
    }).join();
    EXPECT_GT(floats, 0) << "the tasks did not pack on the calling thread";
    EXPECT_LE(floats * int64_t{sizeof(float)}, int64_t{2} << 20);
    const std::size_t centre = 256 * 512 + 256;  // pixel (256, 256), channel 0
    EXPECT_EQ(dst[layout == Layout::nhwc ? centre * 8 : centre], 8 * 9 * 0.5f);
  }
}

SVERTKA_INSTANTIATE_FOR_ISAS_AND_THREADS(Im2colGemm);

TEST(IsaSelection, Avx2CapRunsAvx2KernelsOnAnAvx512Machine) {
  if (!cpu_runs("avx2")) GTEST_SKIP() << "no AVX2";
  const ScopedEnv scoped{{"SVERTKA_ISA", "avx2"}, {"SVERTKA_ALGO", ""}};
  ConvParams p;
  p.in_channels = p.out_channels = 16;
  p.in_height = p.in_width = 8;
  const Plan plan(Op::conv2d, p, std::vector<float>(16 * 16));
  EXPECT_NE(plan.describe().find(" avx2 "), std::string::npos) << plan.describe();
  EXPECT_EQ(plan.describe().find("avx512"), std::string::npos) << plan.describe();
}

TEST(IsaSelection, ReferenceCapRunsTheReference) {
  const ScopedEnv scoped{{"SVERTKA_ISA", "reference"}, {"SVERTKA_ALGO", ""}};
  ConvParams p;
  const Plan plan(Op::conv2d, p, std::vector<float>(1));
  EXPECT_EQ(plan.describe(), "conv2d reference reference");
}

TEST(IsaSelection, UnknownIsaIsAClearErrorAtPlanCreation) {
  const ScopedEnv scoped{{"SVERTKA_ISA", "sse9"}};
  ConvParams p;
  try {
    Plan(Op::conv2d, p, std::vector<float>(1));
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("SVERTKA_ISA=sse9"), std::string::npos) << e.what();
  }
}

TEST(IsaSelection, BadThreadCountIsAClearErrorAtPlanCreation) {
  for (const char* bad : {"0", "-1", "two", "3x"}) {
    const ScopedEnv scoped{{"SVERTKA_NUM_THREADS", bad}};
    ConvParams p;
    try {
      Plan(Op::conv2d, p, std::vector<float>(1));
      ADD_FAILURE() << bad << ": no error";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("SVERTKA_NUM_THREADS"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace svertka::test
