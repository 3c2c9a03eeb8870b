#include <catch2/catch.hpp>

#include "tests/support/store_backends.hpp"

#include "tests/support/audit_tamper.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <sqlite3.h>

#include "commands/audit/sha256.hpp"
#include "commands/audit/audit_chain.hpp"
#include "bot/ports/store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"

using namespace promotebot::bot;
using namespace promotebot::sqlite;
using namespace promotebot::commands;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

using promotebot::testing::audit_tamperer;
using promotebot::testing::temp_dir;
using promotebot::testing::postgresql_backend;
using promotebot::testing::sqlite_backend;

namespace {


// What a tamperer with file access would run.
void raw_sql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    std::string message = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    if (rc != SQLITE_OK) throw std::runtime_error(message);
}

sys_seconds utc(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
    return sys_seconds{std::chrono::sys_days{std::chrono::year{y} / m / d}} + std::chrono::hours{h} +
           std::chrono::minutes{min};
}

// Five records, one a minute from 10:00 on 2026-11-26.
void append_five(audit_repository& s) {
    const auto t0 = utc(2026, 11, 26, 10);
    s.append_audit({"U0REQ", "command", "/promote 1.4.2 prod", "ok", {{"request", 1}}}, t0);
    s.append_audit({"U0LEAD", "button", "request 1", "ok", {{"kind", "signoff"}}}, t0 + 1min);
    s.append_audit({"system", "gate", "request 1", "passed", {{"gate", "freeze"}, {"checked", true}}}, t0 + 2min);
    s.append_audit({"system", "step", "request 1", "ok", {{"step", "deploy"}, {"seconds", 42}}}, t0 + 3min);
    s.append_audit({"U0REQ", "command", "/freeze list", "ok", {}}, t0 + 4min);
}

// Minimal RFC 4180 reader: records of fields, CRLF line ends, quoted fields may hold anything.
std::vector<std::vector<std::string>> read_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
            else if (c == '"') quoted = false;
            else field += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row.push_back(std::move(field));
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            row.push_back(std::move(field));
            field.clear();
            rows.push_back(std::move(row));
            row.clear();
            ++i;
        } else {
            field += c;
        }
    }
    return rows;
}

}  // namespace

TEST_CASE("SHA-256 hex digests match the published test vectors") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEMPLATE_TEST_CASE("each audit record's hash covers its fields and the previous record's hash", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto t0 = utc(2026, 11, 26, 10);
    const auto first =
        s->append_audit({"U0REQ", "command", "/promote 1.4.2 prod", "ok", {{"z", 1}, {"a", "x"}}}, t0);
    const auto second = s->append_audit({"U0LEAD", "button", "request 1", "refused", {}}, t0 + 1min);

    CHECK(first.seq == 1);
    CHECK(first.prev_hash.empty());
    const std::string first_input =
        R"([1,1795687200,"U0REQ","command","/promote 1.4.2 prod","ok",{"a":"x","z":1},""])";
    CHECK(audit_hash_input(first) == first_input);
    CHECK(first.hash == sha256_hex(first_input));

    CHECK(second.seq == 2);
    CHECK(second.prev_hash == first.hash);
    CHECK(second.hash ==
          sha256_hex(R"([2,1795687260,"U0LEAD","button","request 1","refused",{},")" + first.hash + "\"]"));
}

TEMPLATE_TEST_CASE("the audit chain verifies, and still verifies after the store is reopened", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    {
        auto s = dir.open();
        CHECK(s->verify_audit().ok);
        CHECK(s->verify_audit().records == 0);
        append_five(*s);
    }
    auto s = dir.open();
    auto v = s->verify_audit();
    CHECK(v.ok);
    CHECK(v.records == 5);
    CHECK_FALSE(v.first_broken_seq);
    CHECK(v.problem.empty());

    const auto sixth = s->append_audit({"cli", "audit.export", "jsonl", "ok", {}}, utc(2026, 11, 26, 11));
    CHECK(sixth.seq == 6);
    CHECK(sixth.prev_hash == s->audit_since(utc(2026, 11, 26, 10, 4))[0].hash);
    v = s->verify_audit();
    CHECK(v.ok);
    CHECK(v.records == 6);
}

