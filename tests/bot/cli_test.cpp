// The command line: check-config, the freeze calendar for scripts, the audit
// log tools, and the console a newcomer starts with.
#include <catch2/catch.hpp>

#include "tests/support/audit_tamper.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <random>
#include <regex>
#include <sstream>

#include "bot/main/cli.hpp"
#include "bot/config/config.hpp"
#include "bot/ports/store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"

using namespace promotebot;

using promotebot::testing::audit_tamperer;
using promotebot::testing::temp_dir;

namespace {


struct cli_result {
    int code;
    std::string out;
    std::string err;
};

cli_result run(std::vector<std::string> args, const std::string& input = {}) {
    std::vector<const char*> argv{"promotebot"};
    for (const auto& a : args) argv.push_back(a.c_str());
    std::istringstream in(input);
    std::ostringstream out, err;
    const int code = bot::run_cli(static_cast<int>(argv.size()), argv.data(), in, out, err);
    return {code, out.str(), err.str()};
}

// The example config with its store moved into a temp dir.
std::string write_config(const temp_dir& dir, const std::string& extra_replace_from = {},
                         const std::string& extra_replace_to = {}) {
    std::string text = bot::embedded_default_config_text();
    const std::string store_line = "store: promotebot.db";
    auto at = text.find(store_line);
    REQUIRE(at != std::string::npos);
    text.replace(at, store_line.size(), "store: " + (dir.path / "test.db").string());
    if (!extra_replace_from.empty()) {
        auto pos = text.find(extra_replace_from);
        REQUIRE(pos != std::string::npos);
        text.replace(pos, extra_replace_from.size(), extra_replace_to);
    }
    auto path = dir.path / "promotebot.yaml";
    std::ofstream(path) << text;
    std::filesystem::create_directories(dir.path / "holidays");
    std::filesystem::copy_file(std::filesystem::path(PROMOTEBOT_SOURCE_DIR) / "deploy/holidays/england-and-wales-2026-2027.json",
                               dir.path / "holidays/england-and-wales-2026-2027.json",
                               std::filesystem::copy_options::overwrite_existing);
    return path.string();
}

// PROMOTEBOT_AUDIT_KEY set for one scope, as the operator's environment would.
struct audit_key_env {
    explicit audit_key_env(const std::string& key) { ::setenv("PROMOTEBOT_AUDIT_KEY", key.c_str(), 1); }
    ~audit_key_env() { ::unsetenv("PROMOTEBOT_AUDIT_KEY"); }
    audit_key_env(const audit_key_env&) = delete;
    audit_key_env& operator=(const audit_key_env&) = delete;
};

std::chrono::sys_seconds at_minute(int m) {
    // 2026-11-26T10:00:00Z plus m minutes.
    return std::chrono::sys_seconds{std::chrono::seconds{1795687200 + 60 * m}};
}

// Appends `n` audit records through the store, as the bot would.
void append_records(const std::string& db, int n, std::optional<commands::audit_key> key = std::nullopt) {
    auto st = sqlite::open_sqlite_store(db, std::move(key));
    for (int i = 0; i < n; ++i) st->append_audit({"U0RM00001", "command", "/freeze list", "ok", {{"i", i}}}, at_minute(i));
}

// `promotebot audit anchor`'s output, checked for its shape.
std::string take_anchor(const std::string& cfg) {
    const auto r = run({"audit", "anchor", "--config", cfg});
    REQUIRE(r.code == 0);
    REQUIRE(std::regex_match(r.out, std::regex("[1-9][0-9]*:[0-9a-f]{64}\n")));
    return r.out.substr(0, r.out.size() - 1);
}

}  // namespace

TEST_CASE("check-config accepts the example and names the wrong key with its line") {
    temp_dir dir;
    auto good = run({"check-config", "--config", write_config(dir)});
    CHECK(good.code == 0);
    CHECK_THAT(good.out, Catch::Contains("configuration OK"));

    auto bad = run({"check-config", "--config", write_config(dir, "connections: 2", "connections: 12")});
    CHECK(bad.code == 2);
    CHECK_THAT(bad.err, Catch::Contains("slack.connections"));
    CHECK_THAT(bad.err, Catch::Contains(":19:"));
}

TEST_CASE("the bot refuses to start on a broken config and says which key is wrong") {
    temp_dir dir;
    auto r = run({"--console", "--config", write_config(dir, "timezone: Europe/London", "timezone: Europe/Londres")});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("timezone"));
}

