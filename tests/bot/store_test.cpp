#include <catch2/catch.hpp>

#include "tests/support/store_backends.hpp"

#include "tests/support/raw_db.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>

#include "bot/ports/store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"

using namespace promotebot::bot;
using namespace promotebot::sqlite;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

using promotebot::testing::raw_db;
using promotebot::testing::temp_dir;
using promotebot::testing::postgresql_backend;
using promotebot::testing::sqlite_backend;

namespace {

sys_seconds utc(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
    return sys_seconds{std::chrono::sys_days{std::chrono::year{y} / m / d}} + std::chrono::hours{h} +
           std::chrono::minutes{min};
}

}  // namespace

TEST_CASE("opening a new store file creates every table, records the migrations and turns WAL on") {
    temp_dir dir;
    { auto s = open_sqlite_store(dir.file()); }
    raw_db raw(dir.file());
    const auto tables = raw.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    for (const char* t : {"audit_log", "freeze_windows", "inbox", "outbox", "schema_migrations", "promotions",
                          "deploy_locks", "deployments", "step_output"})
        CHECK(std::find(tables.begin(), tables.end(), t) != tables.end());
    CHECK(raw.integer("SELECT COUNT(*) FROM schema_migrations") == sqlite_schema_version_known());
    CHECK(raw.integer("SELECT MAX(version) FROM schema_migrations") == sqlite_schema_version_known());
    CHECK(raw.integer("SELECT MIN(applied_at) FROM schema_migrations") > 1'700'000'000);
    CHECK(raw.text("PRAGMA journal_mode") == "wal");
}

TEST_CASE("reopening a store applies no migration twice") {
    temp_dir dir;
    { auto s = open_sqlite_store(dir.file()); }
    { auto s = open_sqlite_store(dir.file()); }
    raw_db raw(dir.file());
    CHECK(raw.integer("SELECT COUNT(*) FROM schema_migrations") == sqlite_schema_version_known());
}

TEST_CASE("the store opens its file in WAL mode") {
    temp_dir dir;
    auto s = open_sqlite_store(dir.file());
    raw_db raw(dir.file());
    CHECK(raw.text("PRAGMA journal_mode") == "wal");
}

TEMPLATE_TEST_CASE("reopening the store keeps freeze windows, the audit log and the outbox", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    const auto now = utc(2026, 11, 26, 10);
    std::int64_t window_id = 0;
    {
        auto s = dir.open();
        window_id = s->add_freeze_window(utc(2026, 12, 1), utc(2026, 12, 3), "quarterly close", "U0LEAD", now);
        s->append_audit({"U0LEAD", "freeze.add", "/freeze add 2026-12-01 2026-12-03", "ok", {{"id", window_id}}},
                        now);
        outbox_message m;
        m.channel = "C0RELEASE";
        m.body.header = "Freeze window #1 added";
        s->enqueue_outbox(m, now);
    }
    auto s = dir.open();

    const auto windows = s->freeze_windows();
    REQUIRE(windows.size() == 1);
    CHECK(windows[0].id == window_id);
    CHECK(windows[0].start == utc(2026, 12, 1));
    CHECK(windows[0].end == utc(2026, 12, 3));
    CHECK(windows[0].reason == "quarterly close");
    CHECK(windows[0].created_by == "U0LEAD");
    CHECK(windows[0].created_at == now);

    REQUIRE(s->outbox_pending() == 1);
    const auto due = s->due_outbox(std::chrono::time_point_cast<std::chrono::milliseconds>(now), 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0].message.channel == "C0RELEASE");
    CHECK(due[0].message.body.header == "Freeze window #1 added");

    const auto audit = s->audit_since(utc(2026, 1, 1));
    REQUIRE(audit.size() == 1);
    CHECK(audit[0].entry.action == "freeze.add");
    CHECK(audit[0].entry.detail == json{{"id", window_id}});
    CHECK(s->verify_audit().ok);
}

