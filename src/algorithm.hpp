// An algorithm instance: one way to compute a Problem, its weights already packed, and the
// ordered list of implementations that plans choose from (oneDNN's pattern).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "problem.hpp"

namespace svertka {

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
  std::string (*why_not)(const Problem& problem);
  std::unique_ptr<Algorithm> (*create)(const Problem& problem, const float* weights,
                                       const float* bias);
};

// Best first; the reference is last and always applies.
std::span<const Implementation> implementations();

}  // namespace svertka
