// TextTable: column-aligned plain-text tables for the CLI (sweep preview, leaderboard, trials).
// Two spaces between columns, a header row, no trailing spaces; numeric columns can align right.
#pragma once

#include <string>
#include <vector>

namespace segsweep {

class TextTable {
public:
    explicit TextTable(std::vector<std::string> headers);

    void align_right(size_t column);
    void add_row(std::vector<std::string> cells);  // missing cells are blank, extra ones dropped
    size_t rows() const { return rows_.size(); }
    std::string render() const;

private:
    std::vector<std::string> headers_;
    std::vector<bool> right_;
    std::vector<std::vector<std::string>> rows_;
};

// A number for a table cell: %.<significant>g ("0.001", "0.4123", "1.2e-05").
std::string format_table_number(double value, int significant = 4);

}  // namespace segsweep
