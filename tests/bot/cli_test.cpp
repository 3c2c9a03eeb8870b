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
#include <set>

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

std::string file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::set<std::string> names_in(const std::filesystem::path& dir) {
    std::set<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
}

// Runs SQL on a file with SQLite directly, as the sqlite3 shell would.
void sqlite_exec(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    INFO(message);
    REQUIRE(rc == SQLITE_OK);
}

// Owner, group and others may read and (for directories) enter, nobody may write.
void make_read_only(const std::filesystem::path& p, bool directory) {
    REQUIRE(::chmod(p.c_str(), directory ? 0555 : 0444) == 0);
}

// Gives a directory made read-only back to its owner so that temp_dir can remove it.
struct writable_again {
    std::filesystem::path path;
    ~writable_again() { ::chmod(path.c_str(), 0755); }
};

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
    auto christmas = run({"freeze", "status", "--config", cfg, "--no-store", "--at", "2026-12-24T10:00", "--json"});
    CHECK(christmas.code == 1);
    auto j = nlohmann::json::parse(christmas.out);
    CHECK(j["frozen"] == true);
    CHECK(j["rules"] == nlohmann::json::array({"year-end close"}));
    CHECK(j["until"] == "2027-01-06T00:00:00+00:00");
    REQUIRE(j["next"].is_object());
    CHECK(j["next"]["start"] == "2027-01-27T00:00:00+00:00");

    auto ordinary = run({"freeze", "status", "--config", cfg, "--no-store", "--at", "2026-11-10T09:00:00Z", "--json"});
    CHECK(ordinary.code == 0);
    auto k = nlohmann::json::parse(ordinary.out);
    CHECK(k["frozen"] == false);
    CHECK(k["until"].is_null());
    CHECK(k["next"]["start"] == "2026-11-26T00:00:00+00:00");
    CHECK(k["next"]["rules"] == nlohmann::json::array({"month-end close"}));

    auto summer = run({"freeze", "status", "--config", cfg, "--no-store", "--at", "2026-07-29T12:00+01:00"});
    CHECK(summer.code == 1);
    CHECK_THAT(summer.out, Catch::Contains("month-end close"));

    // Asking never creates the store.
    CHECK_FALSE(std::filesystem::exists(dir.path / "test.db"));
    CHECK(run({"audit", "verify", "--config", cfg}).code == 2);

    auto bad = run({"freeze", "status", "--config", cfg, "--no-store", "--at", "tomorrow"});
    CHECK(bad.code == 2);
    CHECK_THAT(bad.err, Catch::Contains("--at: 'tomorrow' is not a date-time"));
}

TEST_CASE("freeze list prints merged windows with their rules as JSON") {
    temp_dir dir;
    auto r = run({"freeze", "list", "--config", write_config(dir), "--no-store", "--from", "2026-12-01", "--to",
                  "2027-01-31", "--json"});
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

    auto backwards = run({"freeze", "list", "--config", write_config(dir), "--no-store", "--from", "2027-01-31",
                          "--to", "2026-12-01"});
    CHECK(backwards.code == 2);
    CHECK_THAT(backwards.err, Catch::Contains("--to 2026-12-01 is before --from 2027-01-31"));
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
        CHECK_THAT(r.err, Catch::Contains("--anchor: '" + bad + "' is not SEQ:HASH"));
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

TEST_CASE("freeze status and list refuse to answer without the store unless told --no-store") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const auto db = (dir.path / "test.db").string();
    // 2026-11-10 is an ordinary day by the rules: without the store a gate would pass.
    const auto status = run({"freeze", "status", "--config", cfg, "--at", "2026-11-10T09:00:00Z"});
    CHECK(status.code == 2);
    CHECK_THAT(status.err, Catch::Contains("there is no store at " + db + " (the config's `store` key)"));
    CHECK_THAT(status.err, Catch::Contains("--no-store"));
    CHECK(status.out.empty());
    const auto list = run({"freeze", "list", "--config", cfg, "--from", "2026-11-01", "--to", "2026-11-30"});
    CHECK(list.code == 2);
    CHECK_THAT(list.err, Catch::Contains("there is no store at " + db));
    CHECK_FALSE(std::filesystem::exists(db));

    const auto rules_only = run({"freeze", "status", "--config", cfg, "--no-store", "--at", "2026-11-10T09:00:00Z"});
    CHECK(rules_only.code == 0);
    CHECK_THAT(rules_only.out, Catch::StartsWith("not frozen"));
    CHECK(run({"freeze", "list", "--config", cfg, "--no-store", "--from", "2026-11-01", "--to", "2026-11-30"}).code ==
          0);
    CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("a repeated option is an error naming it instead of the last one winning") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const auto other = write_config(dir);
    const std::vector<std::vector<std::string>> repeated{
        {"check-config", "--config", cfg, "--config", other},
        {"--console", "--config", cfg, "--config", other},
        {"freeze", "status", "--no-store", "--config", cfg, "--config", other},
        {"freeze", "status", "--no-store", "--config", cfg, "--json", "--json"},
        {"freeze", "status", "--no-store", "--config", cfg, "--at", "2026-11-10", "--at", "2026-12-24"},
        {"freeze", "list", "--no-store", "--config", cfg, "--from", "2026-11-01", "--to", "2026-11-02", "--to",
         "2026-11-30"},
        {"audit", "export", "--config", cfg, "--since", "2020-01-01", "--format", "csv", "--format", "jsonl"},
        {"freeze", "status", "--no-store", "--config", cfg, "--log-level", "debug", "--log-level", "info"},
    };
    const std::vector<std::string> named{"--config", "--config", "--config", "--json", "--at", "--to", "--format",
                                         "--log-level"};
    for (std::size_t i = 0; i < repeated.size(); ++i) {
        INFO(i);
        const auto r = run(repeated[i], "quit\n");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(named[i] + ": "));
        CHECK(r.out.empty());
    }
}