TEST_CASE("freeze status exits 1 when frozen and 0 when not, with the documented JSON") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    auto christmas = run({"freeze", "status", "--config", cfg, "--at", "2026-12-24T10:00", "--json"});
    CHECK(christmas.code == 1);
    auto j = nlohmann::json::parse(christmas.out);
    CHECK(j["frozen"] == true);
    CHECK(j["rules"] == nlohmann::json::array({"year-end close"}));
    CHECK(j["until"] == "2027-01-06T00:00:00+00:00");
    REQUIRE(j["next"].is_object());
    CHECK(j["next"]["start"] == "2027-01-27T00:00:00+00:00");

    auto ordinary = run({"freeze", "status", "--config", cfg, "--at", "2026-11-10T09:00:00Z", "--json"});
    CHECK(ordinary.code == 0);
    auto k = nlohmann::json::parse(ordinary.out);
    CHECK(k["frozen"] == false);
    CHECK(k["until"].is_null());
    CHECK(k["next"]["start"] == "2026-11-26T00:00:00+00:00");
    CHECK(k["next"]["rules"] == nlohmann::json::array({"month-end close"}));

    auto summer = run({"freeze", "status", "--config", cfg, "--at", "2026-07-29T12:00+01:00"});
    CHECK(summer.code == 1);
    CHECK_THAT(summer.out, Catch::Contains("month-end close"));

    // Asking never creates the store.
    CHECK_FALSE(std::filesystem::exists(dir.path / "test.db"));
    CHECK(run({"audit", "verify", "--config", cfg}).code == 2);

    auto bad = run({"freeze", "status", "--config", cfg, "--at", "tomorrow"});
    CHECK(bad.code == 2);
    CHECK_THAT(bad.err, Catch::Contains("--at"));
}

TEST_CASE("freeze list prints merged windows with their rules as JSON") {
    temp_dir dir;
    auto r = run({"freeze", "list", "--config", write_config(dir), "--from", "2026-12-01", "--to", "2027-01-31",
                  "--json"});
    REQUIRE(r.code == 0);
    auto j = nlohmann::json::parse(r.out);
    REQUIRE(j["windows"].is_array());
    REQUIRE(j["windows"].size() == 2);
    CHECK(j["windows"][0]["start"] == "2026-12-20T00:00:00+00:00");
    CHECK(j["windows"][0]["end"] == "2027-01-06T00:00:00+00:00");
    const auto rules = j["windows"][0]["rules"].dump();
    CHECK_THAT(rules, Catch::Contains("year-end close"));
    CHECK_THAT(rules, Catch::Contains("month-end close"));
    CHECK_THAT(rules, Catch::Contains("bank holiday: Christmas Day"));
    CHECK(j["windows"][1]["start"] == "2027-01-27T00:00:00+00:00");

    auto backwards = run({"freeze", "list", "--config", write_config(dir), "--from", "2027-01-31", "--to", "2026-12-01"});
    CHECK(backwards.code == 2);
}

TEST_CASE("freeze status reads the ad-hoc windows from the store") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    {
        auto st = sqlite::open_sqlite_store((dir.path / "test.db").string());
        // 2026-11-10 00:00 to 2026-11-11 00:00 UTC.
        st->add_freeze_window(std::chrono::sys_seconds{std::chrono::seconds{1794268800}},
                              std::chrono::sys_seconds{std::chrono::seconds{1794355200}}, "warehouse migration",
                              "U0RM00001", std::chrono::sys_seconds{std::chrono::seconds{1794000000}});
    }
    auto r = run({"freeze", "status", "--config", cfg, "--at", "2026-11-10T09:00:00Z", "--json"});
    CHECK(r.code == 1);
    CHECK(nlohmann::json::parse(r.out)["rules"] == nlohmann::json::array({"ad-hoc #1: warehouse migration"}));
}

TEST_CASE("audit verify and export work on the store the bot writes") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    auto console = run({"--config", cfg, "--console", "--user", "U0RM00001"},
                       "/freeze add 2030-01-10 2030-01-11 audit me\nquit\n");
    REQUIRE(console.code == 0);
    auto verify = run({"audit", "verify", "--config", cfg});
    CHECK(verify.code == 0);
    CHECK_THAT(verify.out, Catch::Contains("intact"));
    auto jsonl = run({"audit", "export", "--config", cfg, "--since", "2020-01-01", "--format", "jsonl"});
    REQUIRE(jsonl.code == 0);
    CHECK_THAT(jsonl.out, Catch::Contains("freeze.add"));
    auto csv = run({"audit", "export", "--config", cfg, "--since", "2020-01-01", "--format", "csv"});
    REQUIRE(csv.code == 0);
    CHECK_THAT(csv.out, Catch::Contains("audit me"));
    auto wrong = run({"audit", "export", "--config", cfg, "--since", "2020-01-01", "--format", "xml"});
    CHECK(wrong.code == 2);
}

