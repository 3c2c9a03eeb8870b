// What only the PostgreSQL store has to show: several connections (as several
// processes would hold) racing for the same rows, migrations started together,
// retried deadlocks, read-only sessions, and a connection string never shown
// with its password. The store contract shared with SQLite is tested in
// tests/bot on both backends.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "integrations/store/postgresql/postgresql_store.hpp"
#include "tests/support/store_backends.hpp"

using namespace promotebot;
using namespace promotebot::bot;
using namespace std::chrono_literals;
using promotebot::testing::postgresql_backend;

namespace {

const sys_seconds t0{std::chrono::seconds{1'795'000'000}};

stored_promotion a_promotion(const std::string& source = {}) {
    stored_promotion p;
    p.environment = "prod";
    p.version = "v1.4.2";
    p.state = "awaiting_signoffs";
    p.requested_by = "U0REQ";
    p.source_key = source;
    p.doc = {{"version", "v1.4.2"}};
    return p;
}

// Waits, up to 30 s, until `n` sessions of the database wait for a lock
// another holds: the second writer of a race is then known to be blocked.
void wait_for_lock_waiters(const postgresql_backend& db, int n) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (db.integer("SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
                      "datname = current_database()") < n) {
        if (std::chrono::steady_clock::now() > deadline) FAIL("no session waited for the lock within 30 s");
        std::this_thread::sleep_for(5ms);
    }
}

// Runs `work` on a thread, the exception it threw kept for the test's thread.
struct background {
    explicit background(std::function<void()> work)
        : thread([this, work = std::move(work)] {
              try {
                  work();
              } catch (...) {
                  error = std::current_exception();
              }
          }) {}
    void join() {
        thread.join();
        if (error) std::rethrow_exception(error);
    }
    std::exception_ptr error;
    std::thread thread;
};

}  // namespace

TEST_CASE("two connections racing for one deploy lock: exactly one takes it, every round") {
    postgresql_backend db;
    auto first = db.open();
    auto second = db.open();
    for (int round = 0; round < 25; ++round) {
        const std::string env = "env" + std::to_string(round);
        std::latch start(2);
        std::atomic<int> won{0};
        auto take = [&](postgresql::postgresql_store& s, std::int64_t promotion) {
            start.arrive_and_wait();
            if (s.acquire_deploy_lock(env, promotion, "U0" + std::to_string(promotion), t0)) ++won;
        };
        std::thread a(take, std::ref(*first), 1);
        std::thread b(take, std::ref(*second), 2);
        a.join();
        b.join();
        CHECK(won == 1);
        const auto lock = first->deploy_lock_of(env);
        REQUIRE(lock);
        CHECK(lock->holder == "U0" + std::to_string(lock->promotion_id));
    }
}

TEST_CASE("a deploy lock insert that waits for another connection's uncommitted one finds it taken") {
    postgresql_backend db;
    auto first = db.open();
    auto second = db.open();
    std::latch inserted(1);
    std::latch waiter_blocked(1);
    background holder([&] {
        first->transaction([&](store_session& s) {
            REQUIRE(s.acquire_deploy_lock("prod", 1, "U0FIRST", t0));
            inserted.count_down();
            waiter_blocked.wait();  // commit only once the other connection waits on this row
        });
    });
    inserted.wait();
    bool second_won = true;
    background contender([&] { second_won = second->acquire_deploy_lock("prod", 2, "U0SECOND", t0); });
    wait_for_lock_waiters(db, 1);
    waiter_blocked.count_down();
    holder.join();
    contender.join();
    CHECK_FALSE(second_won);
    CHECK(second->deploy_lock_of("prod")->promotion_id == 1);
}

TEST_CASE("two concurrent compare-and-set saves of one promotion: exactly one wins") {
    postgresql_backend db;
    auto first = db.open();
    auto second = db.open();
    const auto id = first->insert_promotion(a_promotion(), t0);
    auto p = *first->promotion(id);

    SECTION("the second save waits for the first's row lock, then finds the version moved") {
        std::latch saved(1);
        std::latch waiter_blocked(1);
        background winner([&] {
            first->transaction([&](store_session& s) {
                auto mine = p;
                mine.state = "approved";
                REQUIRE(s.save_promotion(mine, 1, t0 + 1s));
                saved.count_down();
                waiter_blocked.wait();
            });
        });
        saved.wait();
        bool loser_saved = true;
        background loser([&] {
            auto theirs = p;
            theirs.state = "cancelled";
            loser_saved = second->save_promotion(theirs, 1, t0 + 2s);
        });
        wait_for_lock_waiters(db, 1);
        waiter_blocked.count_down();
        winner.join();
        loser.join();
        CHECK_FALSE(loser_saved);
        const auto stored = second->promotion(id);
        CHECK(stored->state == "approved");
        CHECK(stored->row_version == 2);
    }

    SECTION("free-running races, many rounds") {
        for (std::int64_t version = 1; version <= 25; ++version) {
            std::latch start(2);
            std::atomic<int> won{0};
            auto save = [&](postgresql::postgresql_store& s, const char* state) {
                auto mine = p;
                mine.state = state;
                start.arrive_and_wait();
                if (s.save_promotion(mine, version, t0)) ++won;
            };
            std::thread a(save, std::ref(*first), "approved");
            std::thread b(save, std::ref(*second), "cancelled");
            a.join();
            b.join();
            CHECK(won == 1);
        }
        CHECK(first->promotion(id)->row_version == 26);
    }
}

TEST_CASE("audit appends from connections in open transactions stay one chain") {
    postgresql_backend db;
    auto first = db.open();
    auto second = db.open();
    first->append_audit({"U0A", "step", "request 1", "ok", {}}, t0);
    std::latch appended(1);
    std::latch waiter_blocked(1);
    background a([&] {
        first->transaction([&](store_session& s) {
            s.append_audit({"U0A", "step", "request 1", "ok", {{"i", 1}}}, t0 + 1s);
            appended.count_down();
            waiter_blocked.wait();  // holds the chain's head until the other append waits
        });
    });
    appended.wait();
    audit_record theirs;
    background b([&] { theirs = second->append_audit({"U0B", "step", "request 1", "ok", {{"i", 2}}}, t0 + 2s); });
    wait_for_lock_waiters(db, 1);
    waiter_blocked.count_down();
    a.join();
    b.join();
    CHECK(theirs.seq == 3);
    const auto v = second->verify_audit();
    CHECK(v.ok);
    CHECK(v.records == 3);

    // And many writers at once, each on its own connection.
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w)
        writers.emplace_back([&, w] {
            auto s = db.open();
            for (int i = 0; i < 25; ++i)
                s->append_audit({"U0W" + std::to_string(w), "step", "request 1", "ok", {{"i", i}}}, t0 + 1min);
        });
    for (auto& t : writers) t.join();
    const auto after = first->verify_audit();
    CHECK(after.ok);
    CHECK(after.records == 103);
}

