// svertka-explain: the seminar's formulations side by side for one small shape. Prints the
// filter matrix C, its transpose, the im2col matrix and, for a transposed convolution, the
// zero-inserted padded input, and checks that each product equals the sliding-window result.
//   svertka-explain                       4x4 input, 3x3 filter, VALID (the seminar)
//   svertka-explain --transposed --input 2x2 --stride 2 --pad 1
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "problem.hpp"
#include "reference/reference.hpp"

namespace svertka {
namespace {

// Dense print of a rows x cols matrix; '.' marks an entry that is not stored (a structural
// zero of the sparse C) or, with dots_for_zero, an inserted zero.
template <class At>
void print_matrix(const char* title, int64_t rows, int64_t cols, At at) {
  std::printf("%s (%lld x %lld)\n", title, static_cast<long long>(rows),
              static_cast<long long>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    std::printf("  ");
    for (int64_t c = 0; c < cols; ++c) {
      const auto v = at(r, c);
      if (v) {
        std::printf("%5g", double(*v));
      } else {
        std::printf("%5s", ".");
      }
    }
    std::printf("\n");
  }
  std::printf("\n");
}

void print_image(const char* title, const float* x, int64_t h, int64_t w) {
  print_matrix(title, h, w, [&](int64_t r, int64_t c) { return std::optional(x[r * w + c]); });
}

std::vector<std::optional<float>> dense(const reference::SparseMatrix& m) {
  std::vector<std::optional<float>> d(m.rows * m.cols);
  for (int64_t i = 0; i < m.rows; ++i)
    for (int64_t e = m.row_start[i]; e < m.row_start[i + 1]; ++e) d[i * m.cols + m.col[e]] = m.value[e];
  return d;
}

void check(const char* what, const std::vector<float>& got, const std::vector<float>& want,
           const char* oracle) {
  float diff = 0;
  for (std::size_t i = 0; i < want.size(); ++i) diff = std::max(diff, std::fabs(got[i] - want[i]));
  std::printf("check: %s equals the %s: %s (max |difference| %g)\n\n", what, oracle,
              diff == 0 ? "yes" : "NO", double(diff));
}

int explain(const Problem& pr) {
  const ConvParams& p = pr.p;
  std::vector<float> x(p.in_height * p.in_width), f(p.kernel_h * p.kernel_w);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i + 1);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = float(i + 1);
  std::printf("%s of a %lldx%lld input with a %lldx%lld filter: stride %lldx%lld, padding "
              "%lld,%lld,%lld,%lld (top,bottom,left,right), dilation %lldx%lld -> %lldx%lld output\n"
              "  %s\n\n",
              to_string(pr.op), (long long)p.in_height, (long long)p.in_width,
              (long long)p.kernel_h, (long long)p.kernel_w, (long long)p.stride_h,
              (long long)p.stride_w, (long long)p.pad_top, (long long)p.pad_bottom,
              (long long)p.pad_left, (long long)p.pad_right, (long long)p.dilation_h,
              (long long)p.dilation_w, (long long)pr.out_h, (long long)pr.out_w,
              to_string(pr).c_str());
  print_image("input X", x.data(), p.in_height, p.in_width);
  print_image("filter F", f.data(), p.kernel_h, p.kernel_w);

  std::vector<float> y(pr.out_h * pr.out_w), z(y.size());
  const bool forward = pr.op == Op::conv2d;
  // C is the forward convolution's matrix; a transposed convolution multiplies by its transpose.
  const Problem conv = forward ? pr : reference::forward_problem(pr);
  const reference::SparseMatrix c = reference::filter_matrix(conv, f.data());
  const auto cd = dense(c);
  if (forward) {
    reference::conv2d_sliding_window(pr, x.data(), f.data(), nullptr, y.data());
    print_image("1. sliding window: Y", y.data(), pr.out_h, pr.out_w);
  } else {
    reference::conv_transpose2d_scatter(pr, x.data(), f.data(), nullptr, y.data());
    print_image("6. scatter (each input adds itself times F into the output): Y", y.data(),
                pr.out_h, pr.out_w);
  }