TEST_CASE("a store file written by a newer promotebot is refused and left untouched") {
    temp_dir dir;
    {
        auto s = open_sqlite_store(dir.file());
        s->add_freeze_window(utc(2026, 12, 1), utc(2026, 12, 2), "close", "U0LEAD", utc(2026, 11, 26));
    }
    const int newer = sqlite_schema_version_known() + 1;
    {
        raw_db raw(dir.file());
        raw.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" + std::to_string(newer) +
                 ", 1795000000)");
    }
    const std::string expected = "store schema version " + std::to_string(newer) +
                                 " is newer than this promotebot knows (" +
                                 std::to_string(sqlite_schema_version_known()) + "); upgrade promotebot";
    CHECK_THROWS_MATCHES(open_sqlite_store(dir.file()), std::runtime_error, Catch::Message(expected));
    raw_db raw(dir.file());
    CHECK(raw.integer("SELECT MAX(version) FROM schema_migrations") == newer);
    CHECK(raw.integer("SELECT COUNT(*) FROM freeze_windows") == 1);
}

TEST_CASE("a store path that cannot be opened is refused with a message naming it") {
    temp_dir dir;
    const std::string path = (dir.path / "no-such-folder" / "promotebot.db").string();
    CHECK_THROWS_WITH(open_sqlite_store(path), Catch::Contains(path));
    CHECK_FALSE(fs::exists(path));
}

TEST_CASE("a file that is not a SQLite database is refused with a message naming it, and left as it was") {
    temp_dir dir;
    const std::string path = dir.file("notes.txt");
    const std::string content(4096, 'x');
    {
        std::ofstream(path, std::ios::binary) << content;
    }
    CHECK_THROWS_WITH(open_sqlite_store(path),
                      Catch::StartsWith("cannot open store \"" + path + "\": ") && Catch::Contains("not a database"));
    std::ifstream in(path, std::ios::binary);
    const std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(after == content);
}

TEMPLATE_TEST_CASE("active freeze windows are listed by start, and removed ones disappear and cannot be removed again", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto now = utc(2026, 11, 26, 9);
    const auto late = s->add_freeze_window(utc(2026, 12, 20), utc(2027, 1, 2), "year end", "U0LEAD", now);
    const auto early = s->add_freeze_window(utc(2026, 12, 1), utc(2026, 12, 2), "audit", "U0LEAD", now);
    const auto middle = s->add_freeze_window(utc(2026, 12, 10), utc(2026, 12, 11), "vendor", "U0OPS", now);

    auto starts = [&] {
        std::vector<std::int64_t> ids;
        for (const auto& w : s->freeze_windows()) ids.push_back(w.id);
        return ids;
    };
    CHECK(starts() == std::vector<std::int64_t>{early, middle, late});

    CHECK(s->remove_freeze_window(middle, "U0LEAD", now + 1h));
    CHECK(starts() == std::vector<std::int64_t>{early, late});
    CHECK_FALSE(s->freeze_window(middle));
    CHECK_FALSE(s->remove_freeze_window(middle, "U0LEAD", now + 2h));
    CHECK_FALSE(s->remove_freeze_window(late + 100, "U0LEAD", now));

    const auto w = s->freeze_window(late);
    REQUIRE(w);
    CHECK(w->reason == "year end");
    CHECK(w->end == utc(2027, 1, 2));

    // The removal is kept for the record: who removed it and when.
    auto& raw = dir;
    CHECK(raw.rows("SELECT removed_by, removed_at FROM freeze_windows WHERE id = " + std::to_string(middle)) ==
          std::vector<std::string>{"U0LEAD|" + std::to_string((now + 1h).time_since_epoch().count())});
}

TEMPLATE_TEST_CASE("a freeze window that does not end after it starts is refused and nothing is stored", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto day = utc(2026, 12, 1);
    CHECK_THROWS_WITH(s->add_freeze_window(day, day, "empty", "U0LEAD", day),
                      "freeze window must end after it starts");
    CHECK_THROWS_AS(s->add_freeze_window(day + 1h, day, "backwards", "U0LEAD", day), std::invalid_argument);
    CHECK_THROWS_WITH(s->add_freeze_window(day, day + 1h, "", "U0LEAD", day), "freeze window reason must not be empty");
    CHECK(s->freeze_windows().empty());
}

