#include <catch2/catch.hpp>

#include "tests/support/store_backends.hpp"

#include "tests/support/raw_db.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
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

stored_promotion promotion_for(const std::string& environment, const std::string& version,
                               const std::string& state = "awaiting_signoffs", const std::string& source_key = {}) {
    stored_promotion p;
    p.environment = environment;
    p.version = version;
    p.state = state;
    p.requested_by = "U0DEV";
    p.source_key = source_key;
    p.doc = {{"version", version},
             {"signoffs", json::array({{{"user", "U0QA"}, {"role", "qa"}}})},
             {"change_records", {"CHG-1", "CHG-2"}},
             {"notes", "ünïcode ✓"}};
    return p;
}

deployment_record deployment_for(std::int64_t promotion_id, const std::string& environment,
                                 const std::string& version, sys_seconds started) {
    deployment_record d;
    d.promotion_id = promotion_id;
    d.environment = environment;
    d.version = version;
    d.option = "app";
    d.requested_by = "U0DEV";
    d.approved_by = {"U0LEAD", "U0QA"};
    d.change_records = {"CHG-7"};
    d.gates = json::array({{{"gate", "ci"}, {"ok", true}}});
    d.started_at = started;
    return d;
}

std::vector<std::int64_t> ids_of(const std::vector<stored_promotion>& ps) {
    std::vector<std::int64_t> out;
    for (const auto& p : ps) out.push_back(p.id);
    return out;
}

std::vector<std::int64_t> ids_of(const std::vector<deployment_record>& ds) {
    std::vector<std::int64_t> out;
    for (const auto& d : ds) out.push_back(d.id);
    return out;
}

std::vector<std::string> texts_of(const std::vector<step_output_line>& lines) {
    std::vector<std::string> out;
    for (const auto& l : lines) out.push_back(l.text);
    return out;
}

// Lines "line <from>" to "line <to - 1>"; those numbered from `second_step_from` on belong to step 1.
std::vector<step_output_line> numbered_lines(int from, int to, int second_step_from = 1'000'000) {
    std::vector<step_output_line> out;
    for (int i = from; i < to; ++i) out.push_back({i < second_step_from ? 0 : 1, "out", "line " + std::to_string(i)});
    return out;
}

// The tables of migration 1 that migration 7 replaces, as a version-6 store has them.
constexpr const char* version_6_request_tables = R"sql(
    CREATE TABLE promotion_requests (
        id          INTEGER PRIMARY KEY,
        version     TEXT    NOT NULL,
        target      TEXT    NOT NULL,
        requester   TEXT    NOT NULL,
        state       TEXT    NOT NULL,
        row_version INTEGER NOT NULL,
        detail      TEXT    NOT NULL DEFAULT '{}',
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
    );
    CREATE TABLE request_transitions (
        id          INTEGER PRIMARY KEY,
        request_id  INTEGER NOT NULL REFERENCES promotion_requests(id),
        from_state  TEXT,
        to_state    TEXT    NOT NULL,
        actor       TEXT    NOT NULL,
        detail      TEXT    NOT NULL DEFAULT '{}',
        at          INTEGER NOT NULL
    );
    CREATE TABLE approvals (
        request_id  INTEGER NOT NULL REFERENCES promotion_requests(id),
        kind        TEXT    NOT NULL,
        "user"      TEXT    NOT NULL,
        at          INTEGER NOT NULL,
        UNIQUE (request_id, kind, "user")
    );
    CREATE TABLE deployments (
        id          INTEGER PRIMARY KEY,
        request_id  INTEGER REFERENCES promotion_requests(id),
        env         TEXT    NOT NULL,
        version     TEXT    NOT NULL,
        image       TEXT    NOT NULL,
        who         TEXT    NOT NULL,
        result      TEXT    NOT NULL,
        at          INTEGER NOT NULL,
        finished_at INTEGER
    );
    CREATE INDEX promotion_requests_by_state ON promotion_requests(state);
    CREATE INDEX request_transitions_by_request ON request_transitions(request_id);
    CREATE INDEX deployments_by_env_and_start ON deployments(env, at);
)sql";

