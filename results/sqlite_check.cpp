// SQLITE_CHECK's failure path: one message with the call, the place and SQLite's text.
#include "results/sqlite_check.h"

#include <string>

#include "common/error.h"

namespace segsweep {

int sqlite_check(int code, sqlite3* db, const char* call, const char* file, int line) {
    if (code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE) return code;
    std::string text = db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
    std::string where;
    if (db) {
        const char* name = sqlite3_db_filename(db, "main");
        if (name && *name) where = std::string(name) + ": ";
    }
    throw Error(where + "SQLite error " + std::to_string(code) + " (" + text + ") in " + call + " at " + file + ":" +
                std::to_string(line));
}

}  // namespace segsweep
