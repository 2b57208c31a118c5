// Vectors holding BCAST interleaved groups (the grouped kernels of contract.hpp): the lane
// orders, the broadcast of one A step, the permutation between lanes and columns.
#pragma once

#include <cstdint>
#include <cstring>

#include <xsimd/xsimd.hpp>

namespace svertka::kernels {

// Lane l of a vector holding BCAST interleaved groups computes column (l mod BCAST)·(L/BCAST) +
// l/BCAST: the lane order of the B panel. Lanes(l) is that column; Columns(c) the lane of column c.
template <int BCAST>
struct Lanes {
  static constexpr unsigned get(unsigned l, unsigned n) { return l % BCAST * (n / BCAST) + l / BCAST; }
};
template <int BCAST>
struct Columns {
  static constexpr unsigned get(unsigned c, unsigned n) { return c % (n / BCAST) * BCAST + c / (n / BCAST); }
};

// One A element broadcast: a float, or BCAST consecutive floats repeated across the vector.
template <class V, int BCAST>
V broadcast(const float* a) {
  if constexpr (BCAST == 1) {
    return V(*a);
  } else {
    static_assert(BCAST == 2, "pairs are one 64-bit broadcast; wider groups have no kernel");
    double pair;
    std::memcpy(&pair, a, sizeof pair);
    return xsimd::bitwise_cast<V>(xsimd::batch<double, typename V::arch_type>(pair));
  }
}

// Between the lane order of the registers and the column order of C (identity for BCAST = 1).
// GCC 12 takes the "undefined" pass-through operand of _mm512_permutexvar_ps for uninitialised.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
template <int BCAST, template <int> class Order, class V>
V reorder(const V& v) {
  if constexpr (BCAST == 1) {
    return v;
  } else {
    using I = xsimd::batch<uint32_t, typename V::arch_type>;
    return xsimd::swizzle(v, xsimd::make_batch_constant<I, Order<BCAST>>());
  }
}
#pragma GCC diagnostic pop

}  // namespace svertka::kernels