TEST_CASE("unknown options and extra arguments are errors naming them") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
        {{"--bogus"}, "--bogus"},
        {{"freeze", "status", "--no-store", "--config", cfg, "--bogus"}, "--bogus"},
        {{"check-config", "--config", cfg, "surplus"}, "surplus"},
        {{"freeze", "status", "--no-store", "--config", cfg, "tomorrow"}, "tomorrow"},
        {{"audit", "export", "--config", cfg, "--since", "2020-01-01", "--anchor", "0:"}, "--anchor"},
        {{"frieze", "status"}, "frieze"},
        {{"freeze", "status", "--no-store", "--config", cfg, "--console"}, "--console"},
    };
    for (const auto& [args, word] : cases) {
        INFO(word);
        const auto r = run(args, "quit\n");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(word));
        CHECK_THAT(r.err, Catch::Contains("--help"));
        CHECK(r.out.empty());
    }
    const auto bare = run({"audit", "--config", cfg});
    CHECK(bare.code == 2);
}

TEST_CASE("a bad value is refused where the option is declared and the message names it") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    append_records((dir.path / "test.db").string(), 1);
    struct bad_value {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<bad_value> cases{
        {{"freeze", "status", "--config", cfg, "--at", "tomorrow"}, "--at: 'tomorrow' is not a date-time"},
        {{"freeze", "status", "--config", cfg, "--at", ""}, "--at: '' is not a date-time"},
        {{"freeze", "status", "--config", cfg, "--at", "2026-12-24T10:00-99:99"},
         "--at: '2026-12-24T10:00-99:99' is not a date-time"},
        {{"freeze", "status", "--config", cfg, "--at", "2026-12-24T10:00-13:00"},
         "--at: '2026-12-24T10:00-13:00' is not a date-time"},
        {{"freeze", "status", "--config", cfg, "--at", "2026-12-24T10:00+14:01"},
         "--at: '2026-12-24T10:00+14:01' is not a date-time"},
        {{"freeze", "list", "--config", cfg, "--from", "2026-13-01", "--to", "2026-12-31"},
         "--from: '2026-13-01' is not a date"},
        {{"freeze", "list", "--config", cfg, "--from", "2026-12-01", "--to", "next week"},
         "--to: 'next week' is not a date"},
        {{"freeze", "list", "--config", cfg, "--from", "2026-12-01", "--to", "2026-12-31T10:00"},
         "--to: '2026-12-31T10:00' is not a date"},
        {{"audit", "export", "--config", cfg, "--since", "last year"}, "--since: 'last year' is not a date-time"},
        {{"audit", "export", "--config", cfg, "--since", "2020-01-01", "--format", "xml"},
         "--format: 'xml' is not one of jsonl|csv"},
        {{"audit", "verify", "--config", cfg, "--anchor", "5"}, "--anchor: '5' is not SEQ:HASH"},
        {{"--log-format", "yaml", "--console", "--config", cfg}, "--log-format: 'yaml' is not one of text|json"},
    };
    for (const auto& c : cases) {
        INFO(c.message);
        const auto r = run(c.args, "quit\n");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains(c.message));
        CHECK(r.out.empty());
    }
    // The extremes of real offsets are fine.
    CHECK(run({"freeze", "status", "--config", cfg, "--at", "2026-12-24T10:00+14:00"}).code == 1);
    CHECK(run({"freeze", "status", "--config", cfg, "--at", "2026-11-10T10:00-12:00"}).code == 0);
}

