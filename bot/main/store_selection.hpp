#pragma once
// Which backend the config's `store` names, and opening it: a postgresql:// or
// postgres:// URI is a PostgreSQL database (a libpq connection URI; the
// password may also come from libpq's environment, PGPASSWORD or a
// ~/.pgpass), anything else a SQLite file path.
#include <memory>
#include <optional>
#include <string>

#include "commands/audit/audit_record.hpp"
#include "integrations/store/common/synchronous_store.hpp"

namespace promotebot::bot {

// The bot's store: migrated, and refused when its audit log lost its protection.
std::unique_ptr<storage::synchronous_store> open_store_for_bot(const std::string& store,
                                                               std::optional<commands::audit_key> key);
// The read-only commands' store: never created, migrated or written.
std::unique_ptr<storage::synchronous_store> open_store_read_only(const std::string& store,
                                                                 std::optional<commands::audit_key> key);
bool is_postgresql_store(const std::string& store);
// Loads the library the store's backend needs and the binary does not link
// (libpq for PostgreSQL; nothing for SQLite), so that a missing one shows
// before start-up; throws std::runtime_error naming it and its package.
void require_store_library(const std::string& store);
// The store as logs and messages may name it: a URI's password is "***".
std::string store_for_log(const std::string& store);

}  // namespace promotebot::bot
