// An algorithm instance: one way to compute a Problem, its weights already packed, and the
// ordered list of implementations that plans choose from (oneDNN's pattern).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "cpu_features.hpp"
#include "kernels/contract.hpp"
#include "problem.hpp"
#include "runtime/tuning.hpp"

namespace svertka {

// What a plan runs with: resolved once at plan creation.
struct Context {
  Isa isa = Isa::reference;
  const KernelTable* kernels = nullptr;  // nullptr under Isa::reference
  int threads = 1;
  Tuning tuning;  // from the tuning database; empty: the model decides
};

// The context the environment asks for: SVERTKA_ISA (capped by the CPU) and SVERTKA_NUM_THREADS.
// Throws std::invalid_argument for a value that is not understood.
Context configured_context();

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  // dst is fully overwritten. Safe to call from several threads at once.
  virtual void execute(const float* src, float* dst) const = 0;
  // "<algorithm> <isa> [blocking]", the part of Plan::describe() after the op.
  virtual std::string describe() const = 0;
};

struct Implementation {
  std::string_view name;  // what SVERTKA_ALGO and describe() call it
  // Why the implementation cannot compute the problem; empty when it can.
  std::string (*why_not)(const Problem& problem, const Context& context);
  // Estimated cycles of one execution on one core (the cost model, src/algorithms/cost.hpp):
  // among the implementations that apply, the cheapest runs.
  double (*cost)(const Problem& problem, const Context& context);
  std::unique_ptr<Algorithm> (*create)(const Problem& problem, const Context& context,
                                       const float* weights, const float* bias);
};

// Why a fast algorithm should leave the problem to the reference: geometry no network has
// (strides, dilations, padding or filters so large that buffers sized by them explode).
// Empty when the problem is ordinary.
std::string beyond_fast_paths(const Problem& problem);

// In order of preference at equal cost; the reference is last and always applies.
std::span<const Implementation> implementations();

}  // namespace svertka