  std::printf("2. C, the filter matrix of the convolution%s (row = output, column = input)\n",
              forward ? "" : " from Y's size back to X's");
  print_matrix("   C", c.rows, c.cols, [&](int64_t r, int64_t k) { return cd[r * c.cols + k]; });
  print_matrix(forward ? "   C^T (the transposed convolution of the same parameters)"
                       : "4. C^T: Y = C^T vec(X)",
               c.cols, c.rows, [&](int64_t r, int64_t k) { return cd[k * c.cols + r]; });
  if (forward) {
    reference::multiply(c, x.data(), z.data());
    check("C vec(X)", z, y, "sliding window");

    const reference::Matrix cols = reference::im2col(pr, x.data(), 0, 0);
    print_matrix("3. im2col X' (row = filter tap, column = window); Y = F X'", cols.rows,
                 cols.cols, [&](int64_t r, int64_t k) { return std::optional(cols.at(r, k)); });
    reference::conv2d_im2col_gemm(pr, x.data(), f.data(), nullptr, z.data());
    check("F X'", z, y, "sliding window");
    return 0;
  }
  reference::multiply_transposed(c, x.data(), z.data());
  check("C^T vec(X)", z, y, "scatter");

  const reference::ZeroInserted zi = reference::zero_insertion(pr, x.data(), f.data());
  const int64_t zh = zi.conv.p.in_height, zw = zi.conv.p.in_width;
  print_matrix("5. X with stride-1 zeros inserted and padded by dilation*(kernel-1)-pad "
               "(cropped where negative); '.' = inserted or padding zero",
               zh, zw, [&](int64_t r, int64_t k) {
                 const float v = zi.src[r * zw + k];
                 return v != 0 ? std::optional(v) : std::nullopt;
               });
  print_image("   the flipped filter", zi.weights.data(), p.kernel_h, p.kernel_w);
  reference::conv_transpose2d_zero_insertion(pr, x.data(), f.data(), nullptr, z.data());
  check("the stride-1 convolution of the zero-inserted input", z, y, "scatter");
  return 0;
}

}  // namespace
}  // namespace svertka

int main(int argc, char** argv) {
  CLI::App app{"svertka-explain: convolution as sliding window, C·X, im2col + GEMM; transposed "
               "convolution as C^T·X, zero insertion, scatter"};
  bool transposed = false;
  std::string input = "4x4", kernel = "3x3";
  int64_t stride = 1, pad = 0, dilation = 1, output_padding = 0;
  app.add_flag("-t,--transposed", transposed, "transposed convolution instead of convolution");
  app.add_option("-i,--input", input, "input size HxW")->capture_default_str();
  app.add_option("-k,--kernel", kernel, "filter size RxS")->capture_default_str();
  app.add_option("-s,--stride", stride)->capture_default_str();
  app.add_option("-p,--pad", pad, "zero padding on every side")->capture_default_str();
  app.add_option("-d,--dilation", dilation)->capture_default_str();
  app.add_option("-o,--output-padding", output_padding, "transposed only")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto size = [](const std::string& s, int64_t& h, int64_t& w) {
    return std::sscanf(s.c_str(), "%ldx%ld", &h, &w) == 2 && h > 0 && w > 0 && h * w <= 400;
  };
  svertka::ConvParams p;
  if (!size(input, p.in_height, p.in_width) || !size(kernel, p.kernel_h, p.kernel_w)) {
    std::fprintf(stderr, "sizes are HxW, small enough to print (at most 400 elements)\n");
    return 2;
  }
  p.stride_h = p.stride_w = stride;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = pad;
  p.dilation_h = p.dilation_w = dilation;
  p.output_padding_h = p.output_padding_w = output_padding;
  try {
    return svertka::explain(svertka::make_problem(
        transposed ? svertka::Op::conv_transpose2d : svertka::Op::conv2d, p));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
