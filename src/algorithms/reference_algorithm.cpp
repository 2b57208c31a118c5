#include "reference_algorithm.hpp"

#include <vector>

#include "../reference/reference.hpp"

namespace svertka {
namespace {

class ReferenceAlgorithm final : public Algorithm {
 public:
  ReferenceAlgorithm(const Problem& pr, const float* weights, const float* bias)
      : problem_(pr),
        weights_(weights, weights + pr.weights_size()),
        bias_(bias ? std::vector<float>(bias, bias + pr.p.out_channels) : std::vector<float>{}) {}

  void execute(const float* src, float* dst) const override {
    const float* bias = bias_.empty() ? nullptr : bias_.data();
    if (problem_.op == Op::conv2d) {
      reference::conv2d_sliding_window(problem_, src, weights_.data(), bias, dst);
    } else {
      reference::conv_transpose2d_scatter(problem_, src, weights_.data(), bias, dst);
    }
  }
  std::string describe() const override { return "reference reference"; }

 private:
  Problem problem_;
  std::vector<float> weights_, bias_;
};

}  // namespace

constinit const Implementation reference_implementation{
    "reference", [](const Problem&, const Context&) { return std::string(); },
    // Scalar loops: about ten cycles a multiply-add.
    [](const Problem& pr, const Context&) { return 10 * flops(pr) / 2; },
    [](const Problem& pr, const Context&, const float* w,
       const float* b) -> std::unique_ptr<Algorithm> {
      return std::make_unique<ReferenceAlgorithm>(pr, w, b);
    }};

}  // namespace svertka
