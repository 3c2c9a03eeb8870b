// The audit chain's pure rules: how records are verified one at a time, what
// an anchor kept outside the database catches, keyed hashes, and the daily
// anchor post.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands/audit/audit_anchor.hpp"
#include "commands/audit/audit_chain.hpp"
#include "commands/audit/sha256.hpp"

using namespace promotebot::commands;
using namespace std::chrono_literals;

namespace {

sys_seconds utc(int y, unsigned m, unsigned d, int h = 0, int min = 0) {
    return sys_seconds{std::chrono::sys_days{std::chrono::year{y} / m / d}} + std::chrono::hours{h} +
           std::chrono::minutes{min};
}

const audit_key key{"correct horse battery staple"};

// A chain of `n` records, one a minute from 10:00 on 2026-11-26; the first
// `plain` records hashed with SHA-256, the rest with `hmac_key` when given.
std::vector<audit_record> chain(int n, const std::optional<audit_key>& hmac_key = std::nullopt, int plain = 0) {
    std::vector<audit_record> out;
    std::string prev;
    for (int i = 1; i <= n; ++i) {
        audit_record r;
        r.seq = i;
        r.at = utc(2026, 11, 26, 10) + std::chrono::minutes{i - 1};
        r.entry = {"U0REQ", "command", "/freeze add " + std::to_string(i), "ok", {{"i", i}}};
        r.prev_hash = prev;
        seal_audit_record(r, i <= plain ? std::nullopt : hmac_key);
        prev = r.hash;
        out.push_back(r);
    }
    return out;
}

// What someone who can write the database but lacks the key can do: change a
// field of record `seq`, then recompute every plain SHA-256 hash from there on.
void rewrite_and_rehash(std::vector<audit_record>& records, std::int64_t seq, const std::string& outcome) {
    records[static_cast<std::size_t>(seq - 1)].entry.outcome = outcome;
    for (auto i = static_cast<std::size_t>(seq - 1); i < records.size(); ++i) {
        if (i > 0) records[i].prev_hash = records[i - 1].hash;
        records[i].hash = audit_record_hash(records[i]);
    }
}

audit_verification verify(const std::vector<audit_record>& records, std::optional<audit_key> k = std::nullopt,
                          std::optional<audit_anchor> anchor = std::nullopt) {
    audit_chain_verifier verifier(std::move(k), std::move(anchor));
    for (const auto& r : records) verifier.add(r);
    return verifier.result();
}

audit_anchor anchor_at(const std::vector<audit_record>& records, std::int64_t seq) {
    return {seq, records[static_cast<std::size_t>(seq - 1)].hash};
}

}  // namespace

TEST_CASE("HMAC-SHA256 hex digests match the RFC 4231 test vectors") {
    CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There") ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK_THROWS_AS(hmac_sha256_hex("", "data"), std::invalid_argument);
}

TEST_CASE("a record sealed with a key carries an HMAC of its canonical bytes, without a key their SHA-256") {
    audit_record r;
    r.seq = 1;
    r.at = utc(2026, 11, 26, 10);
    r.entry = {"U0REQ", "command", "/freeze", "ok", {}};
    seal_audit_record(r, std::nullopt);
    CHECK(r.mac == "sha256");
    CHECK(r.hash == sha256_hex(audit_hash_input(r)));
    seal_audit_record(r, key);
    CHECK(r.mac == "hmac-sha256");
    CHECK(r.hash == hmac_sha256_hex(key.bytes, audit_hash_input(r)));
    CHECK(r.hash != sha256_hex(audit_hash_input(r)));
}

TEST_CASE("the verifier accepts an intact chain and reports its head") {
    const auto records = chain(5);
    const auto v = verify(records);
    CHECK(v.ok);
    CHECK(v.records == 5);
    CHECK(v.keyed_records == 0);
    CHECK_FALSE(v.first_broken_seq);
    CHECK(v.head == audit_anchor{5, records[4].hash});

    const auto empty = verify({});
    CHECK(empty.ok);
    CHECK(empty.head == audit_anchor{0, ""});
}