// A store as promotebot wrote it at schema version 6, with a freeze window in it.
void make_version_6_store(const std::string& path) {
    {
        auto s = open_sqlite_store(path);
        s->add_freeze_window(utc(2026, 12, 1), utc(2026, 12, 2), "close", "U0LEAD", t0, "trigger:v6");
        s->append_audit({"U0LEAD", "freeze.add", "/freeze add", "ok", json::object()}, t0);
    }
    raw_db raw(path);
    raw.exec("BEGIN");
    raw.exec("DROP TABLE promotions; DROP TABLE deploy_locks; DROP TABLE deployments; DROP TABLE step_output");
    raw.exec("DROP TABLE rollbacks; DROP TABLE bad_versions");  // migration 8's
    // Migration 9's.
    raw.exec("DROP TABLE leases; ALTER TABLE inbox DROP COLUMN holder; ALTER TABLE inbox DROP COLUMN claim_until; "
             "ALTER TABLE outbox DROP COLUMN claimed_by; DROP INDEX outbox_pending_by_key");
    raw.exec(version_6_request_tables);
    raw.exec("DELETE FROM schema_migrations WHERE version >= 7");
    raw.exec("COMMIT");
}

}  // namespace

TEMPLATE_TEST_CASE("a promotion is stored with its JSON doc and read back the same, also after reopening the store", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    const auto p = promotion_for("prod", "v1.2.3", "awaiting_signoffs", "trigger:111.222");
    std::int64_t id = 0;
    {
        auto s = dir.open();
        id = s->insert_promotion(p, t0);
        CHECK(id > 0);
    }
    auto s = dir.open();
    const auto got = s->promotion(id);
    REQUIRE(got);
    CHECK(got->id == id);
    CHECK(got->environment == "prod");
    CHECK(got->version == "v1.2.3");
    CHECK(got->state == "awaiting_signoffs");
    CHECK(got->requested_by == "U0DEV");
    CHECK(got->source_key == "trigger:111.222");
    CHECK(got->row_version == 1);
    CHECK(got->doc == p.doc);
    CHECK(got->created_at == t0);
    CHECK(got->updated_at == t0);
    CHECK_FALSE(s->promotion(id + 1));

    const auto by_source = s->promotion_from_source("trigger:111.222");
    REQUIRE(by_source);
    CHECK(by_source->id == id);
    CHECK_FALSE(s->promotion_from_source("trigger:other"));
    CHECK_FALSE(s->promotion_from_source(""));
}

TEMPLATE_TEST_CASE("a promotion opened again by the same inbound event gets the first one's ID and changes nothing", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto first = s->insert_promotion(promotion_for("int", "v1.0.0", "awaiting_signoffs", "trigger:1"), t0);
    auto replay = promotion_for("prod", "v9.9.9", "deploying", "trigger:1");
    replay.doc = {{"replayed", true}};
    CHECK(s->insert_promotion(replay, t0 + 1h) == first);
    const auto got = s->promotion(first);
    REQUIRE(got);
    CHECK(got->environment == "int");
    CHECK(got->version == "v1.0.0");
    CHECK(got->doc == promotion_for("int", "v1.0.0").doc);
    CHECK(got->updated_at == t0);
    CHECK(s->recent_promotions(10).size() == 1);

    // Promotions without a source (typed in the console) are never taken for each other.
    const auto a = s->insert_promotion(promotion_for("int", "v1.0.1"), t0);
    const auto b = s->insert_promotion(promotion_for("int", "v1.0.1"), t0);
    CHECK(a != b);
    CHECK(s->recent_promotions(10).size() == 3);
    CHECK(dir.integer("SELECT COUNT(*) FROM promotions WHERE source_key IS NULL") == 2);
}