TEST_CASE("stores opened at the same time on an empty database migrate it once") {
    postgresql_backend db;
    constexpr int openers = 4;
    std::latch start(openers);
    std::vector<background> threads;
    threads.reserve(openers);
    for (int i = 0; i < openers; ++i)
        threads.emplace_back([&] {
            start.arrive_and_wait();
            auto s = db.open();
            s->append_audit({"U0A", "start", "store", "ok", {}}, t0);
        });
    for (auto& t : threads) t.join();
    CHECK(db.integer("SELECT COUNT(*) FROM schema_migrations") == postgresql::postgresql_schema_version_known());
    CHECK(db.integer("SELECT MAX(version) FROM schema_migrations") == postgresql::postgresql_schema_version_known());
    CHECK(db.open()->verify_audit().records == openers);
}

TEST_CASE("a unit of work chosen as a deadlock's victim is rolled back and run again") {
    postgresql_backend db;
    auto first = db.open();
    auto second = db.open();
    const auto one = first->insert_promotion(a_promotion(), t0);
    const auto two = first->insert_promotion(a_promotion(), t0);
    std::atomic<int> runs{0};
    std::atomic<bool> a_holds_one{false};
    std::atomic<bool> b_holds_two{false};
    auto wait_until = [](const std::atomic<bool>& flag) {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (!flag && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
    };
    // Each saves its first promotion, waits for the other to hold its own, then saves the other's: a deadlock.
    auto cross = [&](postgresql::postgresql_store& st, std::int64_t mine, std::int64_t other,
                     std::atomic<bool>& holds, const std::atomic<bool>& other_holds) {
        st.transaction([&](store_session& s) {
            ++runs;
            // On the rerun the winner may still hold this row: its commit then
            // moves the version and this save is refused, as compare-and-set should.
            auto p = *s.promotion(mine);
            s.save_promotion(p, p.row_version, t0);
            holds = true;
            wait_until(other_holds);
            auto q = *s.promotion(other);
            s.save_promotion(q, q.row_version, t0);
        });
    };
    background a([&] { cross(*first, one, two, a_holds_one, b_holds_two); });
    background b([&] { cross(*second, two, one, b_holds_two, a_holds_one); });
    a.join();
    b.join();
    // Both, and the victim again (a rerun may itself deadlock once more, within
    // the bounded attempts); neither unit of work failed.
    CHECK(runs >= 3);
    CHECK(runs <= 2 * postgresql::postgresql_attempts);
    // The first to commit saved both promotions.
    CHECK(first->promotion(one)->row_version >= 2);
    CHECK(first->promotion(two)->row_version >= 2);
}

TEST_CASE("a read-only store reads a migrated database, refuses writes, and refuses a database that is no store") {
    postgresql_backend db;
    {
        auto s = db.open();
        s->add_freeze_window(t0, t0 + 24h, "quarterly close", "U0LEAD", t0);
    }
    auto ro = postgresql::open_postgresql_store(db.connection, std::nullopt, postgresql::open_mode::read_only);
    CHECK(ro->freeze_windows().size() == 1);
    CHECK_THROWS_WITH(ro->add_freeze_window(t0, t0 + 1h, "x", "U0LEAD", t0), Catch::Contains("read-only"));
    CHECK(db.integer("SELECT COUNT(*) FROM freeze_windows") == 1);

    postgresql_backend empty;
    CHECK_THROWS_WITH(
        postgresql::open_postgresql_store(empty.connection, std::nullopt, postgresql::open_mode::read_only),
        Catch::Contains("not a promotebot store"));
    CHECK(empty.integer("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'") == 0);
}

TEST_CASE("a database whose schema is newer than this binary knows is refused") {
    postgresql_backend db;
    { auto s = db.open(); }
    db.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
            std::to_string(postgresql::postgresql_schema_version_known() + 1) + ", 0)");
    CHECK_THROWS_WITH(db.open(), Catch::Contains("is newer than this promotebot knows"));
}

