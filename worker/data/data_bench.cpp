// The data benchmark: decode-from-files versus warm-cache loading of one set, same run, same threads.
#include "worker/data/data_bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/error.h"
#include "worker/data/image_io.h"
#include "worker/data/image_set.h"
#include "worker/data/synth_dataset.h"
#include "worker/data/synth_scene.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kSynthTimingImages = 60;  // scenes rendered for the generator timing

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double thread_cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

// A scratch folder removed when the benchmark ends.
struct ScratchDir {
    fs::path path;
    ScratchDir() {
        std::error_code error;
        path = fs::temp_directory_path(error) / ("segsweep-bench-data-" + std::to_string(::getpid()));
        fs::remove_all(path, error);
        fs::create_directories(path, error);
        if (error) throw Error(path.string() + ": cannot create the benchmark folder: " + error.message());
    }
    ~ScratchDir() {
        std::error_code error;
        fs::remove_all(path, error);
    }
};

}  // namespace

DataBenchResult run_data_bench(const DataBenchOptions& options) {
    if (options.repeats < 1 || options.image_size < 1 || options.images < 1)
        throw Error("bench data: --repeats, --size and --images must be >= 1");
    ScratchDir scratch;
    DataBenchResult result;
    fs::path set_dir;
    if (options.root.empty()) {
        SynthOptions synth;
        synth.out = scratch.path / "data";
        synth.seed = 1;
        synth.train = options.images;
        synth.validation = 1;
        synth.evaluation = 3;
        synth.threads = options.threads;
        const auto start = Clock::now();
        synthesize_dataset(synth);
        const double synth_wall = seconds_since(start);
        // Thread CPU time: the generator's own cost, whatever else the machine is running.
        double render_seconds = 0, encode_seconds = 0;
        for (int i = 0; i < kSynthTimingImages; ++i) {
            double start_cpu = thread_cpu_seconds();
            const SceneImage scene = render_scene(SceneKind::training, 1000 + i, kSynthDefaultSize);
            render_seconds += thread_cpu_seconds() - start_cpu;
            start_cpu = thread_cpu_seconds();
            encode_jpeg(scene.image, kSynthJpegQuality, "bench");
            encode_png(scene.mask, "bench");
            encode_seconds += thread_cpu_seconds() - start_cpu;
        }
        result.synth_render_ms = 1000.0 * render_seconds / kSynthTimingImages;
        result.synth_encode_ms = 1000.0 * encode_seconds / kSynthTimingImages;
        result.synth_images_per_sec = (options.images + 4) / synth_wall;
        set_dir = synth.out / kTrainSplit;
    } else {
        set_dir = options.root / kTrainSplit;
    }

    LoadOptions cached;
    cached.cache_dir = scratch.path / "cache";
    cached.threads = options.threads;
    const ImageSet reference = load_image_set(set_dir, options.image_size, cached);   // builds the cache
    result.set = set_dir.string();
    result.threads = options.threads;
    result.images = reference.count;
    result.file_size = reference.file_width;

    double best_decode = 1e300, best_cache = 1e300;
    for (int r = 0; r < options.repeats; ++r) {
        auto start = Clock::now();
        const ImageSet decoded = decode_image_set(set_dir, options.image_size, options.threads);
        best_decode = std::min(best_decode, seconds_since(start));
        start = Clock::now();
        const ImageSet from_cache = load_image_set(set_dir, options.image_size, cached);
        best_cache = std::min(best_cache, seconds_since(start));
        if (decoded.images != from_cache.images || decoded.masks != from_cache.masks)
            throw Error("bench data: the cache differs from a direct decode of " + set_dir.string());
    }
    result.decode_images_per_sec = reference.count / best_decode;
    result.cache_images_per_sec = reference.count / best_cache;
    result.ratio = result.cache_images_per_sec / result.decode_images_per_sec;
    return result;
}

std::string format_data_bench(const DataBenchResult& r) {
    char text[1024];
    std::snprintf(text, sizeof(text),
                  "set                %s (%d images, %dpx files)\n"
                  "decode from files  %10.1f images/s  (JPEG+PNG decode, mask check, PIL resize)\n"
                  "decoded cache      %10.1f images/s\n"
                  "ratio              %10.1fx  (cache / decode, same run, same threads)\n",
                  r.set.c_str(), r.images, r.file_size, r.decode_images_per_sec, r.cache_images_per_sec, r.ratio);
    std::string out = text;
    if (r.synth_render_ms > 0) {
        std::snprintf(text, sizeof(text),
                      "synthetic scene    %10.2f ms CPU/image render + %.2f ms CPU/image JPEG+PNG encode (256px, "
                      "one thread)\n"
                      "synthetic dataset  %10.1f images/s written (wall, %d threads)\n",
                      r.synth_render_ms, r.synth_encode_ms, r.synth_images_per_sec, r.threads);
        out += text;
    }
    return out;
}

}  // namespace segsweep