TEMPLATE_TEST_CASE("the audit log refuses UPDATE and DELETE", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    {
        auto s = dir.open();
        append_five(*s);
    }
    CHECK_THROWS_WITH(dir.exec("UPDATE audit_log SET subject = 'nothing happened' WHERE seq = 2"),
                      "audit_log is append-only");
    CHECK_THROWS_WITH(dir.exec("DELETE FROM audit_log WHERE seq = 3"), "audit_log is append-only");
    auto s = dir.open();
    CHECK(s->audit_since(utc(2026, 1, 1)).size() == 5);
    CHECK(s->audit_since(utc(2026, 1, 1))[1].entry.subject == "request 1");
    CHECK(s->verify_audit().ok);
}

TEST_CASE("a record whose subject was changed is reported by its seq as a hash mismatch") {
    temp_dir dir;
    {
        auto s = open_sqlite_store(dir.file());
        append_five(*s);
    }
    raw_sql(dir.file(), "DROP TRIGGER audit_log_no_update; "
                        "UPDATE audit_log SET subject = '/promote 1.4.3 prod' WHERE seq = 3");
    auto s = open_sqlite_store(dir.file());
    const auto v = s->verify_audit();
    CHECK_FALSE(v.ok);
    REQUIRE(v.first_broken_seq);
    CHECK(*v.first_broken_seq == 3);
    CHECK_THAT(v.problem, Catch::StartsWith("hash mismatch at record 3"));
    CHECK(v.records == 5);
}

TEST_CASE("a record rewritten together with its hash breaks the next record's prev_hash link") {
    temp_dir dir;
    std::string forged_hash;
    {
        auto s = open_sqlite_store(dir.file());
        append_five(*s);
        auto forged = s->audit_since(utc(2026, 1, 1))[1];
        forged.entry.outcome = "refused";
        forged_hash = audit_record_hash(forged);
    }
    raw_sql(dir.file(), "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET outcome = 'refused', hash = '" +
                            forged_hash + "' WHERE seq = 2");
    auto s = open_sqlite_store(dir.file());
    const auto v = s->verify_audit();
    CHECK_FALSE(v.ok);
    CHECK(v.first_broken_seq == std::optional<std::int64_t>{3});
    CHECK_THAT(v.problem, Catch::StartsWith("prev_hash link broken at record 3"));
}

TEST_CASE("a deleted middle record is reported as a gap in the seq numbers") {
    temp_dir dir;
    {
        auto s = open_sqlite_store(dir.file());
        append_five(*s);
    }
    raw_sql(dir.file(), "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 3");
    auto s = open_sqlite_store(dir.file());
    const auto v = s->verify_audit();
    CHECK_FALSE(v.ok);
    CHECK(v.first_broken_seq == std::optional<std::int64_t>{4});
    CHECK(v.problem == "gap in seq numbers: expected record 3 but the next record is 4 (records 3..3 are missing)");
    CHECK(v.records == 4);
}

TEST_CASE("a deleted first record is reported as a gap at the start of the log") {
    temp_dir dir;
    {
        auto s = open_sqlite_store(dir.file());
        append_five(*s);
    }
    raw_sql(dir.file(), "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 1");
    auto s = open_sqlite_store(dir.file());
    const auto v = s->verify_audit();
    CHECK_FALSE(v.ok);
    CHECK(v.first_broken_seq == std::optional<std::int64_t>{2});
    CHECK_THAT(v.problem, Catch::StartsWith("gap in seq numbers: expected record 1"));
}

