#include <catch2/catch.hpp>

#include "tests/support/store_backends.hpp"

#include "tests/support/raw_db.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "bot/ports/store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"

using namespace promotebot::bot;
using namespace promotebot::sqlite;
using nlohmann::json;
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

const sys_seconds t0 = utc(2026, 11, 27, 9);

stored_rollback rollback_for(const std::string& environment, const std::string& kind,
                             const std::string& state = "proposed", const std::string& source_key = {}) {
    stored_rollback r;
    r.environment = environment;
    r.kind = kind;
    r.state = state;
    r.requested_by = "U0ONCALL";
    r.source_key = source_key;
    r.doc = {{"from", "v1.3.0"},
             {"to", "v1.2.9"},
             {"models", json::array({"orders", "customers"})},
             {"reason", "p95 latency ×3 ✗"}};
    return r;
}

bad_version mark(const std::string& environment, const std::string& version, std::int64_t rollback_id,
                 sys_seconds at, const std::string& by = "U0LEAD") {
    return bad_version{environment, version, by, rollback_id, at};
}

std::vector<std::int64_t> ids_of(const std::vector<stored_rollback>& rs) {
    std::vector<std::int64_t> out;
    for (const auto& r : rs) out.push_back(r.id);
    return out;
}

std::vector<std::string> versions_of(const std::vector<bad_version>& bs) {
    std::vector<std::string> out;
    for (const auto& b : bs) out.push_back(b.version);
    return out;
}

// A store as promotebot wrote it at schema version 7: promotions but no rollbacks.
void make_version_7_store(const std::string& path) {
    {
        auto s = open_sqlite_store(path);
        s->add_freeze_window(utc(2026, 12, 1), utc(2026, 12, 2), "close", "U0LEAD", t0, "trigger:v7");
        s->append_audit({"U0LEAD", "freeze.add", "/freeze add", "ok", json::object()}, t0);
        stored_promotion p;
        p.environment = "prod";
        p.version = "v1.3.0";
        p.state = "succeeded";
        p.requested_by = "U0DEV";
        p.source_key = "trigger:promote";
        s->insert_promotion(p, t0);
    }
    raw_db raw(path);
    raw.exec("BEGIN");
    raw.exec("DROP TABLE rollbacks; DROP TABLE bad_versions");
    // Migration 9's.
    raw.exec("DROP TABLE leases; ALTER TABLE inbox DROP COLUMN holder; ALTER TABLE inbox DROP COLUMN claim_until; "
             "ALTER TABLE outbox DROP COLUMN claimed_by; DROP INDEX outbox_pending_by_key");
    raw.exec("DELETE FROM schema_migrations WHERE version >= 8");
    raw.exec("COMMIT");
}

}  // namespace

TEMPLATE_TEST_CASE("a rollback is stored with its JSON doc and read back the same", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto r = rollback_for("prod", "image", "proposed", "trigger:333.444");
    const auto id = s->insert_rollback(r, t0);
    CHECK(id > 0);
    const auto got = s->rollback(id);
    REQUIRE(got);
    CHECK(got->id == id);
    CHECK(got->environment == "prod");
    CHECK(got->kind == "image");
    CHECK(got->state == "proposed");
    CHECK(got->requested_by == "U0ONCALL");
    CHECK(got->source_key == "trigger:333.444");
    CHECK(got->row_version == 1);
    CHECK(got->doc == r.doc);
    CHECK(got->created_at == t0);
    CHECK(got->updated_at == t0);
    CHECK_FALSE(s->rollback(id + 1));

    // Without a source key the column is NULL, and reads back empty.
    const auto typed = s->insert_rollback(rollback_for("int", "dbt"), t0);
    CHECK(s->rollback(typed)->source_key.empty());
    CHECK(dir.integer("SELECT COUNT(*) FROM rollbacks WHERE source_key IS NULL") == 1);
}