TEST_CASE("every command has its own --help listing its own options") {
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases{
        {{}, {"Usage: promotebot [OPTIONS] [SUBCOMMAND]", "--console", "check-config", "freeze", "audit"}},
        {{"check-config"}, {"Usage: promotebot check-config [OPTIONS]", "--config"}},
        {{"freeze"}, {"Usage: promotebot freeze [OPTIONS] SUBCOMMAND", "status", "list"}},
        {{"freeze", "status"}, {"Usage: promotebot freeze status [OPTIONS]", "--at", "--json", "--no-store"}},
        {{"freeze", "list"}, {"Usage: promotebot freeze list [OPTIONS]", "--from", "--to", "--no-store"}},
        {{"audit"}, {"Usage: promotebot audit [OPTIONS] SUBCOMMAND", "verify", "anchor", "export"}},
        {{"audit", "verify"}, {"Usage: promotebot audit verify [OPTIONS]", "--anchor"}},
        {{"audit", "anchor"}, {"Usage: promotebot audit anchor [OPTIONS]", "--config"}},
        {{"audit", "export"}, {"Usage: promotebot audit export [OPTIONS]", "--since", "--format"}},
    };
    for (const auto& [command, expected] : cases) {
        auto args = command;
        args.push_back("--help");
        INFO(args.size());
        const auto r = run(args);
        CHECK(r.code == 0);
        CHECK(r.err.empty());
        for (const auto& text : expected) CHECK_THAT(r.out, Catch::Contains(text));
    }
    // A command's help shows its options, not its siblings'.
    CHECK_THAT(run({"freeze", "status", "--help"}).out, !Catch::Contains("--from"));
    CHECK_THAT(run({"audit", "export", "-h"}).out, !Catch::Contains("--anchor"));
}

TEST_CASE("read-only commands refuse an unrelated SQLite file and leave it byte-for-byte unchanged") {
    temp_dir dir;
    const auto cfg = write_config(dir);
    const auto db = (dir.path / "test.db").string();
    sqlite_exec(db, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine')");
    const auto before = file_bytes(db);
    const auto listing = names_in(dir.path);
    const std::vector<std::vector<std::string>> commands{
        {"audit", "verify", "--config", cfg},
        {"audit", "anchor", "--config", cfg},
        {"audit", "export", "--config", cfg, "--since", "2020-01-01"},
        {"freeze", "status", "--config", cfg, "--at", "2026-11-10T09:00"},
        {"freeze", "list", "--config", cfg, "--from", "2026-11-01", "--to", "2026-11-30"},
    };
    for (const auto& args : commands) {
        INFO(args[0] + " " + args[1]);
        const auto r = run(args);
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("\"" + db + "\" is not a promotebot store"));
        CHECK(r.out.empty());
        CHECK(file_bytes(db) == before);
        CHECK(names_in(dir.path) == listing);
    }
    CHECK(before.size() == 8192);
}

TEST_CASE("a read-only backup of a real store verifies, anchors, exports and answers freeze status unchanged") {
    temp_dir live;
    const auto live_cfg = write_config(live);
    const auto live_db = (live.path / "test.db").string();
    append_records(live_db, 3);
    {
        auto st = sqlite::open_sqlite_store(live_db);
        st->add_freeze_window(std::chrono::sys_seconds{std::chrono::seconds{1794268800}},
                              std::chrono::sys_seconds{std::chrono::seconds{1794355200}}, "warehouse migration",
                              "U0RM00001", std::chrono::sys_seconds{std::chrono::seconds{1794000000}});
    }
    const auto anchor = take_anchor(live_cfg);

    // The backup: SQLite's own copy (VACUUM INTO, rollback-journal mode), then
    // the file and its directory made read-only.
    temp_dir backup;
    const writable_again restore{backup.path};
    const auto cfg = write_config(backup);
    const auto db = (backup.path / "test.db").string();
    sqlite_exec(live_db, "VACUUM INTO '" + db + "'");
    make_read_only(db, false);
    make_read_only(backup.path, true);
    const auto before = file_bytes(db);
    const auto listing = names_in(backup.path);

    const auto verify = run({"audit", "verify", "--config", cfg, "--anchor", anchor});
    CHECK(verify.code == 0);
    CHECK_THAT(verify.out, Catch::Contains("audit log intact: 3 record(s)"));
    const auto head = run({"audit", "anchor", "--config", cfg});
    CHECK(head.code == 0);
    CHECK(head.out == anchor + "\n");
    const auto exported = run({"audit", "export", "--config", cfg, "--since", "2020-01-01"});
    CHECK(exported.code == 0);
    CHECK(std::count(exported.out.begin(), exported.out.end(), '\n') == 3);
    const auto status = run({"freeze", "status", "--config", cfg, "--at", "2026-11-10T09:00:00Z", "--json"});
    CHECK(status.code == 1);
    CHECK_THAT(status.out, Catch::Contains("ad-hoc #1: warehouse migration"));
    CHECK(file_bytes(db) == before);
    CHECK(names_in(backup.path) == listing);
}