TEMPLATE_TEST_CASE("an audit entry without an actor or with a non-object detail is refused and not logged", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto t0 = utc(2026, 11, 26, 10);
    CHECK_THROWS_WITH(s->append_audit({"", "command", "/freeze list", "ok", {}}, t0), "audit actor must not be empty");
    CHECK_THROWS_WITH(s->append_audit({"U0REQ", "command", "/freeze list", "ok", json::array({1, 2})}, t0),
                      "audit detail must be a JSON object, not array");
    CHECK(s->audit_since(utc(2026, 1, 1)).empty());
    CHECK(s->append_audit({"U0REQ", "command", "/freeze list", "ok", {}}, t0).seq == 1);
}

TEMPLATE_TEST_CASE("invalid UTF-8 typed into a command is logged with replacement characters and the chain verifies", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto r = s->append_audit({"U0REQ", "command", "/promote \xff\xfe prod", "refused", {{"raw", "\xc3"}}},
                                   utc(2026, 11, 26, 10));
    CHECK(r.entry.subject == "/promote \xEF\xBF\xBD\xEF\xBF\xBD prod");
    CHECK(s->audit_since(utc(2026, 1, 1))[0].entry.subject == r.entry.subject);
    CHECK(s->verify_audit().ok);
    std::ostringstream out;
    export_audit(s->audit_since(utc(2026, 1, 1)), "jsonl", out);
    CHECK(json::parse(out.str())["detail"]["raw"] == "\xEF\xBF\xBD");
}

TEMPLATE_TEST_CASE("appends from two connections at once keep one unbroken chain", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    { auto init = dir.open(); }
    constexpr int per_writer = 40;
    auto writer = [&](const std::string& actor) {
        auto s = dir.open();  // a separate SQLite connection per writer
        for (int i = 0; i < per_writer; ++i)
            s->append_audit({actor, "step", "request 1", "ok", {{"i", i}}}, utc(2026, 11, 26, 10) + std::chrono::seconds{i});
    };
    std::thread a(writer, "U0A");
    std::thread b(writer, "U0B");
    a.join();
    b.join();
    auto s = dir.open();
    const auto v = s->verify_audit();
    CHECK(v.ok);
    CHECK(v.records == 2 * per_writer);
}

TEMPLATE_TEST_CASE("audit_since returns the records at or after a time, in seq order", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    append_five(*s);
    const auto from_two = s->audit_since(utc(2026, 11, 26, 10, 2));
    REQUIRE(from_two.size() == 3);
    CHECK(from_two[0].seq == 3);
    CHECK(from_two[1].seq == 4);
    CHECK(from_two[2].seq == 5);
    CHECK(from_two[0].entry.detail == json{{"gate", "freeze"}, {"checked", true}});
    CHECK(from_two[1].prev_hash == from_two[0].hash);
    CHECK(s->audit_since(utc(2026, 11, 27)).empty());
}

TEMPLATE_TEST_CASE("the jsonl export has one JSON object per record with ISO 8601 UTC times", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    append_five(*s);
    const auto records = s->audit_since(utc(2026, 1, 1));
    std::ostringstream out;
    export_audit(records, "jsonl", out);

    std::istringstream in(out.str());
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        REQUIRE(n < records.size());
        const auto j = json::parse(line);
        const auto& r = records[n];
        CHECK(j.size() == 9);
        CHECK(j.at("seq") == r.seq);
        CHECK(j.at("actor") == r.entry.actor);
        CHECK(j.at("action") == r.entry.action);
        CHECK(j.at("subject") == r.entry.subject);
        CHECK(j.at("outcome") == r.entry.outcome);
        CHECK(j.at("detail") == r.entry.detail);
        CHECK(j.at("detail").is_object());
        CHECK(j.at("prev_hash") == r.prev_hash);
        CHECK(j.at("hash") == r.hash);
        ++n;
    }
    CHECK(n == 5);
    const auto first = json::parse(out.str().substr(0, out.str().find('\n')));
    CHECK(first.at("at") == "2026-11-26T10:00:00Z");
    CHECK(first.at("detail") == json{{"request", 1}});
}

