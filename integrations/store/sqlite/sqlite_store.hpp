#pragma once
// The SQLite store: one file in WAL mode, numbered migrations.
#include <memory>
#include <optional>
#include <string>

#include "bot/ports/store.hpp"

namespace promotebot::bot {

// Opens (creating if needed) the SQLite store in WAL mode and applies the
// numbered migrations. Throws std::runtime_error when the file's schema is
// newer than this binary knows, or when the file cannot be opened.
// With `key`, new audit records are hashed with HMAC-SHA256 under it and
// verify_audit() can check keyed records; the caller reads it from the
// environment.
std::unique_ptr<store> open_sqlite_store(const std::string& path,
                                         std::optional<audit_key> key = std::nullopt);
int sqlite_schema_version_known();

}  // namespace promotebot::bot
