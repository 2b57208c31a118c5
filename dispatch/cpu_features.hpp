// What instruction sets this CPU runs and the OS has enabled, detected once.
#pragma once

namespace svertka {

// Ordered: each ISA includes the ones before it.
enum class Isa { reference = 0, avx2 = 1, avx512 = 2 };

// The best ISA that both the CPU reports (CPUID) and the OS saves on context switches
// (XGETBV: YMM state for AVX2, opmask and ZMM state for AVX-512).
Isa detected_isa();

const char* to_string(Isa isa);

}  // namespace svertka
