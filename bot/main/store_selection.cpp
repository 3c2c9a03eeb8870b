#include "bot/main/store_selection.hpp"

#include "integrations/store/postgresql/postgresql_store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"

namespace promotebot::bot {

bool is_postgresql_store(const std::string& store) { return postgresql::is_postgresql_uri(store); }

void require_store_library(const std::string& store) {
    if (is_postgresql_store(store)) postgresql::require_libpq();
}

std::unique_ptr<storage::synchronous_store> open_store_for_bot(const std::string& store,
                                                               std::optional<commands::audit_key> key) {
    if (is_postgresql_store(store)) return postgresql::open_postgresql_store_for_bot(store, std::move(key));
    return sqlite::open_sqlite_store_for_bot(store, std::move(key));
}

std::unique_ptr<storage::synchronous_store> open_store_read_only(const std::string& store,
                                                                 std::optional<commands::audit_key> key) {
    if (is_postgresql_store(store))
        return postgresql::open_postgresql_store(store, std::move(key), postgresql::open_mode::read_only);
    return sqlite::open_sqlite_store(store, std::move(key), sqlite::open_mode::read_only);
}

std::string store_for_log(const std::string& store) {
    return is_postgresql_store(store) ? postgresql::redacted_connection(store) : store;
}

}  // namespace promotebot::bot