TEMPLATE_TEST_CASE("the csv export quotes a subject holding a comma, a quote and a newline", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const auto r = s->append_audit(
        {"U0REQ", "command", "/freeze add \"month end, Q4\"\nsecond line", "refused", {{"why", "bad \"date\""}}},
        utc(2026, 11, 26, 9, 5));
    s->append_audit({"system", "gate", "request 1", "passed", {}}, utc(2026, 11, 26, 9, 6));
    std::ostringstream out;
    export_audit(s->audit_since(utc(2026, 1, 1)), "csv", out);
    const std::string csv = out.str();

    const std::string header = "seq,at,actor,action,subject,outcome,detail,prev_hash,hash\r\n";
    CHECK(csv.substr(0, header.size()) == header);
    const std::string first_row = "1,2026-11-26T09:05:00Z,U0REQ,command,"
                                  "\"/freeze add \"\"month end, Q4\"\"\nsecond line\",refused,"
                                  "\"{\"\"why\"\":\"\"bad \\\"\"date\\\"\"\"\"}\",," +
                                  r.hash + "\r\n";
    CHECK(csv.substr(header.size(), first_row.size()) == first_row);

    const auto rows = read_csv(csv);
    REQUIRE(rows.size() == 3);
    CHECK(rows[1][4] == "/freeze add \"month end, Q4\"\nsecond line");
    CHECK(json::parse(rows[1][6]) == json{{"why", "bad \"date\""}});
    CHECK(rows[2] == std::vector<std::string>{"2", "2026-11-26T09:06:00Z", "system", "gate", "request 1", "passed",
                                              "{}", r.hash, s->audit_since(utc(2026, 1, 1))[1].hash});
}

TEMPLATE_TEST_CASE("a csv cell that a spreadsheet would run as a formula is exported as text", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    s->append_audit({"U0REQ", "command", "=HYPERLINK(\"http://evil\")", "refused", {}}, utc(2026, 11, 26, 9, 5));
    s->append_audit({"U0REQ", "command", "@SUM(A1)", "refused", {}}, utc(2026, 11, 26, 9, 6));
    std::ostringstream out;
    export_audit(s->audit_since(utc(2026, 1, 1)), "csv", out);
    const auto rows = read_csv(out.str());
    REQUIRE(rows.size() == 3);
    CHECK(rows[1][4] == "'=HYPERLINK(\"http://evil\")");
    CHECK(rows[2][4] == "'@SUM(A1)");
}

TEST_CASE("an unknown audit export format is refused and nothing is written") {
    std::ostringstream out;
    CHECK_THROWS_AS(export_audit({}, "xml", out), std::invalid_argument);
    CHECK_THROWS_WITH(export_audit({}, "xml", out), "unknown audit export format \"xml\"; use jsonl or csv");
    CHECK(out.str().empty());
}

TEST_CASE("a rewrite that recomputes every hash passes the chain but not an anchor taken before it") {
    temp_dir dir;
    audit_anchor anchor;
    {
        auto s = open_sqlite_store(dir.file());
        append_five(*s);
        anchor = s->verify_audit().head;
        CHECK(anchor.seq == 5);
    }
    audit_tamperer(dir.file()).rewrite_outcome_and_rehash(2, "refused");
    auto s = open_sqlite_store(dir.file());
    CHECK(s->audit_since(utc(2026, 1, 1))[1].entry.outcome == "refused");
    CHECK(s->verify_audit().ok);
    const auto v = s->verify_audit(anchor);
    CHECK_FALSE(v.ok);
    CHECK(v.first_broken_seq == std::optional<std::int64_t>{5});
    CHECK_THAT(v.problem, Catch::StartsWith("record 5 does not match the anchor"));
}

