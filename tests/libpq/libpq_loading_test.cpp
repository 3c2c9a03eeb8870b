// libpq is loaded when the first PostgreSQL store opens and not before
// (integrations/store/postgresql/libpq_library.hpp). Its own executable,
// which does not link libpq: a process in which nothing has opened a
// PostgreSQL store, whatever order the cases run in. No case here but the
// first opens one.
#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

#include "integrations/store/postgresql/libpq_library.hpp"
#include "integrations/store/postgresql/postgresql_store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;

namespace {

// Whether the process has `soname` loaded; loads nothing.
bool loaded(const char* soname) {
    void* handle = ::dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
    if (handle) ::dlclose(handle);  // RTLD_NOLOAD still counts a reference
    return handle != nullptr;
}

// The files of libpq and of the libraries it brings the process maps, one a line.
std::string mapped_libpq_stack() {
    std::ifstream maps{"/proc/self/maps"};
    std::set<std::string> files;
    for (std::string line; std::getline(maps, line);) {
        const auto slash = line.find('/');
        if (slash == std::string::npos) continue;
        const auto path = line.substr(slash);
        const auto name = path.substr(path.rfind('/') + 1);
        for (const char* prefix : {"libpq.so", "libldap", "liblber", "libgssapi_krb5", "libkrb5", "libgnutls"})
            if (name.rfind(prefix, 0) == 0) files.insert(path);
    }
    std::string out;
    for (const auto& f : files) out += f + "\n";
    return out;
}

std::string failure_of(auto&& load) {
    try {
        load();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("libpq and the libraries it links are loaded by the first PostgreSQL store opened, not before") {
    REQUIRE_FALSE(loaded(postgresql::pq::libpq_soname));
    REQUIRE(mapped_libpq_stack().empty());

    // A SQLite store, migrated and read, and the PostgreSQL adapter's text
    // helpers: none of them needs libpq.
    testing::temp_dir dir;
    {
        const auto st = sqlite::open_sqlite_store_for_bot(dir.file());
        CHECK(st->outbox_pending() == 0);
    }
    CHECK(postgresql::is_postgresql_uri("postgresql://bot@db/promotebot"));
    CHECK(postgresql::redacted_connection("postgresql://bot:hunter2@db/promotebot") ==
          "postgresql://bot:***@db/promotebot");
    CHECK_FALSE(loaded(postgresql::pq::libpq_soname));
    CHECK(mapped_libpq_stack().empty());

    // A PostgreSQL store whose server is not there (a socket directory with
    // no socket): libpq is loaded to try, and the error is the connection's.
    const auto no_server = "postgresql:///promotebot?host=" + dir.path.string() + "&user=bot";
    const auto error = failure_of([&] { postgresql::open_postgresql_store(no_server); });
    CHECK_THAT(error, Catch::StartsWith("cannot open store \"" + no_server + "\": ") &&
                          !Catch::Contains("cannot be loaded"));
    CHECK(loaded(postgresql::pq::libpq_soname));
    CHECK_THAT(mapped_libpq_stack(), Catch::Contains("/libpq.so.5") && Catch::Contains("/libldap") &&
                                         Catch::Contains("/libgssapi_krb5.so") && Catch::Contains("/libgnutls.so"));
}

TEST_CASE("a libpq that cannot be loaded is refused, naming the library and the Debian package libpq5") {
    const auto missing = failure_of([] { postgresql::pq::load_libpq("libpq.so.0.missing"); });
    CHECK_THAT(missing, Catch::StartsWith("PostgreSQL stores are reached with libpq, which cannot be loaded: ") &&
                            Catch::Contains("libpq.so.0.missing") &&
                            Catch::EndsWith("(install the Debian package libpq5)"));

    // A library that loads but is not libpq: every function is named missing.
    const auto wrong = failure_of([] { postgresql::pq::load_libpq("libm.so.6"); });
    CHECK_THAT(wrong, Catch::Contains("libm.so.6 lacks PQconnectdbParams, PQstatus") && Catch::Contains("PQclear") &&
                          Catch::Contains("libpq5"));
}
