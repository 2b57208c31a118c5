#include "threads.hpp"

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <xmmintrin.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "../problem.hpp"
#include "environment.hpp"
#include "topology.hpp"

namespace svertka {
namespace {

tbb::task_arena& arena(int threads) {
  static std::mutex mutex;
  static std::map<int, std::unique_ptr<tbb::task_arena>> arenas;
  std::lock_guard lock(mutex);
  auto& a = arenas[threads];
  if (!a) a = std::make_unique<tbb::task_arena>(threads);
  return *a;
}

// Debian's oneTBB is not built with ThreadSanitizer, which therefore cannot see that a task
// starts after parallel_for is called and ends before it returns; say so in TSan builds.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* address);
extern "C" void __tsan_release(void* address);
void happens_before(void* sync) { __tsan_release(sync); }
void happens_after(void* sync) { __tsan_acquire(sync); }
#else
void happens_before(void*) {}
void happens_after(void*) {}
#endif

// Flush denormals to zero (FTZ) and read them as zero (DAZ) while a task runs, and restore the
// thread's own setting after: the caller's floating-point state is never changed. A denormal
// operand costs an FMA a microcode assist, about a hundred times its time.
class FlushDenormals {
 public:
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtz | kDaz); }
  ~FlushDenormals() { _mm_setcsr(saved_); }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  static constexpr unsigned kFtz = 1u << 15, kDaz = 1u << 6;  // MXCSR bits
  unsigned saved_;
};

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

}  // namespace

int configured_threads() {
  const std::string value = env("SVERTKA_NUM_THREADS");
  if (value.empty()) return topology().cores;
  char* end = nullptr;
  const long n = std::strtol(value.c_str(), &end, 10);
  if (end == value.c_str() || *end != '\0' || n < 1 || n > kMaxThreads) {
    throw_invalid("SVERTKA_NUM_THREADS=" + value + " is not a thread count in 1.." +
                  std::to_string(kMaxThreads));
  }
  return static_cast<int>(n);
}

void parallel_for(int threads, int64_t n, const std::function<void(int64_t)>& body) {
  if (threads <= 1 || n <= 1) {
    const FlushDenormals flush;
    for (int64_t i = 0; i < n; ++i) body(i);
    return;
  }
  int start = 0, end = 0;  // TSan's synchronisation objects
  happens_before(&start);
  arena(threads).execute([&] {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, 1),
                      [&](const tbb::blocked_range<int64_t>& r) {
                        happens_after(&start);
                        const FlushDenormals flush;
                        for (int64_t i = r.begin(); i != r.end(); ++i) body(i);
                        happens_before(&end);
                      });
  });
  happens_after(&end);
}

namespace {
thread_local std::unique_ptr<float, FreeDeleter> buffers[2];  // per Workspace
thread_local int64_t capacities[2] = {};
}  // namespace

int64_t thread_workspace_floats(Workspace slot) { return capacities[static_cast<int>(slot)]; }

float* thread_workspace(int64_t floats, Workspace slot) {
  auto& buffer = buffers[static_cast<int>(slot)];
  int64_t& capacity = capacities[static_cast<int>(slot)];
  if (floats > capacity) {
    if (floats > (int64_t{1} << 60) / int64_t{sizeof(float)}) throw std::bad_alloc();
    const int64_t bytes = (floats * int64_t{sizeof(float)} + 63) / 64 * 64;
    capacity = 0;
    buffer.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (!buffer) throw std::bad_alloc();
    capacity = bytes / int64_t{sizeof(float)};
  }
  return buffer.get();
}

}  // namespace svertka