TEMPLATE_TEST_CASE("saving a promotion is compare-and-set: a save based on a stale row version is refused and changes nothing", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    // Two connections to one file, as two processes (or a retried unit of work) would have.
    auto first = dir.open();
    auto second = dir.open();
    const auto id = first->insert_promotion(promotion_for("prod", "v1.2.3"), t0);

    auto mine = *first->promotion(id);
    auto theirs = *second->promotion(id);
    REQUIRE(mine.row_version == 1);
    REQUIRE(theirs.row_version == 1);

    mine.state = "awaiting_approval";
    mine.doc["signoffs"].push_back({{"user", "U0SEC"}, {"role", "security"}});
    CHECK(first->save_promotion(mine, mine.row_version, t0 + 1min));

    theirs.state = "cancelled";
    theirs.version = "v0.0.1";
    theirs.doc = {{"cancelled_by", "U0OTHER"}};
    CHECK_FALSE(second->save_promotion(theirs, theirs.row_version, t0 + 2min));

    const auto stored = second->promotion(id);
    REQUIRE(stored);
    CHECK(stored->row_version == 2);
    CHECK(stored->state == "awaiting_approval");
    CHECK(stored->version == "v1.2.3");
    CHECK(stored->doc == mine.doc);
    CHECK(stored->updated_at == t0 + 1min);
    CHECK(stored->created_at == t0);

    // Read again, the loser can save on top of the winner.
    theirs = *stored;
    theirs.state = "cancelled";
    CHECK(second->save_promotion(theirs, theirs.row_version, t0 + 3min));
    CHECK(first->promotion(id)->row_version == 3);
    CHECK(first->promotion(id)->state == "cancelled");
    CHECK_FALSE(first->save_promotion(theirs, 99, t0 + 4min));
    auto missing = theirs;
    missing.id = id + 100;
    CHECK_FALSE(first->save_promotion(missing, 1, t0 + 4min));
}

TEMPLATE_TEST_CASE("promotions in given states come oldest first and recent promotions newest first", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto a = s->insert_promotion(promotion_for("int", "v1", "awaiting_signoffs"), t0);
    const auto b = s->insert_promotion(promotion_for("prod", "v2", "deploying"), t0);
    const auto c = s->insert_promotion(promotion_for("int", "v3", "succeeded"), t0 + 1min);
    const auto d = s->insert_promotion(promotion_for("prod", "v4", "awaiting_signoffs"), t0 + 2min);

    CHECK(ids_of(s->promotions_in_states({"awaiting_signoffs", "deploying"})) == std::vector<std::int64_t>{a, b, d});
    CHECK(ids_of(s->promotions_in_states({"succeeded"})) == std::vector<std::int64_t>{c});
    CHECK(s->promotions_in_states({"no_such_state"}).empty());
    CHECK(s->promotions_in_states({}).empty());
    // A state name is data, not SQL.
    CHECK(s->promotions_in_states({"x' OR '1'='1"}).empty());

    // A save moves it between states without changing its age.
    auto moved = *s->promotion(a);
    moved.state = "deploying";
    REQUIRE(s->save_promotion(moved, moved.row_version, t0 + 1h));
    CHECK(ids_of(s->promotions_in_states({"deploying"})) == std::vector<std::int64_t>{a, b});

    CHECK(ids_of(s->recent_promotions(10)) == std::vector<std::int64_t>{d, c, b, a});
    CHECK(ids_of(s->recent_promotions(2)) == std::vector<std::int64_t>{d, c});
    CHECK(s->recent_promotions(0).empty());
}