TEMPLATE_TEST_CASE("a rollback missing what queries need, or whose doc is not an object, is refused and not stored", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    auto no_environment = rollback_for("", "image");
    auto no_kind = rollback_for("prod", "");
    auto no_state = rollback_for("prod", "image", "");
    auto no_requester = rollback_for("prod", "image");
    no_requester.requested_by.clear();
    auto array_doc = rollback_for("prod", "image");
    array_doc.doc = json::array({1, 2});
    auto null_doc = rollback_for("prod", "image");
    null_doc.doc = nullptr;
    for (const auto* bad : {&no_environment, &no_kind, &no_state, &no_requester, &array_doc, &null_doc})
        CHECK_THROWS_AS(s->insert_rollback(*bad, t0), std::invalid_argument);
    CHECK(dir.integer("SELECT COUNT(*) FROM rollbacks") == 0);

    const auto id = s->insert_rollback(rollback_for("prod", "image"), t0);
    auto r = *s->rollback(id);
    r.doc = "a string";
    CHECK_THROWS_AS(s->save_rollback(r, 1, t0 + 1min), std::invalid_argument);
    r = *s->rollback(id);
    r.state.clear();
    CHECK_THROWS_AS(s->save_rollback(r, 1, t0 + 1min), std::invalid_argument);
    CHECK(s->rollback(id)->row_version == 1);
}

TEMPLATE_TEST_CASE("a rollback asked for again by the same inbound event gets the first one's ID and changes nothing", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto first = s->insert_rollback(rollback_for("prod", "image", "proposed", "trigger:1"), t0);
    auto replay = rollback_for("int", "infra", "running", "trigger:1");
    replay.doc = {{"replayed", true}};
    CHECK(s->insert_rollback(replay, t0 + 1h) == first);
    const auto got = s->rollback(first);
    REQUIRE(got);
    CHECK(got->environment == "prod");
    CHECK(got->kind == "image");
    CHECK(got->state == "proposed");
    CHECK(got->doc == rollback_for("prod", "image").doc);
    CHECK(got->updated_at == t0);
    CHECK(dir.integer("SELECT COUNT(*) FROM rollbacks") == 1);

    // Rollbacks without a source are never taken for each other.
    const auto a = s->insert_rollback(rollback_for("int", "dbt"), t0);
    const auto b = s->insert_rollback(rollback_for("int", "dbt"), t0);
    CHECK(a != b);
    CHECK(a != first);
    CHECK(dir.integer("SELECT COUNT(*) FROM rollbacks") == 3);
}

TEMPLATE_TEST_CASE("saving a rollback is compare-and-set: a save based on a stale row version is refused and changes nothing", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    // Two connections to one file, as two processes (or a retried unit of work) would have.
    auto first = dir.open();
    auto second = dir.open();
    const auto id = first->insert_rollback(rollback_for("prod", "image", "proposed", "trigger:2"), t0);

    auto mine = *first->rollback(id);
    auto theirs = *second->rollback(id);
    mine.state = "confirmed";
    mine.doc["confirmed_by"] = "U0LEAD";
    CHECK(first->save_rollback(mine, mine.row_version, t0 + 1min));

    theirs.state = "cancelled";
    theirs.doc = {{"cancelled_by", "U0OTHER"}};
    CHECK_FALSE(second->save_rollback(theirs, theirs.row_version, t0 + 2min));

    const auto stored = second->rollback(id);
    REQUIRE(stored);
    CHECK(stored->row_version == 2);
    CHECK(stored->state == "confirmed");
    CHECK(stored->doc == mine.doc);
    CHECK(stored->created_at == t0);
    CHECK(stored->updated_at == t0 + 1min);

    // A save writes state and doc only: what it was asked for, by whom and from where stays.
    theirs = *stored;
    theirs.state = "running";
    theirs.environment = "int";
    theirs.kind = "dbt";
    theirs.requested_by = "U0OTHER";
    theirs.source_key = "trigger:other";
    CHECK(second->save_rollback(theirs, theirs.row_version, t0 + 3min));
    const auto now = first->rollback(id);
    CHECK(now->row_version == 3);
    CHECK(now->state == "running");
    CHECK(now->environment == "prod");
    CHECK(now->kind == "image");
    CHECK(now->requested_by == "U0ONCALL");
    CHECK(now->source_key == "trigger:2");

    CHECK_FALSE(first->save_rollback(theirs, 99, t0 + 4min));
    auto missing = theirs;
    missing.id = id + 100;
    CHECK_FALSE(first->save_rollback(missing, 1, t0 + 4min));
}

