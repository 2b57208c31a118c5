// Test support: random data, layout transposes written independently of the library, and a
// comparison whose tolerance scales with the sum of |terms| of each output.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "svertka/svertka.hpp"

namespace svertka::test {

inline std::vector<float> random_floats(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

inline std::vector<float> absolute(std::span<const float> v) {
  std::vector<float> a(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(v[i]);
  return a;
}

// NCHW <-> NHWC with plain index arithmetic (not the library's TensorDesc).
inline std::vector<float> nchw_to_nhwc(std::span<const float> x, int64_t n, int64_t c, int64_t h,
                                       int64_t w) {
  std::vector<float> y(x.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int64_t k = 0; k < h * w; ++k) y[(i * h * w + k) * c + j] = x[(i * c + j) * h * w + k];
  return y;
}
inline std::vector<float> nhwc_to_nchw(std::span<const float> x, int64_t n, int64_t c, int64_t h,
                                       int64_t w) {
  std::vector<float> y(x.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      for (int64_t k = 0; k < h * w; ++k) y[(i * c + j) * h * w + k] = x[(i * h * w + k) * c + j];
  return y;
}

// got[i] must equal want[i] within rel·magnitude[i], where magnitude[i] is the sum of |terms|
// that make output i (the operation applied to |src|, |weights|, |bias|). A zero magnitude
// means the output has no terms: it must match exactly.
inline ::testing::AssertionResult close(std::span<const float> want, std::span<const float> got,
                                        std::span<const float> magnitude, double rel = 1e-5) {
  if (want.size() != got.size() || want.size() != magnitude.size()) {
    return ::testing::AssertionFailure() << "sizes differ: " << want.size() << " vs " << got.size();
  }
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double err = std::fabs(double(want[i]) - got[i]);
    if (!(err <= rel * magnitude[i])) {  // also catches NaN
      return ::testing::AssertionFailure()
             << "element " << i << ": want " << want[i] << ", got " << got[i] << " (error " << err
             << ", bound " << rel * magnitude[i] << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace svertka::test
