// Plan: validate once, choose an implementation from the ordered list, pack, execute many times.
#include <chrono>
#include <iomanip>
#include <sstream>
#include <memory>

#include "algorithm.hpp"
#include "kernel_tables.hpp"
#include "runtime/environment.hpp"
#include "runtime/threads.hpp"
#include "runtime/tuning_db.hpp"

namespace svertka {
namespace {

void require_floats(const char* name, std::size_t have, int64_t need) {
  if (have < static_cast<std::size_t>(need)) {
    throw_invalid(std::string(name) + " holds " + std::to_string(have) + " floats, needs " +
                  std::to_string(need));
  }
}

// The forced implementation (SVERTKA_ALGO) or the cheapest that applies. `why` collects, for
// the verbose log, the cost of each that applies and why the others do not.
const Implementation& choose(const Problem& pr, const Context& ctx, std::string& why) {
  const std::string forced = env("SVERTKA_ALGO");
  if (!forced.empty()) {
    std::string known;
    for (const Implementation& impl : implementations()) {
      if (impl.name != forced) {
        (known += ' ') += impl.name;
        continue;
      }
      const std::string reason = impl.why_not(pr, ctx);
      if (!reason.empty()) throw_invalid("SVERTKA_ALGO=" + forced + " does not apply: " + reason);
      why = "forced by SVERTKA_ALGO";
      return impl;
    }
    throw_invalid("SVERTKA_ALGO=" + forced + " is not an algorithm; known:" + known);
  }
  if (ctx.tuning.tuned()) {
    for (const Implementation& impl : implementations()) {
      if (impl.name == ctx.tuning.algorithm && impl.why_not(pr, ctx).empty()) {
        why = "tuned: " + tuning_file().string();
        return impl;
      }
    }
  }
  const Implementation* best = nullptr;
  double best_cost = 0;
  std::ostringstream log;
  for (const Implementation& impl : implementations()) {
    const std::string reason = impl.why_not(pr, ctx);
    if (!reason.empty()) {
      log << "; " << impl.name << ": " << reason;
      continue;
    }
    const double cost = impl.cost(pr, ctx);
    log << "; " << impl.name << ": cost " << std::setprecision(3) << cost * 1e-6 << " Mcycles";
    if (!best || cost < best_cost) best = &impl, best_cost = cost;
  }
  why = log.str().substr(2);
  return *best;  // the reference always applies
}

}  // namespace

Context configured_context() {
  Context ctx;
  ctx.isa = select_isa(env("SVERTKA_ISA"));
  ctx.kernels = kernel_table(ctx.isa);
  ctx.threads = configured_threads();
  return ctx;
}

struct Plan::Impl {
  Problem problem;
  std::unique_ptr<const Algorithm> algorithm;
  std::string description;
};

Plan::Plan(Op op, const ConvParams& params, std::span<const float> weights,
           std::span<const float> bias) {
  Problem pr = make_problem(op, params);
  require_floats("weights", weights.size(), pr.weights_size());
  if (!bias.empty()) require_floats("bias", bias.size(), pr.p.out_channels);
  Context ctx = configured_context();
  if (ctx.kernels && env("SVERTKA_ALGO").empty()) {
    if (auto tuning = lookup_tuning(pr, ctx.kernels->isa, ctx.threads)) ctx.tuning = *tuning;
  }
  const Problem run = canonical(pr);  // the tuning key stays the caller's shape
  std::string why;
  const Implementation& impl = choose(run, ctx, why);
  if (impl.name != ctx.tuning.algorithm) ctx.tuning = Tuning();  // a stale record: the model
  auto algorithm = impl.create(run, ctx, weights.data(), bias.empty() ? nullptr : bias.data());
  std::string description = std::string(to_string(op)) + " " + algorithm->describe() +
                            (ctx.tuning.tuned() ? " tuned" : "");
  if (verbose()) {
    log_line("plan " + description + " " + to_string(pr.p.layout) + " " + to_string(pr) +
             " (" + why + ")");
  }
  impl_ = std::make_unique<const Impl>(Impl{pr, std::move(algorithm), std::move(description)});
}

Plan::Plan(Plan&&) noexcept = default;
Plan& Plan::operator=(Plan&&) noexcept = default;
Plan::~Plan() = default;

void Plan::execute(std::span<const float> src, std::span<float> dst) const {
  const Problem& pr = impl_->problem;
  require_floats("src", src.size(), pr.src().size());
  require_floats("dst", dst.size(), pr.dst().size());
  if (!verbose()) {
    impl_->algorithm->execute(src.data(), dst.data());
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  impl_->algorithm->execute(src.data(), dst.data());
  const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start;
  log_line("exec " + impl_->description + " " + to_string(pr.p.layout) + " " + to_string(pr) +
           " " + std::to_string(ms.count()) + " ms " +
           std::to_string(flops(pr) / ms.count() * 1e-6) + " GFLOP/s");
}

const std::string& Plan::describe() const { return impl_->description; }
Op Plan::op() const { return impl_->problem.op; }
const ConvParams& Plan::params() const { return impl_->problem.p; }

}  // namespace svertka