TEST_CASE("the verifier reports the first break with the store's messages") {
    SECTION("a changed field is a hash mismatch at that record") {
        auto records = chain(5);
        records[2].entry.subject = "/freeze add 99";
        const auto v = verify(records);
        CHECK_FALSE(v.ok);
        CHECK(v.first_broken_seq == std::optional<std::int64_t>{3});
        CHECK(v.problem == "hash mismatch at record 3: stored " + records[2].hash + ", recomputed " +
                               audit_record_hash(records[2]));
        CHECK(v.records == 5);
    }
    SECTION("a missing record is a gap") {
        auto records = chain(5);
        records.erase(records.begin() + 2);
        const auto v = verify(records);
        CHECK(v.first_broken_seq == std::optional<std::int64_t>{4});
        CHECK(v.problem == "gap in seq numbers: expected record 3 but the next record is 4 (records 3..3 are missing)");
    }
    SECTION("a record rehashed on its own breaks the next record's link") {
        auto records = chain(5);
        records[1].entry.outcome = "refused";
        records[1].hash = audit_record_hash(records[1]);
        const auto v = verify(records);
        CHECK(v.first_broken_seq == std::optional<std::int64_t>{3});
        CHECK_THAT(v.problem, Catch::StartsWith("prev_hash link broken at record 3: it names " + records[2].prev_hash));
    }
    SECTION("a detail that did not parse is named") {
        auto records = chain(3);
        records[0].entry.detail = nlohmann::json(nlohmann::json::value_t::discarded);
        const auto v = verify(records);
        CHECK(v.first_broken_seq == std::optional<std::int64_t>{1});
        CHECK(v.problem == "detail of record 1 is not valid JSON");
    }
    SECTION("an unknown hash kind is named") {
        auto records = chain(3);
        records[1].mac = "md5";
        const auto v = verify(records);
        CHECK(v.first_broken_seq == std::optional<std::int64_t>{2});
        CHECK(v.problem == "record 2 names an unknown hash kind \"md5\"");
    }
}

TEST_CASE("a fully rehashed rewrite passes the chain alone but not an anchor taken before it") {
    const auto original = chain(6);
    const auto anchor = anchor_at(original, 4);
    auto forged = original;
    rewrite_and_rehash(forged, 2, "refused");

    CHECK(verify(forged).ok);
    const auto v = verify(forged, std::nullopt, anchor);
    CHECK_FALSE(v.ok);
    CHECK(v.first_broken_seq == std::optional<std::int64_t>{4});
    CHECK(v.problem == "record 4 does not match the anchor: its hash is " + forged[3].hash + " but the anchor says " +
                           original[3].hash + " (the log was rewritten up to the anchor)");

    CHECK(verify(original, std::nullopt, anchor).ok);
}

TEST_CASE("deleting the tail up to the anchor is detected, a rewrite after the anchor is not the anchor's business") {
    const auto original = chain(6);
    const auto anchor = anchor_at(original, 4);

    const std::vector<audit_record> truncated(original.begin(), original.begin() + 3);
    CHECK(verify(truncated).ok);
    const auto v = verify(truncated, std::nullopt, anchor);
    CHECK_FALSE(v.ok);
    CHECK(v.first_broken_seq == std::optional<std::int64_t>{4});
    CHECK(v.problem == "the anchor names record 4 but the log ends at record 3: records up to the anchor were deleted");

    const auto emptied = verify({}, std::nullopt, anchor);
    CHECK_FALSE(emptied.ok);
    CHECK(emptied.problem == "the anchor names record 4 but the log is empty: records up to the anchor were deleted");

    auto later = original;
    rewrite_and_rehash(later, 5, "refused");
    CHECK(verify(later, std::nullopt, anchor).ok);
}

TEST_CASE("records appended after the anchor still verify against it, and so does the empty anchor") {
    const auto grown = chain(9);
    const auto anchor = anchor_at(chain(4), 4);
    CHECK(anchor == anchor_at(grown, 4));
    CHECK(verify(grown, std::nullopt, anchor).ok);
    CHECK(verify(grown, std::nullopt, audit_anchor{0, ""}).ok);
    CHECK(verify({}, std::nullopt, audit_anchor{0, ""}).ok);
}

TEST_CASE("keyed records verify with the key, and a rewrite rehashed without the key is found") {
    const auto records = chain(5, key);
    const auto v = verify(records, key);
    CHECK(v.ok);
    CHECK(v.keyed_records == 5);

    auto forged = records;
    forged[1].entry.outcome = "refused";
    forged[1].hash = audit_record_hash(forged[1]);  // what is computable without the key
    for (std::size_t i = 2; i < forged.size(); ++i) {
        forged[i].prev_hash = forged[i - 1].hash;
        forged[i].hash = audit_record_hash(forged[i]);
    }
    const auto broken = verify(forged, key);
    CHECK_FALSE(broken.ok);
    CHECK(broken.first_broken_seq == std::optional<std::int64_t>{2});
    CHECK(broken.problem == "HMAC mismatch at record 2: the record was changed, or PROMOTEBOT_AUDIT_KEY is not the "
                            "key it was written with");
}