TEMPLATE_TEST_CASE("a deploy lock is held by one promotion per environment and released only by it", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    CHECK_FALSE(s->deploy_lock_of("prod"));

    CHECK(s->acquire_deploy_lock("prod", 1, "U0ALICE", t0));
    // Another promotion is refused and can see who holds it.
    CHECK_FALSE(s->acquire_deploy_lock("prod", 2, "U0BOB", t0 + 1min));
    auto held = s->deploy_lock_of("prod");
    REQUIRE(held);
    CHECK(held->environment == "prod");
    CHECK(held->promotion_id == 1);
    CHECK(held->holder == "U0ALICE");
    CHECK(held->acquired_at == t0);

    // The same promotion asking again (a retried click) still holds it, as first taken.
    CHECK(s->acquire_deploy_lock("prod", 1, "U0CAROL", t0 + 2min));
    CHECK(s->deploy_lock_of("prod")->holder == "U0ALICE");
    CHECK(s->deploy_lock_of("prod")->acquired_at == t0);

    // Another environment has its own lock.
    CHECK(s->acquire_deploy_lock("int", 2, "U0BOB", t0 + 3min));
    const auto all = s->deploy_locks();
    REQUIRE(all.size() == 2);
    CHECK(all[0].environment == "int");
    CHECK(all[0].promotion_id == 2);
    CHECK(all[1].environment == "prod");

    // Releasing by a promotion that does not hold it does nothing.
    s->release_deploy_lock("prod", 2);
    REQUIRE(s->deploy_lock_of("prod"));
    CHECK(s->deploy_lock_of("prod")->promotion_id == 1);

    s->release_deploy_lock("prod", 1);
    CHECK_FALSE(s->deploy_lock_of("prod"));
    CHECK(s->acquire_deploy_lock("prod", 2, "U0BOB", t0 + 4min));
    CHECK(s->deploy_lock_of("prod")->promotion_id == 2);
    CHECK(s->deploy_lock_of("prod")->acquired_at == t0 + 4min);
}

TEMPLATE_TEST_CASE("a deploy lock taken through one connection is refused through another", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto first = dir.open();
    auto second = dir.open();
    CHECK(first->acquire_deploy_lock("prod", 1, "U0ALICE", t0));
    CHECK_FALSE(second->acquire_deploy_lock("prod", 2, "U0BOB", t0));
    CHECK(second->deploy_lock_of("prod")->holder == "U0ALICE");
}

TEMPLATE_TEST_CASE("a deployment is recorded when it starts and completed when it finishes", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    auto record = deployment_for(7, "prod", "v1.2.3", t0);
    record.image_digest = "sha256:started";
    const auto id = s->start_deployment(record);

    auto got = s->deployment(id);
    REQUIRE(got);
    CHECK(got->id == id);
    CHECK(got->promotion_id == 7);
    CHECK(got->environment == "prod");
    CHECK(got->version == "v1.2.3");
    CHECK(got->image_digest == "sha256:started");
    CHECK(got->option == "app");
    CHECK(got->requested_by == "U0DEV");
    CHECK(got->approved_by == std::vector<std::string>{"U0LEAD", "U0QA"});
    CHECK(got->change_records == std::vector<std::string>{"CHG-7"});
    CHECK(got->gates == record.gates);
    CHECK(got->started_at == t0);
    CHECK_FALSE(got->ended_at);
    CHECK(got->result == "running");
    CHECK(got->detail == json::object());

    // An empty digest at the finish keeps the one known.
    const json detail = {{"steps", json::array({{{"name", "push"}, {"ok", true}}})}};
    s->finish_deployment(id, "succeeded", "", t0 + 5min, detail);
    got = s->deployment(id);
    REQUIRE(got);
    CHECK(got->result == "succeeded");
    CHECK(got->image_digest == "sha256:started");
    CHECK(got->ended_at == t0 + 5min);
    CHECK(got->detail == detail);

    // A finished record is kept as it is.
    CHECK_THROWS_WITH(s->finish_deployment(id, "failed", "sha256:other", t0 + 6min, json::object()),
                      Catch::Contains("already finished"));
    CHECK(s->deployment(id)->result == "succeeded");
    CHECK_THROWS_AS(s->finish_deployment(id + 1, "failed", "", t0, json::object()), std::invalid_argument);

    const auto other = s->start_deployment(deployment_for(8, "prod", "v1.2.4", t0 + 1h));
    CHECK_THROWS_AS(s->finish_deployment(other, "running", "", t0 + 2h, json::object()), std::invalid_argument);
    CHECK_THROWS_AS(s->finish_deployment(other, "exploded", "", t0 + 2h, json::object()), std::invalid_argument);
    s->finish_deployment(other, "failed", "sha256:pushed", t0 + 2h, json::object());
    CHECK(s->deployment(other)->image_digest == "sha256:pushed");
    CHECK(s->deployment(other)->result == "failed");

    auto bad = deployment_for(9, "prod", "v1", t0);
    bad.result = "exploded";
    CHECK_THROWS_AS(s->start_deployment(bad), std::invalid_argument);
    CHECK_FALSE(s->deployment(other + 1));
}

