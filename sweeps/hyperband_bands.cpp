// Hyperband bands (W&B's arithmetic) and the rung preview.
#include "sweeps/hyperband_bands.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace segsweep {

std::vector<int> hyperband_bands(const HyperbandSpec& spec) {
    std::vector<int> bands;
    if (spec.max_iter > 0) {
        double band = spec.max_iter;
        for (int i = 0; i < spec.s; ++i) {
            band /= spec.eta;
            if (band < 1) break;
            bands.push_back(static_cast<int>(band));
        }
    } else if (spec.min_iter > 0) {
        double band = spec.min_iter;
        while (band <= kMaxHyperbandBandEpoch) {
            bands.push_back(static_cast<int>(band));
            band *= spec.eta;
        }
    }
    std::sort(bands.begin(), bands.end());
    bands.erase(std::unique(bands.begin(), bands.end()), bands.end());
    return bands;
}

int hyperband_kept(int judged, double eta) {
    if (judged <= 0) return 0;
    const int kept = static_cast<int>(std::floor(judged / eta)) + 1;
    return std::min(kept, judged);
}

HyperbandPreview preview_hyperband(const HyperbandSpec& spec, const std::vector<int>& planned_epochs) {
    HyperbandPreview preview;
    int longest = 0;
    for (int epochs : planned_epochs) {
        preview.epochs_without_stopping += epochs;
        longest = std::max(longest, epochs);
    }
    // Alive trials, longest-planned first; stop_epoch[i] is where trial i ends.
    std::vector<int> alive = planned_epochs;
    std::sort(alive.begin(), alive.end(), std::greater<int>());
    for (int band : hyperband_bands(spec)) {
        if (band >= longest) break;  // a band at or past the last epoch stops nothing
        std::vector<int> reaching;
        for (int epochs : alive)
            if (epochs >= band) reaching.push_back(epochs);
        RungPreview rung;
        rung.epoch = band;
        rung.judged = static_cast<int>(reaching.size());
        const int kept = hyperband_kept(rung.judged, spec.eta);
        std::vector<int> next;
        for (int epochs : alive)
            if (epochs < band) next.push_back(epochs);  // ended before this band
        int continuing = 0;
        for (int i = 0; i < rung.judged; ++i) {
            if (i < kept) {
                next.push_back(reaching[static_cast<size_t>(i)]);
                if (reaching[static_cast<size_t>(i)] > band) ++continuing;
            } else {
                preview.epochs_with_full_rungs += band;  // stopped at this band
            }
        }
        rung.continuing = continuing;
        preview.rungs.push_back(rung);
        std::sort(next.begin(), next.end(), std::greater<int>());
        alive = next;
    }
    for (int epochs : alive) preview.epochs_with_full_rungs += epochs;
    return preview;
}

}  // namespace segsweep
