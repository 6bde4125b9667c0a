// TextTable: width computation and rendering.
#include "sweeps/text_table.h"

#include <algorithm>
#include <cstdio>

namespace segsweep {
namespace {

// Display width: count UTF-8 lead bytes, so "≤" or "×" take one column.
size_t display_width(const std::string& text) {
    size_t width = 0;
    for (unsigned char ch : text)
        if ((ch & 0xC0) != 0x80) ++width;
    return width;
}

}  // namespace

TextTable::TextTable(std::vector<std::string> headers) : headers_(std::move(headers)), right_(headers_.size(), false) {}

void TextTable::align_right(size_t column) {
    if (column < right_.size()) right_[column] = true;
}

void TextTable::add_row(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    rows_.push_back(std::move(cells));
}

std::string TextTable::render() const {
    std::vector<size_t> widths(headers_.size(), 0);
    for (size_t c = 0; c < headers_.size(); ++c) widths[c] = display_width(headers_[c]);
    for (const auto& row : rows_)
        for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));

    std::string out;
    auto emit = [&](const std::vector<std::string>& row) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) {
            const size_t pad = widths[c] - display_width(row[c]);
            if (c > 0) line += "  ";
            if (right_[c])
                line += std::string(pad, ' ') + row[c];
            else
                line += row[c] + std::string(pad, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    };
    emit(headers_);
    for (const auto& row : rows_) emit(row);
    return out;
}

std::string format_table_number(double value, int significant) {
    char text[48];
    std::snprintf(text, sizeof text, "%.*g", significant, value);
    return text;
}

}  // namespace segsweep
