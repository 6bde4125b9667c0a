// SQLITE_CHECK: the one check at the SQLite C API boundary. Wraps a call returning an SQLite result
// code; SQLITE_OK, SQLITE_ROW and SQLITE_DONE pass through (the value is returned), anything else
// throws segsweep::Error naming the call, file:line, the database and SQLite's own error text.
//
//   SQLITE_CHECK(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr));
//   if (SQLITE_CHECK(db, sqlite3_step(stmt)) == SQLITE_ROW) ...
#pragma once

#include <sqlite3.h>

namespace segsweep {

// Returns `code` when it is SQLITE_OK, SQLITE_ROW or SQLITE_DONE; throws otherwise. `db` may be null
// (sqlite3_open_v2 failures); then the code's generic text is used.
int sqlite_check(int code, sqlite3* db, const char* call, const char* file, int line);

}  // namespace segsweep

#define SQLITE_CHECK(db, call) ::segsweep::sqlite_check((call), (db), #call, __FILE__, __LINE__)
