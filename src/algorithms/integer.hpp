// Integer division that rounds up or down also for negative numerators (offsets left of an
// image), and rounding up to a multiple.
#pragma once

#include <cstdint>

namespace svertka {

inline int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -(-a / b); }
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -ceil_div(-a, b); }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

}  // namespace svertka