TEMPLATE_TEST_CASE("deployments are listed newest first, by environment, and the last successful one is found", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto start = [&](std::int64_t promotion, const std::string& env, const std::string& version,
                           const std::string& result, int minute) {
        const auto id = s->start_deployment(deployment_for(promotion, env, version, t0 + std::chrono::minutes{minute}));
        if (result != "running")
            s->finish_deployment(id, result, "sha256:" + version, t0 + std::chrono::minutes{minute + 1},
                                 json::object());
        return id;
    };
    const auto p1 = start(1, "prod", "v1", "succeeded", 0);
    const auto i1 = start(2, "int", "v2", "succeeded", 1);
    const auto p2 = start(3, "prod", "v2", "succeeded", 2);
    const auto p3 = start(4, "prod", "v3", "failed", 3);
    const auto rollback = start(0, "prod", "v2", "cancelled", 4);
    const auto p4 = start(5, "prod", "v4", "running", 5);

    CHECK(ids_of(s->deployments("prod", 10)) == std::vector<std::int64_t>{p4, rollback, p3, p2, p1});
    CHECK(ids_of(s->deployments("prod", 2)) == std::vector<std::int64_t>{p4, rollback});
    CHECK(ids_of(s->deployments("int", 10)) == std::vector<std::int64_t>{i1});
    CHECK(ids_of(s->deployments("", 3)) == std::vector<std::int64_t>{p4, rollback, p3});
    CHECK(s->deployments("", 10).size() == 6);
    CHECK(s->deployments("staging", 10).empty());
    CHECK(s->deployments("prod", 0).empty());

    // Failed, cancelled and running ones do not count.
    auto last = s->last_successful_deployment("prod");
    REQUIRE(last);
    CHECK(last->id == p2);
    last = s->last_successful_deployment("prod", "v1");
    REQUIRE(last);
    CHECK(last->id == p1);
    CHECK_FALSE(s->last_successful_deployment("prod", "v3"));
    CHECK_FALSE(s->last_successful_deployment("prod", "v4"));
    CHECK(s->last_successful_deployment("int")->id == i1);
    CHECK_FALSE(s->last_successful_deployment("staging"));

    CHECK(s->deployment_of_promotion(3)->id == p2);
    CHECK(s->deployment_of_promotion(5)->id == p4);
    CHECK_FALSE(s->deployment_of_promotion(6));
    CHECK_FALSE(s->deployment_of_promotion(0));  // a rollback belongs to no promotion
    // Should a promotion run its steps twice, the newest run is its deployment.
    const auto again = start(4, "prod", "v3", "succeeded", 10);
    CHECK(s->deployment_of_promotion(4)->id == again);
}

TEMPLATE_TEST_CASE("step output comes back in the order it was written, for all steps or one", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    s->append_step_output(1, {{0, "out", "building"}, {0, "err", "warning: x"}}, t0);
    s->append_step_output(2, {{0, "out", "other promotion"}}, t0);
    s->append_step_output(1, {{1, "out", "pushing"}, {0, "out", "late line of step 0"}, {1, "out", ""}}, t0 + 1s);
    s->append_step_output(1, {}, t0 + 2s);

    const auto all = s->step_output(1);
    REQUIRE(all.size() == 5);
    CHECK(texts_of(all) ==
          std::vector<std::string>{"building", "warning: x", "pushing", "late line of step 0", ""});
    CHECK(all[1].stream == "err");
    CHECK(all[1].step == 0);
    CHECK(all[2].step == 1);
    CHECK(texts_of(s->step_output(1, 0)) == std::vector<std::string>{"building", "warning: x", "late line of step 0"});
    CHECK(texts_of(s->step_output(1, 1)) == std::vector<std::string>{"pushing", ""});
    CHECK(s->step_output(1, 2).empty());
    CHECK(texts_of(s->step_output(2)) == std::vector<std::string>{"other promotion"});
    CHECK(s->step_output(3).empty());

    // Lines the schema would not know how to read back are refused whole.
    CHECK_THROWS_AS(s->append_step_output(1, {{0, "out", "ok"}, {0, "stdout", "bad"}}, t0), std::invalid_argument);
    CHECK_THROWS_AS(s->append_step_output(1, {{-1, "out", "bad"}}, t0), std::invalid_argument);
    CHECK(s->step_output(1).size() == 5);
}

