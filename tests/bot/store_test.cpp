#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>

#include <sqlite3.h>

#include "bot/ports/store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"

using namespace promotebot::bot;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

using promotebot::testing::temp_dir;

namespace {


// Direct access to the file, as an operator with the sqlite3 shell would have.
struct raw_db {
    sqlite3* db = nullptr;
    explicit raw_db(const std::string& path) {
        if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) throw std::runtime_error("cannot open " + path);
    }
    ~raw_db() { sqlite3_close(db); }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;

    void exec(const std::string& sql) {
        char* error = nullptr;
        if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            std::string message = error ? error : "unknown error";
            sqlite3_free(error);
            throw std::runtime_error(message);
        }
    }
    std::string text(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        std::string out;
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
            out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        return out;
    }
    std::int64_t integer(const std::string& sql) { return std::stoll(text(sql)); }
    // Every row, its columns joined by '|' (NULL shown as "NULL").
    std::vector<std::string> rows(const std::string& sql) {
        sqlite3_stmt* s = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
        std::vector<std::string> out;
        while (sqlite3_step(s) == SQLITE_ROW) {
            std::string row;
            for (int c = 0; c < sqlite3_column_count(s); ++c) {
                if (c) row += '|';
                const auto* t = sqlite3_column_text(s, c);
                row += t ? reinterpret_cast<const char*>(t) : "NULL";
            }
            out.push_back(row);
        }
        sqlite3_finalize(s);
        return out;
    }
};

sys_seconds utc(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
    return sys_seconds{std::chrono::sys_days{std::chrono::year{y} / m / d}} + std::chrono::hours{h} +
           std::chrono::minutes{min};
}

promotion_row prod_request(const std::string& version) {
    promotion_row r;
    r.version = version;
    r.target = "prod";
    r.requester = "U0REQUESTER";
    r.state = "awaiting_signoff";
    r.detail = {{"ticket", "REL-42"}, {"images", json::array({"etl:1.4.2"})}};
    return r;
}

deployment_row deployment(const std::string& env, const std::string& version, sys_seconds at,
                          const std::string& result = "running") {
    deployment_row d;
    d.env = env;
    d.version = version;
    d.image = "europe-docker.pkg.dev/markets/etl:" + version;
    d.who = "U0DEPLOYER";
    d.result = result;
    d.at = at;
    return d;
}

}  // namespace