TEMPLATE_TEST_CASE("rollbacks in given states come oldest first", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto a = s->insert_rollback(rollback_for("int", "image", "proposed"), t0);
    const auto b = s->insert_rollback(rollback_for("prod", "dbt", "running"), t0);
    const auto c = s->insert_rollback(rollback_for("int", "infra", "succeeded"), t0 + 1min);
    const auto d = s->insert_rollback(rollback_for("prod", "image", "proposed"), t0 + 2min);

    CHECK(ids_of(s->rollbacks_in_states({"proposed", "running"})) == std::vector<std::int64_t>{a, b, d});
    CHECK(ids_of(s->rollbacks_in_states({"running", "proposed"})) == std::vector<std::int64_t>{a, b, d});
    CHECK(ids_of(s->rollbacks_in_states({"succeeded"})) == std::vector<std::int64_t>{c});
    CHECK(s->rollbacks_in_states({"no_such_state"}).empty());
    CHECK(s->rollbacks_in_states({}).empty());
    // A state name is data, not SQL.
    CHECK(s->rollbacks_in_states({"x' OR '1'='1"}).empty());

    // A save moves it between states without changing its age.
    auto moved = *s->rollback(a);
    moved.state = "running";
    REQUIRE(s->save_rollback(moved, moved.row_version, t0 + 1h));
    CHECK(ids_of(s->rollbacks_in_states({"running"})) == std::vector<std::int64_t>{a, b});
    CHECK(ids_of(s->rollbacks_in_states({"proposed"})) == std::vector<std::int64_t>{d});
}

TEMPLATE_TEST_CASE("marking a bad version is idempotent and keeps the first mark", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    CHECK_FALSE(s->bad_version_of("prod", "v1.3.0"));
    s->mark_bad_version(mark("prod", "v1.3.0", 7, t0, "U0LEAD"));
    s->mark_bad_version(mark("prod", "v1.3.0", 9, t0 + 1h, "U0OTHER"));

    const auto got = s->bad_version_of("prod", "v1.3.0");
    REQUIRE(got);
    CHECK(got->environment == "prod");
    CHECK(got->version == "v1.3.0");
    CHECK(got->marked_by == "U0LEAD");
    CHECK(got->rollback_id == 7);
    CHECK(got->marked_at == t0);
    CHECK(s->bad_versions("prod").size() == 1);

    // Per environment: the same version elsewhere is not bad until marked there.
    CHECK_FALSE(s->bad_version_of("int", "v1.3.0"));
    CHECK_FALSE(s->bad_version_of("prod", "v1.2.9"));
    s->mark_bad_version(mark("int", "v1.3.0", 8, t0 + 2h));
    CHECK(s->bad_version_of("int", "v1.3.0")->rollback_id == 8);
    CHECK(s->bad_version_of("prod", "v1.3.0")->rollback_id == 7);

    CHECK_THROWS_AS(s->mark_bad_version(mark("", "v1", 1, t0)), std::invalid_argument);
    CHECK_THROWS_AS(s->mark_bad_version(mark("prod", "", 1, t0)), std::invalid_argument);
    CHECK_THROWS_AS(s->mark_bad_version(mark("prod", "v1", 1, t0, "")), std::invalid_argument);
    CHECK(dir.integer("SELECT COUNT(*) FROM bad_versions") == 2);
}

TEMPLATE_TEST_CASE("bad versions of an environment are listed newest first", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    // Marked out of version order, two in the same second.
    s->mark_bad_version(mark("prod", "v1.1.0", 1, t0 + 1min));
    s->mark_bad_version(mark("prod", "v1.0.0", 2, t0 + 2min));
    s->mark_bad_version(mark("prod", "v1.2.0", 3, t0));
    s->mark_bad_version(mark("int", "v9.0.0", 4, t0 + 1h));
    s->mark_bad_version(mark("prod", "v1.3.0", 5, t0 + 2min));
    // A repeated mark neither moves nor adds one.
    s->mark_bad_version(mark("prod", "v1.2.0", 6, t0 + 3h));

    CHECK(versions_of(s->bad_versions("prod")) == std::vector<std::string>{"v1.3.0", "v1.0.0", "v1.1.0", "v1.2.0"});
    CHECK(versions_of(s->bad_versions("int")) == std::vector<std::string>{"v9.0.0"});
    CHECK(s->bad_versions("staging").empty());
    CHECK(s->bad_versions("").empty());
}

