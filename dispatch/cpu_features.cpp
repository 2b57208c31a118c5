// CPUID and XGETBV by hand, in baseline x86-64 code: xsimd 8.1's detection trusts CPUID alone,
// and a CPU can report AVX-512 that the OS has not enabled (Intel SDM vol. 1, 15.2 and 13.3).
#include "cpu_features.hpp"

#include <cpuid.h>

#include <cstdint>

namespace svertka {
namespace {

bool bit(unsigned reg, int n) { return (reg >> n) & 1u; }

uint64_t xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));  // no -mxsave needed for asm
  return (uint64_t{edx} << 32) | eax;
}

Isa detect() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return Isa::reference;
  const bool osxsave = bit(ecx, 27), avx = bit(ecx, 28), fma = bit(ecx, 12);
  if (!osxsave || !avx || !fma) return Isa::reference;
  const uint64_t xcr = xcr0();
  const bool ymm_state = (xcr & 0x6) == 0x6;     // SSE and AVX state
  const bool zmm_state = (xcr & 0xE0) == 0xE0;   // opmask, ZMM_Hi256, Hi16_ZMM
  if (!ymm_state || !__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return Isa::reference;
  const bool avx2 = bit(ebx, 5), avx512f = bit(ebx, 16);
  if (!avx2) return Isa::reference;
  return avx512f && zmm_state ? Isa::avx512 : Isa::avx2;
}

}  // namespace

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

const char* to_string(Isa isa) {
  switch (isa) {
    case Isa::avx512: return "avx512";
    case Isa::avx2: return "avx2";
    case Isa::reference: break;
  }
  return "reference";
}

}  // namespace svertka