TEMPLATE_TEST_CASE("an inbound event is journaled once, stays unfinished until done, and survives a restart", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    const inbox_entry first{"trigger:123.456", inbound_kind::slash_command, json{{"command", "/freeze"}}, utc(2026, 11, 26, 10)};
    {
        auto s = dir.open();
        CHECK(s->journal_inbound(first));
        CHECK_FALSE(s->journal_inbound(first));  // Slack's redelivery
        CHECK(s->journal_inbound({"event:Ev1", inbound_kind::interactive, json::object(), utc(2026, 11, 26, 10, 1)}));
        s->mark_inbound_done("event:Ev1", utc(2026, 11, 26, 10, 2));
    }
    auto s = dir.open();
    auto unfinished = s->unfinished_inbound();
    REQUIRE(unfinished.size() == 1);
    CHECK(unfinished[0].key == first.key);
    CHECK(unfinished[0].kind == inbound_kind::slash_command);
    CHECK(unfinished[0].payload == first.payload);
    CHECK(unfinished[0].received_at == first.received_at);
    // A redelivery after the restart is still recognised.
    CHECK_FALSE(s->journal_inbound(first));
    s->mark_inbound_done(first.key, utc(2026, 11, 26, 10, 3));
    CHECK(s->unfinished_inbound().empty());
    // Pruning forgets finished entries only, and only old ones.
    CHECK(s->journal_inbound({"trigger:open", inbound_kind::slash_command, json::object(), utc(2026, 11, 20)}));
    CHECK(s->prune_inbound(utc(2026, 11, 26, 10, 1)) == 1);
    CHECK(s->unfinished_inbound().size() == 1);
    CHECK_FALSE(s->journal_inbound({"event:Ev1", inbound_kind::interactive, json::object(), utc(2026, 11, 27)}));  // kept
    CHECK(s->journal_inbound({first.key, inbound_kind::slash_command, json::object(), utc(2026, 11, 27)}));  // forgotten
}

TEMPLATE_TEST_CASE("a freeze window remembers the request that added it, even after removal", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto now = utc(2026, 11, 26, 10);
    const auto id = s->add_freeze_window(utc(2026, 12, 1), utc(2026, 12, 2), "close", "U0LEAD", now, "trigger:abc");
    s->add_freeze_window(utc(2026, 12, 3), utc(2026, 12, 4), "typed in the console", "U0LEAD", now);
    auto found = s->freeze_window_from_source("trigger:abc");
    REQUIRE(found);
    CHECK(found->id == id);
    CHECK_FALSE(s->freeze_window_from_source("trigger:other"));
    CHECK_FALSE(s->freeze_window_from_source(""));
    // The same request cannot add a second window.
    CHECK_THROWS(s->add_freeze_window(utc(2026, 12, 5), utc(2026, 12, 6), "again", "U0LEAD", now, "trigger:abc"));
    CHECK(s->remove_freeze_window(id, "U0LEAD", now));
    CHECK(s->freeze_window_from_source("trigger:abc"));
}

