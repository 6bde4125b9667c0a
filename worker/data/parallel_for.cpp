// parallel_for: a shared index counter, per-index exception slots, join, rethrow the lowest.
#include "worker/data/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace segsweep {

int resolve_thread_count(int threads, int count) {
    int resolved = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
    if (resolved < 1) resolved = 1;
    return std::max(1, std::min(resolved, count));
}

void parallel_for(int count, int threads, const std::function<void(int index)>& body) {
    if (count <= 0) return;
    const int thread_count = resolve_thread_count(threads, count);
    std::vector<std::exception_ptr> errors(static_cast<size_t>(count));
    std::atomic<int> next{0};
    std::atomic<bool> failed{false};
    auto run = [&] {
        for (int i = next++; i < count && !failed; i = next++) {
            try {
                body(i);
            } catch (...) {
                errors[i] = std::current_exception();
                failed = true;
            }
        }
    };
    if (thread_count == 1) {
        run();
    } else {
        std::vector<std::thread> pool;
        for (int t = 0; t < thread_count; ++t) pool.emplace_back(run);
        for (auto& thread : pool) thread.join();
    }
    for (const auto& error : errors)
        if (error) std::rethrow_exception(error);
}

}  // namespace segsweep