TEST_CASE("a WAL-mode copy in a directory the reader cannot write verifies as that reader") {
    temp_dir live;
    const auto live_db = (live.path / "test.db").string();
    append_records(live_db, 4);
    // A plain file copy of a closed WAL-mode store, in a directory only its owner could write.
    temp_dir backup;
    const writable_again restore{backup.path};
    const auto cfg = write_config(backup);
    const auto db = (backup.path / "test.db").string();
    const writable_again restore_holidays{backup.path / "holidays"};
    std::filesystem::copy_file(live_db, db);
    REQUIRE_FALSE(std::filesystem::exists(live_db + "-wal"));
    make_read_only(db, false);
    make_read_only(cfg, false);
    make_read_only(backup.path / "holidays/england-and-wales-2026-2027.json", false);
    make_read_only(backup.path / "holidays", true);
    make_read_only(backup.path, true);
    const auto before = file_bytes(db);

    // The reader is not the owner (as root, the test drops to nobody, which
    // root's permission bypass would otherwise hide).
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(pipe_fds[0]);
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(100);
        const std::string config = cfg;
        const char* argv[] = {"promotebot", "audit", "verify", "--config", config.c_str()};
        std::istringstream in;
        std::ostringstream out, err;
        const int code = bot::run_cli(5, argv, in, out, err);
        const auto text = out.str() + err.str();
        (void)!::write(pipe_fds[1], text.data(), text.size());
        ::_exit(code);
    }
    ::close(pipe_fds[1]);
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
        text.append(buffer, static_cast<std::size_t>(n));
    ::close(pipe_fds[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO(text);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_THAT(text, Catch::Contains("audit log intact: 4 record(s)"));
    CHECK(file_bytes(db) == before);
    CHECK(names_in(backup.path) == std::set<std::string>{"test.db", "promotebot.yaml", "holidays"});
}

TEST_CASE("promotions list and show read the requests, their records and their output, and audit export tells one promotion story") {
    temp_dir dir;
    const auto cfg = write_config(dir, "gates: [freeze, soak, pipeline_cycles, incidents, change_record, performance, quarantine]",
                                  "gates: [freeze]");
    auto console = run({"--config", cfg, "--console", "--dry-run", "--user", "U0RM00001"},
                       "/promote v1.2.3 change CHG0012345\n\nRoll back with kubectl set image to v1.2.2\n.\n1\nquit\n");
    REQUIRE(console.code == 0);
    CHECK_THAT(console.out, Catch::Contains("Dry run: deployment steps are printed, not run."));

    auto list = run({"promotions", "list", "--config", cfg, "--json"});
    REQUIRE(list.code == 0);
    const auto rows = nlohmann::json::parse(list.out);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]["version"] == "v1.2.3");
    CHECK(rows[0]["environment"] == "prod");
    CHECK(rows[0]["requested_by"] == "U0RM00001");

    auto show = run({"promotions", "show", "1", "--config", cfg});
    REQUIRE(show.code == 0);
    CHECK_THAT(show.out, Catch::Contains("Promotion #1: v1.2.3 → prod"));
    CHECK_THAT(show.out, Catch::Contains("Not in a change freeze"));
    auto json = run({"promotions", "show", "1", "--config", cfg, "--json"});
    REQUIRE(json.code == 0);
    CHECK(nlohmann::json::parse(json.out)["request"]["change_records"][0] == "CHG0012345");

    auto missing = run({"promotions", "show", "7", "--config", cfg});
    CHECK(missing.code == 1);
    CHECK_THAT(missing.err, Catch::Contains("no promotion #7"));
    CHECK(run({"promotions", "show", "seven", "--config", cfg}).code == 2);

    auto story = run({"audit", "export", "--config", cfg, "--since", "2020-01-01", "--promotion", "1"});
    REQUIRE(story.code == 0);
    CHECK_THAT(story.out, Catch::Contains("promotion.open"));
    CHECK_THAT(story.out, Catch::Contains("promotion.gate"));
    // The form being opened is not about promotion #1 yet: only the unfiltered export holds it.
    CHECK(story.out.find("form_opened") == std::string::npos);
    auto everything = run({"audit", "export", "--config", cfg, "--since", "2020-01-01"});
    CHECK_THAT(everything.out, Catch::Contains("form_opened"));
}