TEST_CASE("a read-only open refuses a SQLite file that is not a promotebot store and leaves it unchanged") {
    temp_dir dir;
    const auto path = dir.file("other.db");
    raw_db(path).exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('x')");
    std::ifstream in(path, std::ios::binary);
    const std::string before((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK_THROWS_MATCHES(open_sqlite_store(path, std::nullopt, open_mode::read_only), std::runtime_error,
                         Catch::Message("\"" + path +
                                        "\" is not a promotebot store (it has no schema_migrations table); check the "
                                        "config's `store` key"));
    std::ifstream again(path, std::ios::binary);
    const std::string after((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
    CHECK(after == before);
    CHECK(raw_db(path).integer("SELECT COUNT(*) FROM sqlite_master") == 1);
}

TEST_CASE("a read-only open never creates the file") {
    temp_dir dir;
    const auto path = dir.file();
    CHECK_THROWS_WITH(open_sqlite_store(path, std::nullopt, open_mode::read_only),
                      Catch::StartsWith("cannot open store \"" + path + "\": "));
    CHECK_FALSE(fs::exists(path));
    CHECK_FALSE(fs::exists(path + "-wal"));
}

TEST_CASE("a read-only open refuses a store at another schema version and migrates nothing") {
    temp_dir dir;
    { auto s = open_sqlite_store(dir.file()); }
    const int known = sqlite_schema_version_known();
    raw_db(dir.file()).exec("DELETE FROM schema_migrations WHERE version = " + std::to_string(known));
    CHECK_THROWS_WITH(open_sqlite_store(dir.file(), std::nullopt, open_mode::read_only),
                      Catch::Contains("has schema version " + std::to_string(known - 1)) &&
                          Catch::Contains("a read-only command does not migrate it"));
    CHECK(raw_db(dir.file()).integer("SELECT MAX(version) FROM schema_migrations") == known - 1);

    raw_db(dir.file()).exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                            std::to_string(known + 1) + ", 1795000000)");
    CHECK_THROWS_WITH(open_sqlite_store(dir.file(), std::nullopt, open_mode::read_only),
                      Catch::Contains("is newer than this promotebot knows"));
}

TEST_CASE("a read-only open reads a store without changing its journal mode and refuses writes") {
    temp_dir dir;
    {
        auto s = open_sqlite_store(dir.file());
        s->add_freeze_window(utc(2026, 12, 1), utc(2026, 12, 2), "close", "U0LEAD", utc(2026, 11, 26));
    }
    // A rollback-journal copy, as `VACUUM INTO` makes for a backup.
    const auto copy = dir.file("backup.db");
    raw_db(dir.file()).exec("VACUUM INTO '" + copy + "'");
    REQUIRE(raw_db(copy).text("PRAGMA journal_mode") == "delete");
    std::ifstream in(copy, std::ios::binary);
    const std::string before((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    {
        auto s = open_sqlite_store(copy, std::nullopt, open_mode::read_only);
        CHECK(s->freeze_windows().size() == 1);
        CHECK_THROWS_WITH(
            s->add_freeze_window(utc(2026, 12, 3), utc(2026, 12, 4), "more", "U0LEAD", utc(2026, 11, 26)),
            Catch::Contains("readonly"));
    }
    std::ifstream again(copy, std::ios::binary);
    const std::string after((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
    CHECK(after == before);
    CHECK_FALSE(fs::exists(copy + "-wal"));
}

TEST_CASE("the bot refuses a store whose audit log lost an append-only trigger and names the trigger") {
    temp_dir dir;
    const auto path = dir.file();
    { open_sqlite_store_for_bot(path); }  // a fresh store passes
    {
        raw_db raw{path};
        raw.exec("DROP TRIGGER audit_log_no_delete");
    }
    CHECK_THROWS_WITH(open_sqlite_store_for_bot(path), Catch::Contains("audit_log_no_delete") &&
                                                           !Catch::Contains("audit_log_no_update") &&
                                                           Catch::Contains("refusing to run"));
    // The read-only commands still open it, to verify and export what is left.
    CHECK(open_sqlite_store(path)->audit_protection_problems().size() == 1);
}

TEST_CASE("the bot refuses a store whose append-only trigger was replaced by one that allows changes") {
    temp_dir dir;
    const auto path = dir.file();
    { open_sqlite_store(path); }
    {
        raw_db raw{path};
        raw.exec("DROP TRIGGER audit_log_no_update;"
                 "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT 1; END;");
    }
    CHECK_THROWS_WITH(open_sqlite_store_for_bot(path),
                      Catch::Contains("audit_log_no_update") && Catch::Contains("no longer refuses changes"));
}

TEST_CASE("the bot refuses a store whose audit table is gone") {
    temp_dir dir;
    const auto path = dir.file();
    { open_sqlite_store(path); }
    {
        raw_db raw{path};
        raw.exec("DROP TABLE audit_log");
    }
    CHECK_THROWS_WITH(open_sqlite_store_for_bot(path), Catch::Contains("audit table audit_log is missing"));
}

namespace {
sys_millis ms(sys_seconds t) { return sys_millis{t}; }
}  // namespace

TEMPLATE_TEST_CASE("an unfinished inbound event is taken over only once its holder's claim ended or its holder restarted", "[store][replicas]", sqlite_backend, postgresql_backend) {
    TestType dir;
    const auto t = utc(2026, 11, 26, 10);
    auto a = dir.open();
    auto b = dir.open();  // a second replica on the same store
    inbox_entry e{"trigger:1", inbound_kind::slash_command, json{{"command", "/freeze"}}, t, "pod-a/run1", ms(t + 30s)};
    REQUIRE(a->journal_inbound(e));
    // Replica B sweeps while A is still handling it: nothing to take.
    CHECK(b->claim_unfinished_inbound("pod-b/run1", "pod-b/", ms(t + 10s), ms(t + 40s), 10).empty());
    // A restarted (a new run of pod-a) takes its own entry at once.
    auto again = a->claim_unfinished_inbound("pod-a/run2", "pod-a/", ms(t + 10s), ms(t + 40s), 10);
    REQUIRE(again.size() == 1);
    CHECK(again[0].key == "trigger:1");
    CHECK(again[0].payload == e.payload);
    CHECK(again[0].holder == "pod-a/run2");
    // Its claim now runs to t + 40 s: B cannot take it before, and the same run cannot take it twice.
    CHECK(b->claim_unfinished_inbound("pod-b/run1", "pod-b/", ms(t + 39s), ms(t + 70s), 10).empty());
    CHECK(a->claim_unfinished_inbound("pod-a/run2", "pod-a/", ms(t + 39s), ms(t + 70s), 10).empty());
    // pod-a died: once the claim ended, B takes it, and A's next run does not.
    auto taken = b->claim_unfinished_inbound("pod-b/run1", "pod-b/", ms(t + 40s), ms(t + 70s), 10);
    REQUIRE(taken.size() == 1);
    CHECK(a->claim_unfinished_inbound("pod-a/run3", "pod-a/", ms(t + 41s), ms(t + 71s), 10).empty());
    b->mark_inbound_done("trigger:1", t + 45s);
    CHECK(a->claim_unfinished_inbound("pod-a/run3", "pod-a/", ms(t + 80s), ms(t + 110s), 10).empty());
    // The limit is kept, oldest first.
    for (int i = 0; i < 3; ++i)
        REQUIRE(a->journal_inbound({"event:" + std::to_string(i), inbound_kind::event, json::object(), t + std::chrono::seconds(i), "", {}}));
    auto two = b->claim_unfinished_inbound("pod-b/run1", "pod-b/", ms(t + 90s), ms(t + 120s), 2);
    REQUIRE(two.size() == 2);
    CHECK(two[0].key == "event:0");
    CHECK(two[1].key == "event:1");
}

TEMPLATE_TEST_CASE("an outbox row is claimed by one replica at a time and taken over when the claim ends", "[store][replicas]", sqlite_backend, postgresql_backend) {
    TestType dir;
    const auto t = utc(2026, 11, 26, 10);
    auto a = dir.open();
    auto b = dir.open();
    outbox_message m;
    m.kind = outbox_kind::post;
    m.channel = "C0RELEASE";
    m.body = promotebot::commands::message{};
    const auto id = a->enqueue_outbox(m, t);
    REQUIRE(a->due_outbox(ms(t), 10).size() == 1);
    CHECK(a->outbox_attempt(id, true, ms(t), ms(t + 60s), "pod-a/run1"));
    // Claimed: not due for anyone, and B's claim fails.
    CHECK(b->due_outbox(ms(t + 1s), 10).empty());
    CHECK_FALSE(b->outbox_attempt(id, true, ms(t + 1s), ms(t + 61s), "pod-b/run1"));
    CHECK(b->next_outbox_due() == ms(t + 60s));
    // A died mid-post: at the end of its claim B takes the row, still in doubt.
    auto due = b->due_outbox(ms(t + 60s), 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0].in_doubt);
    CHECK(due[0].attempts == 1);
    CHECK(b->outbox_attempt(id, true, ms(t + 60s), ms(t + 120s), "pod-b/run1"));
    b->outbox_delivered(id, "1700000000.000100", t + 61s);
    CHECK_FALSE(a->outbox_attempt(id, true, ms(t + 200s), ms(t + 260s), "pod-a/run2"));
    CHECK(a->outbox_state_of(id) == outbox_state::delivered);

    // A restarted replica does not wait for its own dead run's claim; another replica's claim stays.
    const auto second = a->enqueue_outbox(m, t + 300s);
    REQUIRE(a->outbox_attempt(second, true, ms(t + 300s), ms(t + 360s), "pod-a/run2"));
    CHECK(b->release_outbox_claims("pod-b/", "pod-b/run2", ms(t + 301s)) == 0);
    CHECK(a->release_outbox_claims("pod-a/", "pod-a/run2", ms(t + 301s)) == 0);  // its own live run
    CHECK(a->release_outbox_claims("pod-a/", "pod-a/run3", ms(t + 301s)) == 1);
    REQUIRE(a->due_outbox(ms(t + 301s), 10).size() == 1);
    CHECK(a->outbox_attempt(second, true, ms(t + 301s), ms(t + 361s), "pod-a/run3"));
}

TEMPLATE_TEST_CASE("a lease is held by one replica, renewed by it, and taken only once it ended or its holder restarted", "[store][replicas]", sqlite_backend, postgresql_backend) {
    TestType dir;
    const auto t = ms(utc(2026, 11, 26, 10));
    auto a = dir.open();
    auto b = dir.open();
    CHECK_FALSE(a->lease("promotion:1"));
    // Nobody holds it: the first taker gets it.
    CHECK(a->take_lease("promotion:1", "pod-a/run1", "pod-a/", t, t + 30s));
    CHECK_FALSE(b->take_lease("promotion:1", "pod-b/run1", "pod-b/", t + 1s, t + 31s));
    CHECK_FALSE(a->take_lease("promotion:1", "pod-a/run1", "pod-a/", t + 1s, t + 31s));  // not its own twice
    a->hold_lease("promotion:2", "pod-a/run1", t + 30s);
    // Renewing extends every lease of the holder and names them.
    CHECK(a->renew_leases("pod-a/run1", t + 50s) == std::vector<std::string>{"promotion:1", "promotion:2"});
    CHECK(b->lease("promotion:1")->until == t + 50s);
    CHECK_FALSE(b->take_lease("promotion:1", "pod-b/run1", "pod-b/", t + 49s, t + 79s));
    // Expired: B takes it, and A's renewal no longer names it.
    CHECK(b->take_lease("promotion:1", "pod-b/run1", "pod-b/", t + 50s, t + 80s));
    CHECK(b->lease("promotion:1")->holder == "pod-b/run1");
    CHECK(a->renew_leases("pod-a/run1", t + 100s) == std::vector<std::string>{"promotion:2"});
    // A restarted: its new run takes its own live lease at once; B cannot.
    CHECK_FALSE(b->take_lease("promotion:2", "pod-b/run1", "pod-b/", t + 61s, t + 91s));
    CHECK(a->take_lease("promotion:2", "pod-a/run2", "pod-a/", t + 61s, t + 91s));
    // Holding overrides whoever held it; releasing forgets it.
    a->hold_lease("promotion:1", "pod-a/run2", t + 90s);
    CHECK(b->renew_leases("pod-b/run1", t + 95s).empty());
    a->release_lease("promotion:1");
    CHECK_FALSE(b->lease("promotion:1"));
    CHECK(b->take_lease("promotion:1", "pod-b/run1", "pod-b/", t + 62s, t + 92s));
}