TEMPLATE_TEST_CASE("the store hashes audit records with HMAC-SHA256 when opened with the audit key", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    const audit_key key{"s3cret-audit-key"};
    auto s = dir.open(key);
    const auto r = s->append_audit({"U0REQ", "command", "/freeze", "ok", {}}, utc(2026, 11, 26, 10));
    CHECK(r.mac == "hmac-sha256");
    CHECK(r.hash == hmac_sha256_hex(key.bytes, audit_hash_input(r)));
    const auto stored = s->audit_since(utc(2026, 1, 1));
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].mac == "hmac-sha256");
    CHECK(stored[0].hash == r.hash);
    const auto v = s->verify_audit();
    CHECK(v.ok);
    CHECK(v.keyed_records == 1);
}

TEMPLATE_TEST_CASE("a log started without the key and continued with it verifies with the key only", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    const audit_key key{"s3cret-audit-key"};
    {
        auto plain = dir.open();
        append_five(*plain);
    }
    {
        auto keyed = dir.open(key);
        CHECK(keyed->verify_audit().ok);
        CHECK(keyed->append_audit({"U0REQ", "command", "/freeze", "ok", {}}, utc(2026, 11, 26, 11)).mac ==
              "hmac-sha256");
        const auto v = keyed->verify_audit();
        CHECK(v.ok);
        CHECK(v.records == 6);
        CHECK(v.keyed_records == 1);
    }
    const auto keyless = dir.open()->verify_audit();
    CHECK_FALSE(keyless.ok);
    CHECK(keyless.first_broken_seq == std::optional<std::int64_t>{6});
    CHECK(keyless.problem == "record 6 is keyed (HMAC-SHA256) and cannot be verified without PROMOTEBOT_AUDIT_KEY");
}

TEST_CASE("with the key, a record rewritten and rehashed by someone without the key fails verification") {
    temp_dir dir;
    const audit_key key{"s3cret-audit-key"};
    {
        auto s = open_sqlite_store(dir.file(), key);
        append_five(*s);
    }
    SECTION("keyed records rehashed with SHA-256 after a keyed record") {
        audit_tamperer(dir.file()).rewrite_outcome_and_rehash(3, "refused");
        const auto v = open_sqlite_store(dir.file(), key)->verify_audit();
        CHECK_FALSE(v.ok);
        CHECK(v.first_broken_seq == std::optional<std::int64_t>{3});
        CHECK_THAT(v.problem, Catch::StartsWith("record 3 has a plain SHA-256 hash after keyed record 1"));
    }
    SECTION("a field changed under its HMAC") {
        audit_tamperer(dir.file()).exec("UPDATE audit_log SET outcome = 'refused' WHERE seq = 3");
        const auto v = open_sqlite_store(dir.file(), key)->verify_audit();
        CHECK_FALSE(v.ok);
        CHECK(v.first_broken_seq == std::optional<std::int64_t>{3});
        CHECK_THAT(v.problem, Catch::StartsWith("HMAC mismatch at record 3"));
    }
    SECTION("the whole log downgraded to plain hashes passes alone, but not an anchor") {
        const auto anchor = open_sqlite_store(dir.file(), key)->verify_audit().head;
        audit_tamperer(dir.file()).rewrite_outcome_and_rehash(1, "refused");
        auto s = open_sqlite_store(dir.file(), key);
        const auto alone = s->verify_audit();
        CHECK(alone.ok);
        CHECK(alone.keyed_records == 0);
        const auto v = s->verify_audit(anchor);
        CHECK_FALSE(v.ok);
        CHECK_THAT(v.problem, Catch::StartsWith("record 5 does not match the anchor"));
    }
}

TEMPLATE_TEST_CASE("keyed audit records fail verification with the wrong key", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    {
        auto s = dir.open(audit_key{"s3cret-audit-key"});
        append_five(*s);
    }
    const auto v = dir.open(audit_key{"another-key"})->verify_audit();
    CHECK_FALSE(v.ok);
    CHECK(v.first_broken_seq == std::optional<std::int64_t>{1});
    CHECK_THAT(v.problem, Catch::StartsWith("HMAC mismatch at record 1"));
}

