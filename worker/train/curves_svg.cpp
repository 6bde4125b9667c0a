// SVG line chart of train/val loss per epoch (see curves_svg.h): axes with round-number ticks,
// one polyline and dots per series, a legend and the best-epoch marker.
#include "worker/train/curves_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace segsweep {
namespace {

constexpr double kMarginLeft = 70, kMarginRight = 20, kMarginTop = 40, kMarginBottom = 50;  // px
constexpr const char* kTrainColour = "#1f77b4";  // matplotlib's first two colours
constexpr const char* kValColour = "#ff7f0e";
constexpr int kTargetTicks = 6;

std::string format(const char* pattern, double a, double b = 0, double c = 0, double d = 0) {
    char buffer[256];
    std::snprintf(buffer, sizeof buffer, pattern, a, b, c, d);
    return buffer;
}

std::string escape_xml(const std::string& text) {
    std::string out;
    for (char ch : text) {
        if (ch == '<') out += "&lt;";
        else if (ch == '>') out += "&gt;";
        else if (ch == '&') out += "&amp;";
        else if (ch == '"') out += "&quot;";
        else out += ch;
    }
    return out;
}

// A round tick step (1, 2 or 5 times a power of ten) giving about kTargetTicks ticks over span.
double nice_step(double span) {
    const double raw = span / kTargetTicks;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (m * power >= raw) return m * power;
    return 10 * power;
}

struct Frame {
    double x0, x1, y0, y1;  // data ranges
    double px(double x) const {
        return kMarginLeft + (x - x0) / (x1 - x0) * (kCurvesWidth - kMarginLeft - kMarginRight);
    }
    double py(double y) const {
        return kCurvesHeight - kMarginBottom - (y - y0) / (y1 - y0) * (kCurvesHeight - kMarginTop - kMarginBottom);
    }
};

// One series: polyline segments between finite points, plus a dot on each.
std::string series(const std::vector<EpochMetrics>& history, bool validation, const Frame& f, const char* colour) {
    std::string out, points;
    auto flush = [&]() {
        if (!points.empty())
            out += std::string("<polyline fill=\"none\" stroke=\"") + colour + "\" stroke-width=\"2\" points=\"" +
                   points + "\"/>\n";
        points.clear();
    };
    for (const auto& m : history) {
        const double v = validation ? m.val_loss : m.train_loss;
        if (!std::isfinite(v)) {
            flush();
            continue;
        }
        points += format("%.1f,%.1f ", f.px(m.epoch), f.py(v));
        out += format("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"", f.px(m.epoch), f.py(v)) + colour + "\"/>\n";
    }
    flush();
    return out;
}

}  // namespace

std::string render_loss_curves_svg(const std::vector<EpochMetrics>& history, int best_epoch, const std::string& title) {
    double y_max = 0;
    int last_epoch = 1;
    for (const auto& m : history) {
        for (double v : {m.train_loss, m.val_loss})
            if (std::isfinite(v)) y_max = std::max(y_max, v);
        last_epoch = std::max(last_epoch, m.epoch);
    }
    if (y_max <= 0) y_max = 1;
    const double y_step = nice_step(y_max);
    Frame f{1, static_cast<double>(std::max(last_epoch, 2)), 0, std::ceil(y_max * 1.05 / y_step) * y_step};

    std::string svg = format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                             "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
                             kCurvesWidth, kCurvesHeight, kCurvesWidth, kCurvesHeight);
    svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    svg += format("<text x=\"%.0f\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">", kCurvesWidth / 2.0) +
           escape_xml(title.empty() ? "model loss" : title + ": model loss") + "</text>\n";

    // Horizontal grid and y ticks.
    for (double y = 0; y <= f.y1 + 1e-12; y += y_step) {
        svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n", f.px(f.x0),
                      f.py(y), f.px(f.x1), f.py(y));
        svg += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n", f.px(f.x0) - 6, f.py(y) + 4, y);
    }
    // X ticks at round epoch steps.
    const double x_step = std::max(1.0, nice_step(f.x1 - f.x0));
    for (double x = 1; x <= f.x1 + 1e-9; x += x_step) {
        svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", f.px(x), f.py(0),
                      f.px(x), f.py(0) + 5);
        svg += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>\n", f.px(x), f.py(0) + 18, x);
    }
    // Axes and their labels.
    svg += format("<polyline fill=\"none\" stroke=\"black\" points=\"%.1f,%.1f %.1f,%.1f ", f.px(f.x0), f.py(f.y1),
                  f.px(f.x0), f.py(0)) +
           format("%.1f,%.1f\"/>\n", f.px(f.x1), f.py(0));
    svg += format("<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">epoch</text>\n",
                  (kMarginLeft + kCurvesWidth - kMarginRight) / 2, kCurvesHeight - 12.0);
    svg += format("<text x=\"18\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.0f)\">loss "
                  "(categorical cross-entropy)</text>\n",
                  (kMarginTop + kCurvesHeight - kMarginBottom) / 2, (kMarginTop + kCurvesHeight - kMarginBottom) / 2);

    if (best_epoch > 0) {
        svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#2ca02c\" "
                      "stroke-dasharray=\"5,4\"/>\n",
                      f.px(best_epoch), f.py(f.y1), f.px(best_epoch), f.py(0));
        svg += format("<text x=\"%.1f\" y=\"%.1f\" fill=\"#2ca02c\">best epoch %g</text>\n", f.px(best_epoch) + 4,
                      f.py(f.y1) + 12, best_epoch);
    }
    svg += series(history, false, f, kTrainColour);
    svg += series(history, true, f, kValColour);

    // Legend, top right.
    const double lx = kCurvesWidth - kMarginRight - 150, ly = kMarginTop + 8;
    svg += format("<rect x=\"%.0f\" y=\"%.0f\" width=\"140\" height=\"44\" fill=\"white\" stroke=\"#ccc\"/>\n", lx, ly);
    svg += format("<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke-width=\"2\" stroke=\"", lx + 8,
                  ly + 14, lx + 32, ly + 14) +
           kTrainColour + "\"/>\n";
    svg += format("<text x=\"%.0f\" y=\"%.0f\">train_loss</text>\n", lx + 38, ly + 18);
    svg += format("<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke-width=\"2\" stroke=\"", lx + 8,
                  ly + 32, lx + 32, ly + 32) +
           kValColour + "\"/>\n";
    svg += format("<text x=\"%.0f\" y=\"%.0f\">val_loss</text>\n", lx + 38, ly + 36);
    svg += "</svg>\n";
    return svg;
}

}  // namespace segsweep
