// Formulations 2 and 4: convolution as Y = C·X with the sparse filter matrix C, and the
// transposed convolution as Y = Cᵀ·X with the same C.
#include <algorithm>

#include "reference.hpp"

namespace svertka::reference {

SparseMatrix filter_matrix(const Problem& conv, const float* weights) {
  const ConvParams& p = conv.p;
  const TensorDesc in = conv.src(), out = conv.dst();
  const int64_t cg = conv.in_per_group(), kg = conv.out_per_group();
  // Entries per row first (rows are dst offsets, in whatever order the layout gives them).
  std::vector<std::vector<std::pair<int64_t, float>>> rows(out.size());
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t k = 0; k < p.out_channels; ++k)
      for (int64_t oy = 0; oy < conv.out_h; ++oy)
        for (int64_t ox = 0; ox < conv.out_w; ++ox) {
          auto& row = rows[out.offset(n, k, oy, ox)];
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t r = 0; r < p.kernel_h; ++r)
              for (int64_t s = 0; s < p.kernel_w; ++s) {
                const int64_t iy = oy * p.stride_h - p.pad_top + r * p.dilation_h;
                const int64_t ix = ox * p.stride_w - p.pad_left + s * p.dilation_w;
                if (iy < 0 || iy >= p.in_height || ix < 0 || ix >= p.in_width) continue;
                row.emplace_back(in.offset(n, k / kg * cg + c, iy, ix),
                                 weights[((k * cg + c) * p.kernel_h + r) * p.kernel_w + s]);
              }
          std::sort(row.begin(), row.end());
        }
  SparseMatrix m{out.size(), in.size(), {0}, {}, {}};
  for (const auto& row : rows) {
    for (const auto& [col, value] : row) {
      m.col.push_back(col);
      m.value.push_back(value);
    }
    m.row_start.push_back(static_cast<int64_t>(m.col.size()));
  }
  return m;
}

void multiply(const SparseMatrix& c, const float* x, float* y) {
  for (int64_t i = 0; i < c.rows; ++i) {
    float sum = 0.0f;
    for (int64_t e = c.row_start[i]; e < c.row_start[i + 1]; ++e) sum += c.value[e] * x[c.col[e]];
    y[i] = sum;
  }
}

void multiply_transposed(const SparseMatrix& c, const float* x, float* y) {
  std::fill(y, y + c.cols, 0.0f);
  for (int64_t i = 0; i < c.rows; ++i)
    for (int64_t e = c.row_start[i]; e < c.row_start[i + 1]; ++e) y[c.col[e]] += c.value[e] * x[i];
}

void conv2d_filter_matrix(const Problem& conv, const float* src, const float* weights,
                          const float* bias, float* dst) {
  multiply(filter_matrix(conv, weights), src, dst);
  add_bias(conv.dst(), bias, dst);
}

Problem forward_problem(const Problem& t) {
  Problem f = t;
  f.op = Op::conv2d;
  std::swap(f.p.in_channels, f.p.out_channels);
  f.p.in_height = t.out_h;
  f.p.in_width = t.out_w;
  f.p.output_padding_h = f.p.output_padding_w = 0;
  // Output padding can make the forward output longer than t's input (when it exceeds the
  // stride); only the first in_height rows are the adjoint of t, so the size is set, not derived.
  f.out_h = t.p.in_height;
  f.out_w = t.p.in_width;
  return f;
}

void conv_transpose2d_filter_matrix(const Problem& t, const float* src, const float* weights,
                                    const float* bias, float* dst) {
  multiply_transposed(filter_matrix(forward_problem(t), weights), src, dst);
  add_bias(t.dst(), bias, dst);
}

}  // namespace svertka::reference
