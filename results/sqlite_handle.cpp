// SqliteDatabase and SqliteStatement: opening, executing, binding, stepping, reading columns.
#include "results/sqlite_handle.h"

#include <cmath>
#include <limits>

#include "common/error.h"
#include "results/sqlite_check.h"

namespace segsweep {

SqliteDatabase::SqliteDatabase(const std::string& path, int flags) {
    sqlite3* raw = nullptr;
    const int code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    db_.reset(raw);  // sqlite3_open_v2 may return a handle even on failure: it must be closed
    if (code != SQLITE_OK) {
        const std::string text = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(code);
        throw Error(path + ": cannot open the results store: " + text);
    }
    SQLITE_CHECK(db_.get(), sqlite3_extended_result_codes(db_.get(), 1));
}

void SqliteDatabase::execute(const std::string& sql) {
    SQLITE_CHECK(db_.get(), sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr));
}

SqliteStatement::SqliteStatement(const SqliteDatabase& db, const std::string& sql) : db_(db.get()) {
    sqlite3_stmt* raw = nullptr;
    SQLITE_CHECK(db_, sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr));
    stmt_.reset(raw);
}

void SqliteStatement::bind(int index, int64_t value) {
    SQLITE_CHECK(db_, sqlite3_bind_int64(stmt_.get(), index, value));
}

void SqliteStatement::bind(int index, double value) {
    if (!std::isfinite(value)) {
        bind_null(index);
        return;
    }
    SQLITE_CHECK(db_, sqlite3_bind_double(stmt_.get(), index, value));
}

void SqliteStatement::bind(int index, const std::string& value) {
    SQLITE_CHECK(db_,
                 sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
}

void SqliteStatement::bind(int index, const std::optional<double>& value) {
    if (value)
        bind(index, *value);
    else
        bind_null(index);
}

void SqliteStatement::bind_null(int index) { SQLITE_CHECK(db_, sqlite3_bind_null(stmt_.get(), index)); }

bool SqliteStatement::step() { return SQLITE_CHECK(db_, sqlite3_step(stmt_.get())) == SQLITE_ROW; }

void SqliteStatement::run() {
    while (step()) {
    }
}

void SqliteStatement::reset() {
    sqlite3_reset(stmt_.get());  // returns the last step's error, already reported by step()
    SQLITE_CHECK(db_, sqlite3_clear_bindings(stmt_.get()));
}

bool SqliteStatement::is_null(int column) const { return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL; }

int64_t SqliteStatement::column_int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

double SqliteStatement::column_double(int column) const {
    if (is_null(column)) return std::numeric_limits<double>::quiet_NaN();
    return sqlite3_column_double(stmt_.get(), column);
}

std::optional<double> SqliteStatement::column_optional_double(int column) const {
    if (is_null(column)) return std::nullopt;
    return sqlite3_column_double(stmt_.get(), column);
}

std::string SqliteStatement::column_text(int column) const {
    const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
    if (!text) return "";
    return std::string(reinterpret_cast<const char*>(text),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column)));
}

}  // namespace segsweep
