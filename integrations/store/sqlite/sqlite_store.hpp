#pragma once
// The SQLite store: one file in WAL mode, numbered migrations.
#include <memory>
#include <string>

#include "bot/ports/store.hpp"

namespace promotebot::bot {

// Opens (creating if needed) the SQLite store in WAL mode and applies the
// numbered migrations. Throws std::runtime_error when the file's schema is
// newer than this binary knows, or when the file cannot be opened.
std::unique_ptr<store> open_sqlite_store(const std::string& path);
int sqlite_schema_version_known();

}  // namespace promotebot::bot