TEST_CASE("the console shows a newcomer today's freeze status and plays every role") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    auto r = run({"--config", cfg, "--console"},
                 "as U0ENG00001\n"
                 "/freeze add 2030-01-10 2030-01-11 migration\n"
                 "as U0RM00001\n"
                 "/freeze add 2030-01-10 2030-01-11 migration\n"
                 "/freeze list 366\n"
                 "/freeze list 3650\n"  // refused: at most 366 days
                 "click 1\n"
                 "/freeze remove 1\n"
                 "/nonsense\n"
                 "quit\n");
    REQUIRE(r.code == 0);
    // The first thing shown: is production frozen right now?
    CHECK_THAT(r.out, Catch::Contains("Production is"));
    CHECK_THAT(r.out, Catch::Contains("Only a Release Manager"));
    CHECK_THAT(r.out, Catch::Contains("Freeze window #1 added"));
    CHECK_THAT(r.out, Catch::Contains("[1] Remove #1"));
    CHECK_THAT(r.out, Catch::Contains("Freeze window #1 removed"));
    CHECK_THAT(r.out, Catch::Contains("no active freeze window #1"));
    CHECK_THAT(r.out, Catch::Contains("/promote"));
    CHECK_THAT(r.out, Catch::Contains("`3650` is not a number of days"));
}

TEST_CASE("the bot does not start on a store whose audit triggers were dropped and says which") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const auto db = (dir.path / "test.db").string();
    { sqlite::open_sqlite_store(db); }
    { audit_tamperer tamper{db}; }  // drops both append-only triggers
    auto r = run({"--config", cfg, "--console"}, "/freeze add 2030-01-10 2030-01-11 migration\nquit\n");
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("audit_log_no_update") && Catch::Contains("audit_log_no_delete"));
    CHECK(sqlite::open_sqlite_store(db)->freeze_windows().empty());
}

TEST_CASE("help and version") {
    auto help = run({"--help"});
    CHECK(help.code == 0);
    CHECK_THAT(help.out, Catch::Contains("freeze status"));
    auto version = run({"--version"});
    CHECK(version.code == 0);
    CHECK_THAT(version.out, Catch::StartsWith("promotebot "));
    CHECK(run({"--bogus"}).code == 2);
}

TEST_CASE("audit anchor prints the head of the log as SEQ:HASH, and 0: for an empty log") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const auto db = (dir.path / "test.db").string();
    { sqlite::open_sqlite_store(db); }
    const auto empty = run({"audit", "anchor", "--config", cfg});
    CHECK(empty.code == 0);
    CHECK(empty.out == "0:\n");
    CHECK(run({"audit", "verify", "--config", cfg, "--anchor", "0:"}).code == 0);

    append_records(db, 3);
    const auto head = sqlite::open_sqlite_store(db)->audit_since(at_minute(0)).back();
    CHECK(take_anchor(cfg) == "3:" + head.hash);
}

TEST_CASE("audit anchor refuses to anchor a broken log") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const auto db = (dir.path / "test.db").string();
    append_records(db, 3);
    audit_tamperer(db).exec("UPDATE audit_log SET outcome = 'refused' WHERE seq = 2");
    const auto r = run({"audit", "anchor", "--config", cfg});
    CHECK(r.code == 1);
    CHECK_THAT(r.out, Catch::StartsWith("audit log BROKEN at record 2: hash mismatch at record 2"));
    CHECK_THAT(r.err, Catch::Contains("not anchored"));
}

TEST_CASE("audit verify --anchor fails on a rewrite that recomputed the whole chain, which plain verify misses") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const auto db = (dir.path / "test.db").string();
    append_records(db, 5);
    const auto anchor = take_anchor(cfg);
    CHECK(run({"audit", "verify", "--config", cfg, "--anchor", anchor}).code == 0);

    audit_tamperer(db).rewrite_outcome_and_rehash(2, "refused");
    const auto plain = run({"audit", "verify", "--config", cfg});
    CHECK(plain.code == 0);
    CHECK_THAT(plain.out, Catch::Contains("intact"));
    const auto anchored = run({"audit", "verify", "--config", cfg, "--anchor", anchor});
    CHECK(anchored.code == 1);
    CHECK_THAT(anchored.out, Catch::StartsWith("audit log BROKEN at record 5: record 5 does not match the anchor"));
}

TEST_CASE("audit verify --anchor fails when the tail holding the anchor's record was deleted") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const auto db = (dir.path / "test.db").string();
    append_records(db, 5);
    const auto anchor = take_anchor(cfg);
    audit_tamperer(db).exec("DELETE FROM audit_log WHERE seq >= 4");
    CHECK(run({"audit", "verify", "--config", cfg}).code == 0);
    const auto r = run({"audit", "verify", "--config", cfg, "--anchor", anchor});
    CHECK(r.code == 1);
    CHECK_THAT(r.out, Catch::Contains("the anchor names record 5 but the log ends at record 3"));
}

