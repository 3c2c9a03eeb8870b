// The audit log's head is posted to the audit channel once a day, through the outbox.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bot/config/config.hpp"
#include "bot/services/audit_anchor_service.hpp"
#include "commands/audit/audit_anchor.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/support/audit_tamper.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace promotebot::bot;
using namespace std::chrono_literals;

namespace {

const sys_seconds t0{std::chrono::seconds{1795687200}};  // 2026-11-26 06:00 UTC

struct anchor_harness {
    anchor_harness() : db(sqlite::open_sqlite_store(dir.file())), st(sqlite::threaded_store(*db)) {
        cfg = embedded_default_config();
        cfg.audit.channel = "C0AUDIT0001";
        service = std::make_unique<audit_anchor_service>(cfg, *st, [this] { return now; });
        for (int i = 0; i < 3; ++i) db->append_audit({"U0RM00001", "freeze.add", "window " + std::to_string(i), "ok", {}}, t0);
    }
    bool post_if_due() {
        bool out = false;
        boost::asio::co_spawn(io, service->post_if_due(), [&](std::exception_ptr e, bool queued) {
            if (e) std::rethrow_exception(e);
            out = queued;
        });
        io.restart();
        io.run();
        return out;
    }
    std::vector<outbox_row> posts() const { return db->due_outbox(sys_millis{std::chrono::hours(24 * 365 * 100)}, 100); }

    testing::temp_dir dir;
    boost::asio::io_context io;
    config cfg;
    std::unique_ptr<sqlite::sqlite_store> db;
    std::unique_ptr<store> st;
    std::chrono::system_clock::time_point now{t0};
    std::unique_ptr<audit_anchor_service> service;
};

}  // namespace

TEST_CASE("the audit log's head is posted to the audit channel once a day and the post is audited") {
    anchor_harness h;
    const auto head = h.db->verify_audit().head;
    REQUIRE(head.seq == 3);
    REQUIRE(h.post_if_due());
    auto posts = h.posts();
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].message.channel == "C0AUDIT0001");
    CHECK_THAT(posts[0].message.body.text.readable(), Catch::Contains(commands::to_string(head)));
    const auto records = h.db->audit_since(t0 - 1h);
    REQUIRE(records.size() == 4);
    CHECK(records.back().entry.action == "audit.anchor");
    CHECK(records.back().entry.subject == commands::to_string(head));

    h.now += 23h;
    CHECK_FALSE(h.post_if_due());
    CHECK(h.posts().size() == 1);
    h.now += 1h;
    CHECK(h.post_if_due());
    CHECK(h.posts().size() == 2);
}

TEST_CASE("a broken audit chain is not anchored: the audit channel is told instead") {
    anchor_harness h;
    {
        testing::audit_tamperer attacker(h.dir.file());
        attacker.exec("UPDATE audit_log SET outcome = 'refused' WHERE seq = 2");
    }
    REQUIRE(h.post_if_due());
    const auto posts = h.posts();
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].message.body.header == "Audit log broken");
    CHECK_THAT(posts[0].message.body.text.readable(), Catch::Contains("record 2"));
}

TEST_CASE("without an audit channel nothing is posted") {
    anchor_harness h;
    h.cfg.audit.channel.clear();
    CHECK_FALSE(h.post_if_due());
    CHECK(h.posts().empty());
}
