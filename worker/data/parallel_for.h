// parallel_for: runs body(i) for i in [0, count) on up to `threads` threads (0 = all cores), each
// thread taking the next index from a shared counter. When calls throw, the exception of the
// lowest failing index is rethrown after all threads have stopped, so the error a user sees does
// not depend on timing.
#pragma once

#include <functional>

namespace segsweep {

// Threads a request for `threads` turns into: 0 = the cores available, never more than `count`.
int resolve_thread_count(int threads, int count);

void parallel_for(int count, int threads, const std::function<void(int index)>& body);

}  // namespace segsweep