TEST_CASE("opening a new store file creates every table, records the migrations and turns WAL on") {
    temp_dir dir;
    { auto s = open_sqlite_store(dir.file()); }
    raw_db raw(dir.file());
    const auto tables = raw.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    for (const char* t : {"approvals", "audit_log", "deployments", "freeze_windows", "promotion_requests",
                          "request_transitions", "schema_migrations"})
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

TEST_CASE("the store opens connections in WAL mode with foreign keys enforced") {
    temp_dir dir;
    auto s = open_sqlite_store(dir.file());
    // A deployment pointing at a request that does not exist is refused by the foreign key.
    auto d = deployment("prod", "1.4.2", utc(2026, 11, 26, 10));
    d.request_id = 999;
    CHECK_THROWS_WITH(s->record_deployment(d), "deployment for unknown request 999");
    CHECK(s->deployments("prod", 10).empty());
    raw_db raw(dir.file());
    CHECK(raw.text("PRAGMA journal_mode") == "wal");
}

TEST_CASE("reopening the store keeps freeze windows, requests, approvals, deployments and the audit log") {
    temp_dir dir;
    const auto now = utc(2026, 11, 26, 10);
    std::int64_t window_id = 0, request_id = 0, deployment_id = 0;
    {
        auto s = open_sqlite_store(dir.file());
        window_id = s->add_freeze_window(utc(2026, 12, 1), utc(2026, 12, 3), "quarterly close", "U0LEAD", now);
        request_id = s->create_request(prod_request("1.4.2"), now);
        REQUIRE(s->transition_request(request_id, 1, "approved", "U0LEAD", {{"by", "sign-off"}}, now));
        s->add_approval(request_id, "signoff", "U0LEAD", now);
        s->add_approval(request_id, "oncall", "U0ONCALL", now);
        auto d = deployment("prod", "1.4.2", now);
        d.request_id = request_id;
        deployment_id = s->record_deployment(d);
        s->finish_deployment(deployment_id, "succeeded");
        s->append_audit({"U0LEAD", "freeze.add", "/freeze add 2026-12-01 2026-12-03", "ok", {{"id", window_id}}},
                        now);
    }
    auto s = open_sqlite_store(dir.file());

    const auto windows = s->freeze_windows();
    REQUIRE(windows.size() == 1);
    CHECK(windows[0].id == window_id);
    CHECK(windows[0].start == utc(2026, 12, 1));
    CHECK(windows[0].end == utc(2026, 12, 3));
    CHECK(windows[0].reason == "quarterly close");
    CHECK(windows[0].created_by == "U0LEAD");
    CHECK(windows[0].created_at == now);

    const auto r = s->request(request_id);
    REQUIRE(r);
    CHECK(r->version == "1.4.2");
    CHECK(r->target == "prod");
    CHECK(r->requester == "U0REQUESTER");
    CHECK(r->state == "approved");
    CHECK(r->row_version == 2);
    CHECK(r->detail == json{{"ticket", "REL-42"}, {"images", json::array({"etl:1.4.2"})}});
    CHECK(r->created_at == now);

    CHECK(s->approvals(request_id) ==
          std::vector<std::pair<std::string, std::string>>{{"signoff", "U0LEAD"}, {"oncall", "U0ONCALL"}});

    const auto deps = s->deployments("prod", 5);
    REQUIRE(deps.size() == 1);
    CHECK(deps[0].id == deployment_id);
    CHECK(deps[0].request_id == request_id);
    CHECK(deps[0].result == "succeeded");
    CHECK(deps[0].image == "europe-docker.pkg.dev/markets/etl:1.4.2");
    CHECK(deps[0].at == now);

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
    {
        raw_db raw(dir.file());
        raw.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (7, 1795000000)");
    }
    const std::string expected = "store schema version 7 is newer than this promotebot knows (" +
                                 std::to_string(sqlite_schema_version_known()) + "); upgrade promotebot";
    CHECK_THROWS_MATCHES(open_sqlite_store(dir.file()), std::runtime_error, Catch::Message(expected));
    raw_db raw(dir.file());
    CHECK(raw.integer("SELECT MAX(version) FROM schema_migrations") == 7);
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

TEST_CASE("a request moves only from the version it was read at") {
    temp_dir dir;
    auto s = open_sqlite_store(dir.file());
    const auto t0 = utc(2026, 11, 26, 10);
    const auto id = s->create_request(prod_request("1.4.2"), t0);
    const auto fresh = s->request(id);
    REQUIRE(fresh);
    CHECK(fresh->state == "awaiting_signoff");

    SECTION("the first writer wins; a second writer holding the same version is refused and changes nothing") {
        CHECK(s->transition_request(id, fresh->row_version, "approved", "U0LEAD", {{"signoffs", 2}}, t0 + 60s));
        CHECK_FALSE(s->transition_request(id, fresh->row_version, "cancelled", "U0REQUESTER", {}, t0 + 61s));
        const auto now = s->request(id);
        CHECK(now->state == "approved");
        CHECK(now->row_version == fresh->row_version + 1);
        CHECK(now->updated_at == t0 + 60s);

        raw_db raw(dir.file());
        CHECK(raw.rows("SELECT from_state, to_state, actor, detail, at FROM request_transitions "
                       "WHERE request_id = " + std::to_string(id) + " ORDER BY id") ==
              std::vector<std::string>{
                  "NULL|awaiting_signoff|U0REQUESTER|{}|" + std::to_string(t0.time_since_epoch().count()),
                  "awaiting_signoff|approved|U0LEAD|{\"signoffs\":2}|" +
                      std::to_string((t0 + 60s).time_since_epoch().count())});
    }
    SECTION("a chain of transitions each needs the latest version") {
        CHECK(s->transition_request(id, 1, "approved", "U0LEAD", {}, t0));
        CHECK(s->transition_request(id, 2, "deploying", "system", {}, t0));
        CHECK_FALSE(s->transition_request(id, 2, "failed", "system", {}, t0));
        CHECK(s->transition_request(id, 3, "succeeded", "system", {}, t0));
        CHECK(s->request(id)->state == "succeeded");
        CHECK(s->request(id)->row_version == 4);
    }
    SECTION("an unknown request cannot be transitioned") {
        CHECK_FALSE(s->transition_request(id + 100, 1, "approved", "U0LEAD", {}, t0));
        raw_db raw(dir.file());
        CHECK(raw.integer("SELECT COUNT(*) FROM request_transitions") == 1);
    }
    SECTION("a transition with a non-object detail is refused before anything changes") {
        CHECK_THROWS_WITH(s->transition_request(id, 1, "approved", "U0LEAD", json::array({1}), t0),
                          "transition detail must be a JSON object, not array");
        CHECK(s->request(id)->row_version == 1);
    }
}

TEST_CASE("requests are found by state, lowest id first") {
    temp_dir dir;
    auto s = open_sqlite_store(dir.file());
    const auto t0 = utc(2026, 11, 26, 10);
    const auto a = s->create_request(prod_request("1.0.0"), t0);
    const auto b = s->create_request(prod_request("1.0.1"), t0);
    const auto c = s->create_request(prod_request("1.0.2"), t0);
    REQUIRE(s->transition_request(b, 1, "deploying", "system", {}, t0));
    REQUIRE(s->transition_request(c, 1, "succeeded", "system", {}, t0));

    auto ids = [](const std::vector<promotion_row>& rows) {
        std::vector<std::int64_t> out;
        for (const auto& r : rows) out.push_back(r.id);
        return out;
    };
    CHECK(ids(s->requests_in_states({"deploying", "awaiting_signoff"})) == std::vector<std::int64_t>{a, b});
    CHECK(ids(s->requests_in_states({"succeeded", "succeeded"})) == std::vector<std::int64_t>{c});
    CHECK(s->requests_in_states({"cancelled"}).empty());
    CHECK(s->requests_in_states({}).empty());
    CHECK_FALSE(s->request(c + 1));
}

TEST_CASE("a request missing its version is refused with a precise message") {
    temp_dir dir;
    auto s = open_sqlite_store(dir.file());
    auto r = prod_request("");
    CHECK_THROWS_AS(s->create_request(r, utc(2026, 11, 26)), std::invalid_argument);
    CHECK_THROWS_WITH(s->create_request(r, utc(2026, 11, 26)), "request version must not be empty");
    CHECK(s->requests_in_states({"awaiting_signoff"}).empty());
}

TEST_CASE("active freeze windows are listed by start, and removed ones disappear and cannot be removed again") {
    temp_dir dir;
    auto s = open_sqlite_store(dir.file());
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
    raw_db raw(dir.file());
    CHECK(raw.rows("SELECT removed_by, removed_at FROM freeze_windows WHERE id = " + std::to_string(middle)) ==
          std::vector<std::string>{"U0LEAD|" + std::to_string((now + 1h).time_since_epoch().count())});
}

TEST_CASE("a freeze window that does not end after it starts is refused and nothing is stored") {
    temp_dir dir;
    auto s = open_sqlite_store(dir.file());
    const auto day = utc(2026, 12, 1);
    CHECK_THROWS_WITH(s->add_freeze_window(day, day, "empty", "U0LEAD", day),
                      "freeze window must end after it starts");
    CHECK_THROWS_AS(s->add_freeze_window(day + 1h, day, "backwards", "U0LEAD", day), std::invalid_argument);
    CHECK_THROWS_WITH(s->add_freeze_window(day, day + 1h, "", "U0LEAD", day), "freeze window reason must not be empty");
    CHECK(s->freeze_windows().empty());
}

TEST_CASE("deployments are listed newest first per environment and finish exactly once") {
    temp_dir dir;
    auto s = open_sqlite_store(dir.file());
    const auto t0 = utc(2026, 11, 26, 10);
    const auto first = s->record_deployment(deployment("prod", "1.4.0", t0, "succeeded"));
    const auto second = s->record_deployment(deployment("prod", "1.4.1", t0 + 1h, "failed"));
    const auto third = s->record_deployment(deployment("prod", "1.4.2", t0 + 2h));
    s->record_deployment(deployment("int", "1.5.0", t0 + 3h));

    auto versions = [&](const std::string& env, int limit) {
        std::vector<std::string> out;
        for (const auto& d : s->deployments(env, limit)) out.push_back(d.version);
        return out;
    };
    CHECK(versions("prod", 10) == std::vector<std::string>{"1.4.2", "1.4.1", "1.4.0"});
    CHECK(versions("prod", 2) == std::vector<std::string>{"1.4.2", "1.4.1"});
    CHECK(versions("int", 10) == std::vector<std::string>{"1.5.0"});
    CHECK(s->deployments("prod", 1)[0].id == third);
    CHECK_FALSE(s->deployments("prod", 1)[0].request_id);

    s->finish_deployment(third, "succeeded");
    CHECK(s->deployments("prod", 1)[0].result == "succeeded");
    CHECK_THROWS_WITH(s->finish_deployment(third, "failed"),
                      "deployment " + std::to_string(third) + " already finished as \"succeeded\"");
    CHECK_THROWS_WITH(s->finish_deployment(second, "succeeded"),
                      "deployment " + std::to_string(second) + " already finished as \"failed\"");
    CHECK_THROWS_WITH(s->finish_deployment(first + 100, "failed"), "no deployment " + std::to_string(first + 100));
    CHECK_THROWS_WITH(s->finish_deployment(third, "rolled-back"),
                      "deployment result \"rolled-back\" is not one of succeeded, failed, interrupted, running");
    CHECK_THROWS_WITH(s->deployments("prod", 0), "deployment limit must be positive, got 0");
    CHECK(s->deployments("prod", 1)[0].result == "succeeded");

    raw_db raw(dir.file());
    CHECK(raw.integer("SELECT COUNT(*) FROM deployments WHERE finished_at IS NOT NULL") == 1);
}

TEST_CASE("an approval is recorded once per kind and user, and only for a known request") {
    temp_dir dir;
    auto s = open_sqlite_store(dir.file());
    const auto t0 = utc(2026, 11, 26, 10);
    const auto id = s->create_request(prod_request("1.4.2"), t0);
    s->add_approval(id, "signoff", "U0LEAD", t0);
    s->add_approval(id, "signoff", "U0LEAD", t0 + 1min);  // pressing the button twice
    s->add_approval(id, "signoff", "U0QA", t0 + 2min);
    s->add_approval(id, "emergency", "U0LEAD", t0 + 3min);
    CHECK(s->approvals(id) == std::vector<std::pair<std::string, std::string>>{
                                  {"signoff", "U0LEAD"}, {"signoff", "U0QA"}, {"emergency", "U0LEAD"}});
    CHECK_THROWS_WITH(s->add_approval(id + 1, "signoff", "U0LEAD", t0),
                      "approval for unknown request " + std::to_string(id + 1));
    CHECK(s->approvals(id + 1).empty());
}

TEST_CASE("an inbound event is journaled once, stays unfinished until done, and survives a restart") {
    temp_dir dir;
    const inbox_entry first{"trigger:123.456", "slash_commands", json{{"command", "/freeze"}}, utc(2026, 11, 26, 10)};
    {
        auto s = open_sqlite_store(dir.file());
        CHECK(s->journal_inbound(first));
        CHECK_FALSE(s->journal_inbound(first));  // Slack's redelivery
        CHECK(s->journal_inbound({"event:Ev1", "interactive", json::object(), utc(2026, 11, 26, 10, 1)}));
        s->mark_inbound_done("event:Ev1", utc(2026, 11, 26, 10, 2));
    }
    auto s = open_sqlite_store(dir.file());
    auto unfinished = s->unfinished_inbound();
    REQUIRE(unfinished.size() == 1);
    CHECK(unfinished[0].key == first.key);
    CHECK(unfinished[0].type == "slash_commands");
    CHECK(unfinished[0].payload == first.payload);
    CHECK(unfinished[0].received_at == first.received_at);
    // A redelivery after the restart is still recognised.
    CHECK_FALSE(s->journal_inbound(first));
    s->mark_inbound_done(first.key, utc(2026, 11, 26, 10, 3));
    CHECK(s->unfinished_inbound().empty());
    // Pruning forgets finished entries only, and only old ones.
    CHECK(s->journal_inbound({"trigger:open", "slash_commands", json::object(), utc(2026, 11, 20)}));
    CHECK(s->prune_inbound(utc(2026, 11, 26, 10, 1)) == 1);
    CHECK(s->unfinished_inbound().size() == 1);
    CHECK_FALSE(s->journal_inbound({"event:Ev1", "interactive", json::object(), utc(2026, 11, 27)}));  // kept
    CHECK(s->journal_inbound({first.key, "slash_commands", json::object(), utc(2026, 11, 27)}));  // forgotten
}

TEST_CASE("a freeze window remembers the request that added it, even after removal") {
    temp_dir dir;
    auto s = open_sqlite_store(dir.file());
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