TEST_CASE("the audit log refuses UPDATE, DELETE and TRUNCATE, and the bot refuses a log that lost a trigger") {
    postgresql_backend db;
    {
        auto s = postgresql::open_postgresql_store_for_bot(db.connection);
        s->append_audit({"U0A", "step", "request 1", "ok", {}}, t0);
    }
    CHECK_THROWS_WITH(db.exec("UPDATE audit_log SET outcome = 'refused'"), "audit_log is append-only");
    CHECK_THROWS_WITH(db.exec("DELETE FROM audit_log"), "audit_log is append-only");
    CHECK_THROWS_WITH(db.exec("TRUNCATE audit_log"), "audit_log is append-only");
    db.exec("DROP TRIGGER audit_log_no_delete ON audit_log");
    CHECK_THROWS_WITH(postgresql::open_postgresql_store_for_bot(db.connection),
                      Catch::Contains("audit_log_no_delete") && Catch::Contains("restore it from a backup"));
    db.exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
    CHECK(db.open()->audit_protection_problems().size() == 2);
}

TEST_CASE("text PostgreSQL cannot hold (NUL, invalid UTF-8) is stored with U+FFFD and found again by the same key") {
    postgresql_backend db;
    auto s = db.open();
    const std::string key = std::string("event:a\0b", 9) + "\xFF";
    CHECK(s->journal_inbound({key, inbound_kind::event, {{"x", 1}}, t0}));
    CHECK_FALSE(s->journal_inbound({key, inbound_kind::event, {{"x", 1}}, t0}));
    const auto unfinished = s->unfinished_inbound();
    REQUIRE(unfinished.size() == 1);
    CHECK(unfinished[0].key == "event:a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
    s->mark_inbound_done(key, t0);
    CHECK(s->unfinished_inbound().empty());
}

TEST_CASE("a connection string is logged without its password") {
    using postgresql::redacted_connection;
    CHECK(redacted_connection("postgresql://bot:hunter2@db.internal:5432/promotebot") ==
          "postgresql://bot:***@db.internal:5432/promotebot");
    CHECK(redacted_connection("postgres://bot@db.internal/promotebot") == "postgres://bot@db.internal/promotebot");
    CHECK(redacted_connection("postgresql://db.internal/promotebot?sslmode=require&password=hunter2&user=bot") ==
          "postgresql://db.internal/promotebot?sslmode=require&password=***&user=bot");
    CHECK(redacted_connection("postgresql://bot:p%40ss@db:5432/x") == "postgresql://bot:***@db:5432/x");
    CHECK(redacted_connection("host=db user=bot password=hunter2 dbname=x") == "host=db user=bot password=*** dbname=x");
    CHECK(redacted_connection("host=db password = 'hun ter\\'2' dbname=x") == "host=db password = *** dbname=x");
    CHECK(postgresql::is_postgresql_uri("postgresql://x"));
    CHECK(postgresql::is_postgresql_uri("postgres://x"));
    CHECK_FALSE(postgresql::is_postgresql_uri("/var/lib/promotebot/promotebot.db"));
    CHECK_FALSE(postgresql::is_postgresql_uri("postgresql.db"));
}

TEST_CASE("a store that cannot connect names the database without its password") {
    // Port 1 on loopback: refused at once, no server needed.
    try {
        postgresql::open_postgresql_store("postgresql://bot:hunter2@127.0.0.1:1/promotebot?connect_timeout=5");
        FAIL("the store opened");
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        CHECK_THAT(message, Catch::Contains("cannot open store \"postgresql://bot:***@127.0.0.1:1/promotebot"));
        CHECK_THAT(message, !Catch::Contains("hunter2"));
    }
}