TEST_CASE("audit verify --anchor passes when records were appended after the anchor") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const auto db = (dir.path / "test.db").string();
    append_records(db, 3);
    const auto anchor = take_anchor(cfg);
    append_records(db, 4);
    const auto r = run({"audit", "verify", "--config", cfg, "--anchor", anchor});
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("audit log intact: 7 record(s)"));
    CHECK_THAT(r.out, Catch::Contains("anchor " + anchor + " holds"));
    CHECK(take_anchor(cfg) != anchor);
}

TEST_CASE("a malformed anchor is a usage error that names the value") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    append_records((dir.path / "test.db").string(), 2);
    const std::vector<std::string> malformed{"5", "5:abc", "x:" + std::string(64, 'a'), "-1:" + std::string(64, 'a')};
    for (const auto& bad : malformed) {
        INFO(bad);
        const auto r = run({"audit", "verify", "--config", cfg, "--anchor", bad});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("--anchor '" + bad + "' is not SEQ:HASH"));
        CHECK(r.out.empty());
    }
    CHECK(run({"audit", "export", "--config", cfg, "--since", "2020-01-01", "--anchor", "0:"}).code == 2);
}

TEST_CASE("with PROMOTEBOT_AUDIT_KEY the bot keys its audit records, and verify needs the same key") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const std::string key = "k3y-that-must-never-be-shown";
    std::vector<std::string> shown;
    {
        audit_key_env env(key);
        const auto console = run({"--config", cfg, "--console", "--user", "U0RM00001"},
                                 "/freeze add 2030-01-10 2030-01-11 keyed\nquit\n");
        REQUIRE(console.code == 0);
        const auto verify = run({"audit", "verify", "--config", cfg});
        CHECK(verify.code == 0);
        CHECK_THAT(verify.out, Catch::Contains("keyed with HMAC-SHA256"));
        const auto anchor = run({"audit", "anchor", "--config", cfg});
        CHECK(anchor.code == 0);
        for (const auto* r : {&console, &verify, &anchor}) shown.insert(shown.end(), {r->out, r->err});
    }
    const auto keyless = run({"audit", "verify", "--config", cfg});
    CHECK(keyless.code == 1);
    CHECK_THAT(keyless.out, Catch::Contains("cannot be verified without PROMOTEBOT_AUDIT_KEY"));
    {
        audit_key_env env("the-wrong-key");
        const auto wrong = run({"audit", "verify", "--config", cfg});
        CHECK(wrong.code == 1);
        CHECK_THAT(wrong.out, Catch::Contains("HMAC mismatch at record 1"));
        shown.insert(shown.end(), {wrong.out, wrong.err});
    }
    for (const auto& text : shown) CHECK_THAT(text, !Catch::Contains(key));
}

TEST_CASE("with PROMOTEBOT_AUDIT_KEY a record rewritten and rehashed without the key fails verify") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const auto db = (dir.path / "test.db").string();
    const std::string key = "k3y-that-must-never-be-shown";
    audit_key_env env(key);
    append_records(db, 2);  // before the key was configured
    {
        auto st = sqlite::open_sqlite_store(db, commands::audit_key{key});
        st->append_audit({"U0RM00001", "freeze.add", "window 1", "ok", {}}, at_minute(10));
        st->append_audit({"U0RM00001", "freeze.remove", "window 1", "ok", {}}, at_minute(11));
    }
    const auto before = run({"audit", "verify", "--config", cfg});
    CHECK(before.code == 0);
    CHECK_THAT(before.out, Catch::Contains("2 record(s) keyed with HMAC-SHA256"));
    CHECK_THAT(before.out, Catch::Contains("records 1..2 have plain SHA-256 hashes"));

    audit_tamperer(db).rewrite_outcome_and_rehash(4, "refused");
    const auto after = run({"audit", "verify", "--config", cfg});
    CHECK(after.code == 1);
    CHECK_THAT(after.out, Catch::StartsWith("audit log BROKEN at record 4: record 4 has a plain SHA-256 hash"));
    CHECK_THAT(after.out + after.err, !Catch::Contains(key));
}

TEST_CASE("an empty PROMOTEBOT_AUDIT_KEY is refused rather than silently ignored") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    append_records((dir.path / "test.db").string(), 1);
    audit_key_env env("");
    const auto r = run({"audit", "verify", "--config", cfg});
    CHECK(r.code == 2);
    CHECK_THAT(r.err, Catch::Contains("PROMOTEBOT_AUDIT_KEY is set but empty"));
}