TEST_CASE("keyed records fail with the wrong key, and cannot be verified without one") {
    const auto records = chain(3, key);
    const auto wrong = verify(records, audit_key{"wr0ng-k3y"});
    CHECK_FALSE(wrong.ok);
    CHECK(wrong.first_broken_seq == std::optional<std::int64_t>{1});
    CHECK_THAT(wrong.problem, Catch::StartsWith("HMAC mismatch at record 1"));
    // The recomputed HMAC would be a forgery oracle; the key is never echoed.
    CHECK_THAT(wrong.problem, !Catch::Contains(audit_record_hmac(records[0], audit_key{"wr0ng-k3y"})));
    CHECK_THAT(wrong.problem, !Catch::Contains("wr0ng-k3y"));

    const auto keyless = verify(records);
    CHECK_FALSE(keyless.ok);
    CHECK(keyless.first_broken_seq == std::optional<std::int64_t>{1});
    CHECK(keyless.problem ==
          "record 1 is keyed (HMAC-SHA256) and cannot be verified without PROMOTEBOT_AUDIT_KEY");
}

TEST_CASE("a log started without a key and continued with one verifies, but going back to plain hashes does not") {
    const auto mixed = chain(6, key, 3);
    CHECK(mixed[2].mac == "sha256");
    CHECK(mixed[3].mac == "hmac-sha256");
    const auto v = verify(mixed, key);
    CHECK(v.ok);
    CHECK(v.records == 6);
    CHECK(v.keyed_records == 3);

    // Downgrading the keyed tail to plain hashes and rehashing it is refused.
    auto downgraded = mixed;
    for (std::size_t i = 4; i < downgraded.size(); ++i) {
        downgraded[i].mac = "sha256";
        downgraded[i].prev_hash = downgraded[i - 1].hash;
        downgraded[i].hash = audit_record_hash(downgraded[i]);
    }
    const auto refused = verify(downgraded, key);
    CHECK_FALSE(refused.ok);
    CHECK(refused.first_broken_seq == std::optional<std::int64_t>{5});
    CHECK_THAT(refused.problem, Catch::StartsWith("record 5 has a plain SHA-256 hash after keyed record 4"));
}

TEST_CASE("an anchor is written SEQ:HASH and read back exactly, and anything else is refused") {
    const std::string hash(64, 'a');
    CHECK(to_string(audit_anchor{42, hash}) == "42:" + hash);
    CHECK(to_string(audit_anchor{}) == "0:");
    CHECK(parse_audit_anchor("42:" + hash) == audit_anchor{42, hash});
    CHECK(parse_audit_anchor("7:" + std::string(64, 'F')) == audit_anchor{7, std::string(64, 'f')});
    CHECK(parse_audit_anchor("0:") == audit_anchor{0, ""});
    const std::vector<std::string> malformed{"",           ":",           "42",          "42:",
                                             "42:" + hash.substr(1),      "42:" + hash + "0",
                                             "-1:" + hash, "+4:" + hash,  "4 :" + hash,  ":" + hash,
                                             "0:" + hash,  "4:" + std::string(63, 'a') + "g",
                                             "99999999999999999999:" + hash};
    for (const auto& bad : malformed) {
        INFO(bad);
        CHECK_FALSE(parse_audit_anchor(bad));
    }
}

TEST_CASE("the anchor post is due when never posted or a day after the last one") {
    const auto last = utc(2026, 11, 26, 9);
    CHECK(anchor_post_due(std::nullopt, last));
    CHECK_FALSE(anchor_post_due(last, last));
    CHECK_FALSE(anchor_post_due(last, last + 23h + 59min));
    CHECK(anchor_post_due(last, last + 24h));
    CHECK(anchor_post_due(last, last + 72h));
    // A clock set back must not silence the post until it catches up.
    CHECK(anchor_post_due(last, last - 1h));
}

TEST_CASE("the daily anchor message shows the head, the record count and the time") {
    const std::string hash(64, 'c');
    const auto m = anchor_message({1234, hash}, 1234, utc(2026, 11, 26, 9, 30));
    CHECK(m.header == "Audit log anchor");
    CHECK_THAT(m.text.readable(), Catch::Contains("`1234:" + hash + "`"));
    CHECK_THAT(m.text.readable(), Catch::Contains("promotebot audit verify --anchor 1234:" + hash));
    REQUIRE(m.fields.size() == 2);
    CHECK(m.fields[0].label == "Records");
    CHECK(m.fields[0].value == "1234");
    CHECK(m.fields[1].label == "Taken at");
    CHECK(m.fields[1].value == "2026-11-26T09:30:00Z");
    CHECK(m.buttons.empty());
}