TEST_CASE("rollbacks and bad versions survive closing and reopening the store") {
    temp_dir dir;
    std::int64_t id = 0;
    {
        auto s = open_sqlite_store(dir.file());
        id = s->insert_rollback(rollback_for("prod", "image", "proposed", "trigger:9"), t0);
        auto r = *s->rollback(id);
        r.state = "running";
        r.doc["confirmed_by"] = "U0LEAD";
        REQUIRE(s->save_rollback(r, 1, t0 + 1min));
        s->mark_bad_version(mark("prod", "v1.3.0", id, t0 + 1min));
    }
    auto s = open_sqlite_store(dir.file());
    const auto r = s->rollback(id);
    REQUIRE(r);
    CHECK(r->row_version == 2);
    CHECK(r->state == "running");
    CHECK(r->doc["confirmed_by"] == "U0LEAD");
    CHECK(r->updated_at == t0 + 1min);
    CHECK(ids_of(s->rollbacks_in_states({"running"})) == std::vector<std::int64_t>{id});
    // A replay after the restart still finds it.
    CHECK(s->insert_rollback(rollback_for("prod", "image", "proposed", "trigger:9"), t0 + 5min) == id);
    const auto b = s->bad_version_of("prod", "v1.3.0");
    REQUIRE(b);
    CHECK(b->rollback_id == id);
    CHECK(b->marked_at == t0 + 1min);

    // A read-only open reads them and refuses to change them.
    auto ro = open_sqlite_store(dir.file(), std::nullopt, open_mode::read_only);
    CHECK(ro->rollback(id)->state == "running");
    CHECK(versions_of(ro->bad_versions("prod")) == std::vector<std::string>{"v1.3.0"});
    CHECK_THROWS_WITH(ro->insert_rollback(rollback_for("prod", "dbt"), t0), Catch::Contains("readonly"));
    CHECK_THROWS_WITH(ro->mark_bad_version(mark("prod", "v2", id, t0)), Catch::Contains("readonly"));
}

TEMPLATE_TEST_CASE("a unit of work that throws leaves no rollback, save or bad version behind", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto existing = s->insert_rollback(rollback_for("prod", "image"), t0);
    CHECK_THROWS_WITH(s->transaction([&](store_session& tx) {
        const auto id = tx.insert_rollback(rollback_for("int", "dbt", "running", "trigger:undone"), t0);
        auto r = *tx.rollback(existing);
        r.state = "running";
        REQUIRE(tx.save_rollback(r, 1, t0 + 1min));
        tx.mark_bad_version(mark("prod", "v1.3.0", id, t0));
        throw std::runtime_error("the rollback plan failed to start");
    }),
                      "the rollback plan failed to start");
    CHECK(s->rollback(existing)->row_version == 1);
    CHECK(s->rollback(existing)->state == "proposed");
    CHECK(s->rollbacks_in_states({"running"}).empty());
    CHECK_FALSE(s->bad_version_of("prod", "v1.3.0"));
    CHECK(dir.integer("SELECT COUNT(*) FROM rollbacks") == 1);
}

TEST_CASE("a version-7 store is migrated to rollbacks and bad versions, keeping what it held") {
    temp_dir dir;
    make_version_7_store(dir.file());
    // A read-only command does not migrate it.
    CHECK_THROWS_WITH(open_sqlite_store(dir.file(), std::nullopt, open_mode::read_only),
                      Catch::Contains("has schema version 7"));
    REQUIRE(raw_db(dir.file()).integer("SELECT MAX(version) FROM schema_migrations") == 7);

    auto s = open_sqlite_store(dir.file());
    raw_db raw(dir.file());
    CHECK(raw.integer("SELECT MAX(version) FROM schema_migrations") == sqlite_schema_version_known());
    CHECK(raw.integer("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('rollbacks', "
                      "'bad_versions')") == 2);
    CHECK(s->freeze_window_from_source("trigger:v7"));
    CHECK(s->promotion_from_source("trigger:promote")->version == "v1.3.0");
    CHECK(s->verify_audit().ok);
    CHECK(s->audit_protection_problems().empty());

    const auto id = s->insert_rollback(rollback_for("prod", "image", "proposed", "trigger:rb"), t0);
    CHECK(s->rollback(id)->kind == "image");
    s->mark_bad_version(mark("prod", "v1.3.0", id, t0));
    CHECK(s->bad_version_of("prod", "v1.3.0"));
}
