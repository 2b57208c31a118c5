// Every validation rule of the C contract (shared/C_API.md): SVK_INVALID_ARGUMENT, a message
// naming the field, and nothing written. Links the shared library, so it also checks exports.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "api/c_calls.h"
#include "svertka/svertka.h"

namespace {

constexpr float kCanary = -12345.5f;
constexpr int64_t kHuge = std::numeric_limits<int64_t>::max();

svk_conv_params valid_params() {
  svk_conv_params p{};
  p.batch = 2;
  p.in_channels = 4;
  p.in_height = 6;
  p.in_width = 5;
  p.out_channels = 6;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = 1;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  p.dilation_h = p.dilation_w = 1;
  p.groups = 2;
  p.layout = SVK_NCHW;
  return p;
}

struct Case {
  const char* field;  // the message must name it
  svk_op op;
  std::function<void(svk_conv_params&)> mutate;
};

std::vector<Case> invalid_cases() {
  std::vector<Case> cases;
  for (svk_op op : {SVK_CONV2D, SVK_CONV_TRANSPOSE2D}) {
    auto add = [&](const char* field, std::function<void(svk_conv_params&)> m) {
      cases.push_back({field, op, std::move(m)});
    };
    add("batch", [](auto& p) { p.batch = 0; });
    add("batch", [](auto& p) { p.batch = -1; });
    add("in_channels", [](auto& p) { p.in_channels = 0; });
    add("in_height", [](auto& p) { p.in_height = 0; });
    add("in_width", [](auto& p) { p.in_width = -3; });
    add("out_channels", [](auto& p) { p.out_channels = 0; });
    add("kernel_h", [](auto& p) { p.kernel_h = 0; });
    add("kernel_w", [](auto& p) { p.kernel_w = -1; });
    add("stride_h", [](auto& p) { p.stride_h = 0; });
    add("stride_w", [](auto& p) { p.stride_w = -2; });
    add("pad_top", [](auto& p) { p.pad_top = -1; });
    add("pad_bottom", [](auto& p) { p.pad_bottom = -1; });
    add("pad_left", [](auto& p) { p.pad_left = -1; });
    add("pad_right", [](auto& p) { p.pad_right = -1; });
    add("dilation_h", [](auto& p) { p.dilation_h = 0; });
    add("dilation_w", [](auto& p) { p.dilation_w = -1; });
    add("groups", [](auto& p) { p.groups = 0; });
    add("groups", [](auto& p) { p.groups = 3; });  // 4 in_channels
    add("out_channels", [](auto& p) { p.out_channels = 5; });  // 2 groups
    add("layout", [](auto& p) { set_layout(&p, 2); });
    add("layout", [](auto& p) { set_layout(&p, -1); });
    add("output_padding_h", [](auto& p) { p.output_padding_h = -1; });
    add("output_padding_w", [](auto& p) { p.output_padding_w = 1; });  // conv, or >= stride 1
    add("in_height", [](auto& p) { p.in_height = kHuge; });           // overflow
    add("dilation_h", [](auto& p) { p.dilation_h = kHuge / 2; });     // overflow
    add("batch", [](auto& p) { p.batch = int64_t{1} << 40; p.in_channels = int64_t{1} << 30; });
    add("weights", [](auto& p) {
      p.in_channels = p.out_channels = p.groups = int64_t{1} << 20;
      p.kernel_h = p.kernel_w = int64_t{1} << 21;
      p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = int64_t{1} << 20;
    });
  }
  // conv2d only: a kernel larger than the padded input leaves no output.
  cases.push_back({"kernel_h", SVK_CONV2D, [](auto& p) { p.kernel_h = 9; }});
  cases.push_back({"dilation_w", SVK_CONV2D, [](auto& p) { p.dilation_w = 4; }});
  cases.push_back({"output_padding_h", SVK_CONV2D, [](auto& p) { p.output_padding_h = 1; }});
  // conv_transpose2d only: output padding below max(stride, dilation); padding crops all.
  cases.push_back({"output_padding_h", SVK_CONV_TRANSPOSE2D, [](auto& p) {
                     p.stride_h = 2;
                     p.dilation_h = 3;
                     p.output_padding_h = 3;
                   }});
  cases.push_back({"output_padding_w", SVK_CONV_TRANSPOSE2D, [](auto& p) {
                     p.stride_w = 2;
                     p.output_padding_w = 2;
                   }});
  cases.push_back({"pad_top", SVK_CONV_TRANSPOSE2D, [](auto& p) {
                     p.in_height = 1;
                     p.kernel_h = 1;
                     p.pad_bottom = 0;
                   }});
  cases.push_back({"pad_left", SVK_CONV_TRANSPOSE2D, [](auto& p) {
                     p.in_width = 2;
                     p.pad_left = p.pad_right = 2;
                   }});
  return cases;
}

std::string describe(const Case& c) {
  return std::string(c.op == SVK_CONV2D ? "conv2d " : "conv_transpose2d ") + c.field;
}

void expect_error_naming(svk_status status, const char* field, const std::string& context) {
  EXPECT_EQ(status, SVK_INVALID_ARGUMENT) << context;
  const std::string message = svk_last_error();
  EXPECT_NE(message.find(field), std::string::npos)
      << context << ": message \"" << message << "\" does not name " << field;
}

bool untouched(const std::vector<float>& buffer) {
  for (float v : buffer) {
    if (std::memcmp(&v, &kCanary, sizeof v) != 0) return false;
  }
  return true;
}

TEST(CApiValidation, EveryRuleRejectsNamesTheFieldAndWritesNothing) {
  const std::vector<float> src(4096, 1.0f), weights(4096, 1.0f), bias(64, 1.0f);
  for (const Case& c : invalid_cases()) {
    svk_conv_params p = valid_params();
    c.mutate(p);
    const std::string context = describe(c);

    int64_t h = -7, w = -7;
    expect_error_naming(svk_output_size(c.op, &p, &h, &w), c.field, context + " output_size");
    EXPECT_EQ(h, -7);
    EXPECT_EQ(w, -7);

    std::vector<float> dst(4096, kCanary);
    auto one_shot = c.op == SVK_CONV2D ? svk_conv2d : svk_conv_transpose2d;
    expect_error_naming(one_shot(&p, src.data(), weights.data(), bias.data(), dst.data()),
                        c.field, context + " one-shot");
    expect_error_naming(one_shot(&p, src.data(), weights.data(), nullptr, dst.data()), c.field,
                        context + " one-shot without bias");
    EXPECT_TRUE(untouched(dst)) << context;

    svk_plan* plan = reinterpret_cast<svk_plan*>(&dst);  // must be reset to NULL
    expect_error_naming(svk_plan_create(&plan, c.op, &p, weights.data(), bias.data()), c.field,
                        context + " plan_create");
    EXPECT_EQ(plan, nullptr) << context;
  }
}

TEST(CApiValidation, InvalidOpIsRejectedByEveryEntryPointTakingOne) {
  const svk_conv_params p = valid_params();
  for (int bad : {2, -1, 1000}) {
    int64_t h = -7, w = -7;
    expect_error_naming(call_output_size(bad, &p, &h, &w), "op", "output_size");
    EXPECT_EQ(h, -7);
    const std::vector<float> weights(4096, 1.0f);
    svk_plan* plan = nullptr;
    expect_error_naming(call_plan_create(&plan, bad, &p, weights.data()), "op", "create");
    EXPECT_EQ(plan, nullptr);
  }
}

TEST(CApiValidation, NullPointersAreRejectedBiasExcepted) {
  const svk_conv_params p = valid_params();
  const std::vector<float> src(4096, 1.0f), weights(4096, 1.0f);
  std::vector<float> dst(4096, kCanary);
  for (auto call : {svk_conv2d, svk_conv_transpose2d}) {
    expect_error_naming(call(nullptr, src.data(), weights.data(), nullptr, dst.data()), "p", "p");
    expect_error_naming(call(&p, nullptr, weights.data(), nullptr, dst.data()), "src", "src");
    expect_error_naming(call(&p, src.data(), nullptr, nullptr, dst.data()), "weights", "weights");
    expect_error_naming(call(&p, src.data(), weights.data(), nullptr, nullptr), "dst", "dst");
  }
  EXPECT_TRUE(untouched(dst));
  int64_t h = 0;
  expect_error_naming(svk_output_size(SVK_CONV2D, &p, &h, nullptr), "out_w", "out_w");
  expect_error_naming(svk_output_size(SVK_CONV2D, &p, nullptr, &h), "out_h", "out_h");
  expect_error_naming(svk_output_size(SVK_CONV2D, nullptr, &h, &h), "p", "output_size p");

  expect_error_naming(svk_plan_create(nullptr, SVK_CONV2D, &p, weights.data(), nullptr), "plan",
                      "plan_create plan");
  svk_plan* plan = nullptr;
  expect_error_naming(svk_plan_create(&plan, SVK_CONV2D, &p, nullptr, nullptr), "weights",
                      "plan_create weights");
  EXPECT_EQ(plan, nullptr);
  expect_error_naming(svk_plan_create(&plan, SVK_CONV2D, nullptr, weights.data(), nullptr), "p",
                      "plan_create p");
  ASSERT_EQ(svk_plan_create(&plan, SVK_CONV2D, &p, weights.data(), nullptr), SVK_OK);
  expect_error_naming(svk_plan_execute(nullptr, src.data(), dst.data()), "plan", "execute plan");
  expect_error_naming(svk_plan_execute(plan, nullptr, dst.data()), "src", "execute src");
  expect_error_naming(svk_plan_execute(plan, src.data(), nullptr), "dst", "execute dst");
  EXPECT_TRUE(untouched(dst));
  EXPECT_STREQ(svk_plan_describe(nullptr), "");
  svk_plan_destroy(plan);
  svk_plan_destroy(nullptr);
}

TEST(CApiValidation, UpsampleBilinearRejectsBadArguments) {
  const std::vector<float> src(4096, 1.0f);
  std::vector<float> dst(4096, kCanary);
  const int bad_layout = 3;
  struct Bad {
    const char* field;
    int64_t batch, channels, height, width, factor;
    int layout;
  };
  for (const Bad& b : {Bad{"factor", 1, 2, 4, 4, 0, SVK_NCHW}, Bad{"factor", 1, 2, 4, 4, -2, SVK_NHWC},
                       Bad{"batch", 0, 2, 4, 4, 2, SVK_NCHW}, Bad{"channels", 1, -1, 4, 4, 2, SVK_NCHW},
                       Bad{"height", 1, 2, 0, 4, 2, SVK_NCHW}, Bad{"width", 1, 2, 4, 0, 2, SVK_NCHW},
                       Bad{"layout", 1, 2, 4, 4, 2, bad_layout},
                       Bad{"factor", 1, 2, 4, 4, kHuge, SVK_NCHW},
                       Bad{"height", 1, 1, kHuge / 2, 4, 4, SVK_NCHW}}) {
    expect_error_naming(call_upsample_bilinear(src.data(), b.batch, b.channels, b.height,
                                               b.width, b.factor, b.layout, dst.data()),
                        b.field, b.field);
  }
  expect_error_naming(svk_upsample_bilinear(nullptr, 1, 1, 2, 2, 2, SVK_NCHW, dst.data()), "src",
                      "src");
  expect_error_naming(svk_upsample_bilinear(src.data(), 1, 1, 2, 2, 2, SVK_NCHW, nullptr), "dst",
                      "dst");
  EXPECT_TRUE(untouched(dst));
}

TEST(CApi, OutputSizeOfTheSeminarsExample) {
  svk_conv_params p = valid_params();
  p.in_height = p.in_width = 4;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 0;
  int64_t h = 0, w = 0;
  ASSERT_EQ(svk_output_size(SVK_CONV2D, &p, &h, &w), SVK_OK);
  EXPECT_EQ(h, 2);
  EXPECT_EQ(w, 2);
  p.in_height = p.in_width = 2;
  ASSERT_EQ(svk_output_size(SVK_CONV_TRANSPOSE2D, &p, &h, &w), SVK_OK);
  EXPECT_EQ(h, 4);
  EXPECT_EQ(w, 4);
}

// A plan and the one-shot call give the same bits, through the C interface.
TEST(CApi, PlanMatchesOneShot) {
  for (svk_op op : {SVK_CONV2D, SVK_CONV_TRANSPOSE2D}) {
    svk_conv_params p = valid_params();
    p.layout = SVK_NHWC;
    int64_t oh = 0, ow = 0;
    ASSERT_EQ(svk_output_size(op, &p, &oh, &ow), SVK_OK);
    const int64_t in_c = p.in_channels, out_c = p.out_channels;
    std::vector<float> src(p.batch * in_c * p.in_height * p.in_width);
    std::vector<float> weights(in_c * out_c / p.groups * 9), bias(out_c);
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = std::sin(float(i));
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = std::cos(float(i));
    for (std::size_t i = 0; i < bias.size(); ++i) bias[i] = float(i);
    std::vector<float> once(p.batch * out_c * oh * ow, kCanary), planned(once.size(), kCanary);
    auto one_shot = op == SVK_CONV2D ? svk_conv2d : svk_conv_transpose2d;
    ASSERT_EQ(one_shot(&p, src.data(), weights.data(), bias.data(), once.data()), SVK_OK);
    svk_plan* plan = nullptr;
    ASSERT_EQ(svk_plan_create(&plan, op, &p, weights.data(), bias.data()), SVK_OK);
    ASSERT_NE(plan, nullptr);
    EXPECT_NE(std::string(svk_plan_describe(plan)).find(op == SVK_CONV2D ? "conv2d" : "conv_t"),
              std::string::npos);
    ASSERT_EQ(svk_plan_execute(plan, src.data(), planned.data()), SVK_OK);
    svk_plan_destroy(plan);
    EXPECT_EQ(once, planned);
    EXPECT_FALSE(untouched(once));
  }
}

}  // namespace
