// RAII handles for SQLite: SqliteDatabase owns a sqlite3* (closed with sqlite3_close_v2) and
// SqliteStatement owns a sqlite3_stmt* (finalised). Statements bind by 1-based index; NaN and empty
// optionals bind as NULL, and NULL columns read back as empty optionals. Every call goes through
// SQLITE_CHECK. Not thread-safe: one connection per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <sqlite3.h>

namespace segsweep {

class SqliteDatabase {
public:
    // flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE etc. Throws segsweep::Error naming the path.
    SqliteDatabase(const std::string& path, int flags);

    sqlite3* get() const { return db_.get(); }
    // Runs one or more statements without results (schema scripts, PRAGMAs, BEGIN/COMMIT).
    void execute(const std::string& sql);
    int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_.get()); }
    int changes() const { return sqlite3_changes(db_.get()); }

private:
    struct Closer {
        void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
    };
    std::unique_ptr<sqlite3, Closer> db_;
};

class SqliteStatement {
public:
    SqliteStatement(const SqliteDatabase& db, const std::string& sql);

    void bind(int index, int64_t value);
    void bind(int index, int value) { bind(index, static_cast<int64_t>(value)); }
    void bind(int index, double value);  // NaN and infinities bind as NULL
    void bind(int index, const std::string& value);
    void bind(int index, const char* value) { bind(index, std::string(value)); }
    void bind(int index, const std::optional<double>& value);
    void bind_null(int index);

    // Steps once: true when a row is ready, false when done.
    bool step();
    // Steps to the end (for writes).
    void run();
    // Makes the statement reusable (keeps nothing bound).
    void reset();

    bool is_null(int column) const;
    int64_t column_int64(int column) const;
    int column_int(int column) const { return static_cast<int>(column_int64(column)); }
    double column_double(int column) const;  // NULL reads as NaN
    std::optional<double> column_optional_double(int column) const;
    std::string column_text(int column) const;  // NULL reads as ""

    sqlite3_stmt* get() const { return stmt_.get(); }

private:
    struct Finalizer {
        void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
    };
    sqlite3* db_;
    std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
};

}  // namespace segsweep