TEMPLATE_TEST_CASE("a 1 MB text is recorded in the audit log cut to 4 KiB and marked as cut", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const std::string huge(1024 * 1024, 'x');
    // A character of two bytes straddles the cut: it is left out whole.
    const std::string straddling = std::string(audit_text_limit - 1, 'a') + "é" + "tail";
    s->append_audit({"U0REQ", "command", "/freeze add 2030-01-10 2030-01-11 " + huge, "rejected",
                     {{"reason", huge}, {"nested", {{"note", straddling}}}}},
                    utc(2026, 11, 26, 9, 5));
    const auto stored = s->audit_since(utc(2026, 1, 1));
    REQUIRE(stored.size() == 1);
    const auto& e = stored[0].entry;
    const std::string mark = "… [cut: " + std::to_string(huge.size() + 34) + " bytes in all]";
    CHECK(e.subject.size() == audit_text_limit + mark.size());
    CHECK(e.subject.substr(audit_text_limit) == mark);
    const auto reason = e.detail.at("reason").template get<std::string>();
    CHECK(reason == std::string(audit_text_limit, 'x') + "… [cut: 1048576 bytes in all]");
    const auto note = e.detail.at("nested").at("note").template get<std::string>();
    CHECK(note == std::string(audit_text_limit - 1, 'a') + "… [cut: " + std::to_string(straddling.size()) +
                      " bytes in all]");
    CHECK(s->verify_audit().ok);
}

TEMPLATE_TEST_CASE("a detail too big even with its texts cut is replaced by a note of its size", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    json many = json::array();
    for (int i = 0; i < 10000; ++i) many.push_back(i);
    s->append_audit({"U0REQ", "command", "x", "rejected", {{"values", many}}}, utc(2026, 11, 26, 9, 5));
    const auto detail = s->audit_since(utc(2026, 1, 1)).at(0).entry.detail;
    CHECK(detail == json{{"cut", "detail of " + std::to_string(json{{"values", many}}.dump().size()) +
                                     " bytes not recorded"}});
}

TEMPLATE_TEST_CASE("the csv export escapes control characters and keeps line feeds quoted", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto s = dir.open();
    const std::string subject = std::string{"/freeze add \x1b[31mred\x07 bell\r"} + '\0' + "nul\tab\x7f del \xc2\x9b csi\nnext";
    s->append_audit({"U0REQ", "command", subject, "refused", {}}, utc(2026, 11, 26, 9, 5));
    s->append_audit({"U0REQ", "command", "\tstarts with a tab", "refused", {}}, utc(2026, 11, 26, 9, 6));
    std::ostringstream out;
    export_audit(s->audit_since(utc(2026, 1, 1)), "csv", out);
    const auto csv = out.str();
    // The only control characters left are the row ends and the quoted line feed.
    std::string controls;
    for (std::size_t i = 0; i < csv.size(); ++i) {
        const auto c = static_cast<unsigned char>(csv[i]);
        if ((c < 0x20 || c == 0x7f) && c != '\n' && !(c == '\r' && i + 1 < csv.size() && csv[i + 1] == '\n'))
            controls += std::to_string(c) + " ";
        if (c == 0xc2 && i + 1 < csv.size() && static_cast<unsigned char>(csv[i + 1]) == 0x9b) controls += "C1 ";
    }
    CHECK(controls.empty());
    const auto rows = read_csv(csv);
    REQUIRE(rows.size() == 3);
    // PostgreSQL text cannot hold NUL: that store keeps U+FFFD in its place.
    const std::string nul = TestType::keeps_nul ? "\\u0000" : "\xEF\xBF\xBD";
    CHECK(rows[1][4] ==
          "/freeze add \\u001B[31mred\\u0007 bell\\u000D" + nul + "nul\\u0009ab\\u007F del \\u009B csi\nnext");
    CHECK(rows[2][4] == "\\u0009starts with a tab");
}
