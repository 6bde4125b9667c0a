// `segsweep bench data`: how much the decoded cache saves. In one run it loads the same set
// (a dataset's train split, or a synthetic one made for the benchmark) by decoding the files
// (JPEG + PNG decode, mask check, PIL resize) and by reading the warm cache, on the same threads,
// and reports images/s of each and their ratio. It also times the synthetic generator: thread
// CPU time per scene (render, and JPEG/PNG encode) and the wall-clock rate of writing a dataset.
#pragma once

#include <filesystem>
#include <string>

namespace segsweep {

struct DataBenchOptions {
    std::filesystem::path root;     // dataset root; empty = synthesize `images` train images in a temp folder
    int images = 300;               // synthetic images when root is empty
    int image_size = 160;           // px, the size the loader resizes to
    int threads = 1;                // decode threads (the same for both paths)
    int repeats = 3;                // timed repetitions of each path; the best is reported
};

struct DataBenchResult {
    std::string set;                // folder measured
    int images = 0;
    int file_size = 0;              // px, side of the files
    double decode_images_per_sec = 0;
    double cache_images_per_sec = 0;
    double ratio = 0;               // cache / decode
    int threads = 1;
    double synth_render_ms = 0;     // thread CPU ms per 256 px scene; 0 when a dataset root was given
    double synth_encode_ms = 0;     // thread CPU ms per JPEG + PNG encode of a scene
    double synth_images_per_sec = 0;   // synthesize_dataset's wall-clock rate on `threads` threads
};

DataBenchResult run_data_bench(const DataBenchOptions& options);
std::string format_data_bench(const DataBenchResult& result);

}  // namespace segsweep