TEMPLATE_TEST_CASE("a long output line is cut at 8 KiB on a character boundary and invalid UTF-8 is replaced", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const std::string ellipsis = "\xE2\x80\xA6";
    // Two-byte characters: 8 KiB minus the ellipsis falls in the middle of one.
    std::string wide;
    while (wide.size() < 100'000) wide += "\xC3\xA9";
    const std::string exact(step_output_line_bytes, 'a');
    s->append_step_output(1,
                          {{0, "out", std::string(50'000, 'x')},
                           {0, "out", wide},
                           {0, "out", exact},
                           {0, "err", "bad \xFF byte"}},
                          t0);
    const auto lines = s->step_output(1);
    REQUIRE(lines.size() == 4);

    CHECK(lines[0].text.size() == step_output_line_bytes);
    CHECK(lines[0].text == std::string(step_output_line_bytes - ellipsis.size(), 'x') + ellipsis);

    CHECK(lines[1].text.size() <= step_output_line_bytes);
    CHECK(lines[1].text.size() > step_output_line_bytes - 8);
    const auto body = lines[1].text.substr(0, lines[1].text.size() - ellipsis.size());
    CHECK(lines[1].text.substr(body.size()) == ellipsis);
    CHECK(body.size() % 2 == 0);
    CHECK(body == wide.substr(0, body.size()));

    CHECK(lines[2].text == exact);  // exactly 8 KiB is kept whole
    CHECK(lines[3].text == "bad \xEF\xBF\xBD byte");
}

TEMPLATE_TEST_CASE("a promotion's step output keeps its first and newest lines and says how many were dropped", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const int head = static_cast<int>(step_output_head_lines);
    const int tail = static_cast<int>(step_output_tail_lines);
    const int total = head + tail + 5'000;
    // In batches as a runner flushes them, the cut moving along with every batch past the limit.
    for (int from = 0; from < total; from += 997)
        s->append_step_output(1, numbered_lines(from, std::min(from + 997, total), total - tail), t0);
    // The same lines in one call.
    s->append_step_output(2, numbered_lines(0, total), t0);

    for (const std::int64_t promotion : {1, 2}) {
        const auto lines = s->step_output(promotion);
        REQUIRE(lines.size() == static_cast<std::size_t>(head + tail + 1));
        CHECK(lines.front().text == "line 0");
        CHECK(lines[static_cast<std::size_t>(head - 1)].text == "line " + std::to_string(head - 1));
        const auto& marker = lines[static_cast<std::size_t>(head)];
        CHECK(marker.text == "\xE2\x80\xA6 output truncated: 5000 lines dropped");
        CHECK(marker.stream == "err");
        CHECK(lines[static_cast<std::size_t>(head + 1)].text == "line " + std::to_string(total - tail));
        CHECK(lines.back().text == "line " + std::to_string(total - 1));
    }
    // The marker belongs to the step of the last line dropped.
    const auto step_0 = s->step_output(1, 0);
    CHECK(step_0.back().text == "\xE2\x80\xA6 output truncated: 5000 lines dropped");
    CHECK(step_0.size() == static_cast<std::size_t>(head + 1));

    // More output moves the cut: still the same number of lines, one marker.
    s->append_step_output(1, numbered_lines(total, total + 3, 0), t0 + 1min);
    const auto lines = s->step_output(1);
    CHECK(lines.size() == static_cast<std::size_t>(head + tail + 1));
    CHECK(lines[static_cast<std::size_t>(head)].text == "\xE2\x80\xA6 output truncated: 5003 lines dropped");
    CHECK(lines.back().text == "line " + std::to_string(total + 2));
    CHECK(dir.integer("SELECT COUNT(*) FROM step_output WHERE promotion_id = 1") == head + tail + 1);
    CHECK(dir.integer("SELECT COUNT(*) FROM step_output WHERE text LIKE '%output truncated%'") == 2);
}

TEMPLATE_TEST_CASE("promotions, locks, deployments and step output survive closing and reopening the store", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    std::int64_t promotion_id = 0;
    std::int64_t deployment_id = 0;
    {
        auto s = dir.open();
        promotion_id = s->insert_promotion(promotion_for("prod", "v2.0.0", "deploying", "trigger:9"), t0);
        auto p = *s->promotion(promotion_id);
        p.doc["approved_by"] = "U0LEAD";
        REQUIRE(s->save_promotion(p, 1, t0 + 1min));
        REQUIRE(s->acquire_deploy_lock("prod", promotion_id, "U0LEAD", t0 + 1min));
        deployment_id = s->start_deployment(deployment_for(promotion_id, "prod", "v2.0.0", t0 + 2min));
        s->append_step_output(promotion_id, {{0, "out", "first"}, {1, "err", "second"}}, t0 + 3min);
    }
    auto s = dir.open();
    const auto p = s->promotion(promotion_id);
    REQUIRE(p);
    CHECK(p->row_version == 2);
    CHECK(p->doc["approved_by"] == "U0LEAD");
    CHECK(p->updated_at == t0 + 1min);
    CHECK(s->promotion_from_source("trigger:9")->id == promotion_id);
    CHECK(ids_of(s->promotions_in_states({"deploying"})) == std::vector<std::int64_t>{promotion_id});
    CHECK(s->deploy_lock_of("prod")->promotion_id == promotion_id);
    CHECK_FALSE(s->acquire_deploy_lock("prod", promotion_id + 1, "U0BOB", t0 + 5min));
    const auto d = s->deployment_of_promotion(promotion_id);
    REQUIRE(d);
    CHECK(d->id == deployment_id);
    CHECK(d->result == "running");
    CHECK(texts_of(s->step_output(promotion_id)) == std::vector<std::string>{"first", "second"});
    // Numbering continues after the restart.
    s->append_step_output(promotion_id, {{1, "out", "third"}}, t0 + 6min);
    CHECK(texts_of(s->step_output(promotion_id)) == std::vector<std::string>{"first", "second", "third"});
}

TEMPLATE_TEST_CASE("a unit of work that throws leaves no promotion, save, lock, deployment or output behind", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto existing = s->insert_promotion(promotion_for("int", "v1"), t0);
    CHECK_THROWS_WITH(s->transaction([&](store_session& tx) {
        const auto id = tx.insert_promotion(promotion_for("prod", "v2", "deploying", "trigger:rolled-back"), t0);
        auto p = *tx.promotion(existing);
        p.state = "deploying";
        REQUIRE(tx.save_promotion(p, 1, t0 + 1min));
        REQUIRE(tx.acquire_deploy_lock("prod", id, "U0LEAD", t0));
        tx.start_deployment(deployment_for(id, "prod", "v2", t0));
        tx.append_step_output(id, numbered_lines(0, 10), t0);
        throw std::runtime_error("the step runner failed to start");
    }),
                      "the step runner failed to start");

    CHECK(ids_of(s->recent_promotions(10)) == std::vector<std::int64_t>{existing});
    CHECK(s->promotion(existing)->row_version == 1);
    CHECK(s->promotion(existing)->state == "awaiting_signoffs");
    CHECK_FALSE(s->promotion_from_source("trigger:rolled-back"));
    CHECK(s->deploy_locks().empty());
    CHECK(s->deployments("", 10).empty());
    auto& raw = dir;
    CHECK(raw.integer("SELECT COUNT(*) FROM step_output") == 0);

    // The same work without the throw commits whole.
    std::int64_t id = 0;
    s->transaction([&](store_session& tx) {
        id = tx.insert_promotion(promotion_for("prod", "v2", "deploying", "trigger:rolled-back"), t0);
        REQUIRE(tx.acquire_deploy_lock("prod", id, "U0LEAD", t0));
    });
    CHECK(s->promotion_from_source("trigger:rolled-back")->id == id);
    CHECK(s->deploy_lock_of("prod")->promotion_id == id);
}

TEST_CASE("a read-only open reads promotions and deployments and refuses to change them") {
    temp_dir dir;
    std::int64_t id = 0;
    {
        auto s = open_sqlite_store(dir.file());
        id = s->insert_promotion(promotion_for("prod", "v1"), t0);
        s->start_deployment(deployment_for(id, "prod", "v1", t0));
    }
    auto s = open_sqlite_store(dir.file(), std::nullopt, open_mode::read_only);
    CHECK(s->promotion(id)->version == "v1");
    CHECK(s->deployments("prod", 5).size() == 1);
    CHECK_THROWS_WITH(s->insert_promotion(promotion_for("prod", "v2"), t0), Catch::Contains("readonly"));
    CHECK_THROWS_WITH(s->acquire_deploy_lock("prod", id, "U0LEAD", t0), Catch::Contains("readonly"));
}

TEST_CASE("a version-6 store is migrated to promotions and deployment records, keeping what it held") {
    temp_dir dir;
    make_version_6_store(dir.file());
    // A read-only command does not migrate it.
    CHECK_THROWS_WITH(open_sqlite_store(dir.file(), std::nullopt, open_mode::read_only),
                      Catch::Contains("has schema version 6"));
    REQUIRE(raw_db(dir.file()).integer("SELECT MAX(version) FROM schema_migrations") == 6);

    auto s = open_sqlite_store(dir.file());
    raw_db raw(dir.file());
    CHECK(raw.integer("SELECT MAX(version) FROM schema_migrations") == sqlite_schema_version_known());
    CHECK(raw.integer("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('promotion_requests', "
                      "'request_transitions', 'approvals')") == 0);
    CHECK(s->freeze_window_from_source("trigger:v6"));
    CHECK(s->audit_since(utc(2026, 1, 1)).size() == 1);
    CHECK(s->verify_audit().ok);
    CHECK(s->audit_protection_problems().empty());

    const auto id = s->insert_promotion(promotion_for("prod", "v1"), t0);
    CHECK(s->acquire_deploy_lock("prod", id, "U0LEAD", t0));
    const auto d = s->start_deployment(deployment_for(id, "prod", "v1", t0));
    CHECK(s->deployment(d)->promotion_id == id);
    s->append_step_output(id, {{0, "out", "ok"}}, t0);
    CHECK(s->step_output(id).size() == 1);
}

TEST_CASE("migration 7 refuses a store whose old request tables hold rows and changes nothing") {
    temp_dir dir;
    make_version_6_store(dir.file());
    raw_db(dir.file()).exec(
        "INSERT INTO promotion_requests (version, target, requester, state, row_version, created_at, updated_at) "
        "VALUES ('v1', 'prod', 'U0DEV', 'open', 1, 1795000000, 1795000000)");
    CHECK_THROWS_WITH(open_sqlite_store(dir.file()),
                      Catch::Contains("applying schema migration 7") &&
                          Catch::Contains("unused_request_tables_of_migration_1_must_be_empty"));
    raw_db raw(dir.file());
    CHECK(raw.integer("SELECT MAX(version) FROM schema_migrations") == 6);
    CHECK(raw.integer("SELECT COUNT(*) FROM promotion_requests") == 1);
    CHECK(raw.integer("SELECT COUNT(*) FROM sqlite_master WHERE name = 'promotions'") == 0);
    CHECK(raw.integer("SELECT COUNT(*) FROM freeze_windows") == 1);
}
