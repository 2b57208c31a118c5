// Threads: the library's own oneTBB arenas (so it composes with a caller that uses TBB too)
// and the per-thread workspace that algorithms pack into.
#pragma once

#include <cstdint>
#include <functional>

namespace svertka {

inline constexpr int kMaxThreads = 4096;  // the most threads a plan or the tuner takes

// SVERTKA_NUM_THREADS, else all cores of the process. Throws std::invalid_argument on a value
// that is not an integer in 1..kMaxThreads.
int configured_threads();

// Runs body(i) for every i in [0, n) on `threads` threads: the calling thread alone when
// threads == 1, else in a task arena of that concurrency owned by the library. Denormals are
// flushed to zero inside (results that would be denormal are zero), the caller's
// floating-point state is restored.
void parallel_for(int threads, int64_t n, const std::function<void(int64_t)>& body);

// What a per-thread buffer is for: a task's scratch (packed panels), or an execution's data
// shared by all its tasks (an input reordered once), owned by the thread that called execute.
enum class Workspace { task, execution };

// A 64-byte aligned buffer of at least `floats` floats owned by the calling thread, reused by
// every algorithm (grown when too small, never shrunk). Valid until the next call for the same
// slot on the same thread, so a task must not yield while it uses its task buffer.
float* thread_workspace(int64_t floats, Workspace slot = Workspace::task);

// The floats the calling thread's buffer for `slot` holds now: its largest request so far.
int64_t thread_workspace_floats(Workspace slot = Workspace::task);

}  // namespace svertka
