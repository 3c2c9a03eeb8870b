// The transactional outbox: a change, its audit records and its messages
// commit together; the dispatcher delivers in order, retries, reconciles a
// post whose answer was lost, and resumes after a restart.
#include <catch2/catch.hpp>

#include "tests/support/store_backends.hpp"

#include <deque>
#include <stdexcept>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/services/effects.hpp"
#include "bot/services/outbox_dispatcher.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace promotebot::bot;
using namespace std::chrono_literals;
using outcome = delivery_result::outcome;
using promotebot::testing::postgresql_backend;
using promotebot::testing::sqlite_backend;
namespace asio = boost::asio;

namespace {

const sys_seconds t0{std::chrono::seconds{1795687200}};  // 2026-11-26 (UTC)
sys_millis ms(sys_seconds t) { return std::chrono::time_point_cast<std::chrono::milliseconds>(t); }

commands::message text_message(std::string text) {
    commands::message m;
    m.text = commands::rich_text{std::move(text)};
    return m;
}

std::string text_of(const commands::message& m) { return m.text.readable(); }

outbox_message post_to(std::string channel, std::string text, std::string key = {}) {
    outbox_message m;
    m.kind = outbox_kind::post;
    m.channel = std::move(channel);
    m.message_key = std::move(key);
    m.body = text_message(std::move(text));
    return m;
}

outbox_message update_of(std::string channel, std::string key, std::string text) {
    auto m = post_to(std::move(channel), std::move(text), std::move(key));
    m.kind = outbox_kind::update;
    return m;
}

// A chat platform the test scripts: each call takes the next planned outcome
// (delivered when none is planned) and is recorded. Posts that "arrive" are
// kept in a channel history the lookup searches, like Slack's.
struct scripted_chat : chat_port {
    struct call {
        std::string what;  // post / update / ephemeral / respond / find
        std::string channel;
        std::string ts;
        std::string text;
        std::int64_t outbox_id = 0;
    };
    std::deque<delivery_result> plan;
    std::deque<lookup_result::outcome> lookups;  // planned lookup outcomes before the history is searched
    std::vector<call> calls;
    std::map<std::int64_t, std::string> history;  // outbox ID -> ts of posts that reached the channel
    int next_ts = 1;

    delivery_result next(bool arrives_even_if_unanswered = false, std::int64_t outbox_id = 0) {
        delivery_result r;
        if (!plan.empty()) {
            r = plan.front();
            plan.pop_front();
        }
        const bool arrived = r.what == outcome::delivered || (r.what == outcome::maybe_sent && arrives_even_if_unanswered);
        if (arrived && outbox_id != 0) {
            const auto ts = "17000000" + std::to_string(next_ts++) + ".000100";
            history[outbox_id] = ts;
            if (r.what == outcome::delivered) r.ts = ts;
        }
        return r;
    }

    bool lost_answers_arrive = true;  // a maybe_sent post did reach the channel

    asio::awaitable<delivery_result> post(const std::string& channel, const commands::message& m,
                                          std::int64_t id) override {
        calls.push_back({"post", channel, {}, text_of(m), id});
        co_return next(lost_answers_arrive, id);
    }
    asio::awaitable<lookup_result> find_post(const std::string& channel, std::int64_t id, sys_seconds) override {
        calls.push_back({"find", channel, {}, {}, id});
        if (!lookups.empty()) {
            auto planned = lookups.front();
            lookups.pop_front();
            co_return lookup_result{planned, {}, "planned"};
        }
        auto found = history.find(id);
        if (found == history.end()) co_return lookup_result{lookup_result::outcome::absent, {}, {}};
        co_return lookup_result{lookup_result::outcome::found, found->second, {}};
    }
    asio::awaitable<delivery_result> update(const std::string& channel, const std::string& ts,
                                            const commands::message& m) override {
        calls.push_back({"update", channel, ts, text_of(m)});
        co_return next();
    }
    asio::awaitable<delivery_result> reply(const std::string& channel, const std::string& thread_ts,
                                           const commands::message& m) override {
        calls.push_back({"reply", channel, thread_ts, text_of(m)});
        co_return next();
    }
    asio::awaitable<delivery_result> ephemeral(const std::string& channel, const std::string&,
                                               const commands::message& m) override {
        calls.push_back({"ephemeral", channel, {}, text_of(m)});
        co_return next();
    }
    asio::awaitable<delivery_result> respond(const std::string&, const std::string& channel, const std::string&,
                                             bool, const commands::message& m) override {
        calls.push_back({"respond", channel, {}, text_of(m)});
        co_return next();
    }
    // The outbox never opens forms; a call here is recorded so a test would see it.
    asio::awaitable<delivery_result> open_form(const std::string& trigger_id, const commands::form& f) override {
        calls.push_back({"open_form", trigger_id, {}, f.callback_id});
        co_return next();
    }
    // Nor publishes Home tabs.
    asio::awaitable<delivery_result> publish_home(const std::string& user_id, const commands::message& m) override {
        calls.push_back({"publish_home", user_id, {}, text_of(m)});
        co_return next();
    }

    [[nodiscard]] std::vector<call> of(const std::string& what) const {
        std::vector<call> out;
        for (const auto& c : calls)
            if (c.what == what) out.push_back(c);
        return out;
    }
};

// A manual wall clock for the dispatcher's schedule.
struct manual_clock {
    std::chrono::system_clock::time_point now{t0};
    outbox_dispatcher::clock fn() {
        return [this] { return now; };
    }
    [[nodiscard]] sys_seconds now_s() const { return std::chrono::time_point_cast<std::chrono::seconds>(now); }
};

// One bot process's view of a store: the store thread, the dispatcher.
struct harness {
    template <typename Store>
    harness(std::unique_ptr<Store> opened, scripted_chat& chat, manual_clock& clock)
        : db(std::move(opened)),
          st(storage::threaded_store(*db)),
          dispatcher(io.get_executor(), *st, chat, clock.fn(),
                     {[](int attempts) { return std::chrono::milliseconds(1000 * attempts); }}) {}

    template <typename T>
    T run(asio::awaitable<T> task) {
        return testing::run_awaitable(io, std::move(task));
    }
    int deliver() { return run(dispatcher.deliver_due()); }

    asio::io_context io;
    std::unique_ptr<storage::synchronous_store> db;
    std::unique_ptr<store> st;
    outbox_dispatcher dispatcher;
};

delivery_result fails(outcome what, std::string error = "planned failure") { return {what, {}, std::move(error), {}}; }

}  // namespace

TEMPLATE_TEST_CASE("a change, its audit record and its announcement commit together or not at all", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto db = dir.open();
    effects fx;
    fx.record("U0LEAD", "freeze.add", "/freeze add …", "ok");
    fx.post("C0RELEASE", text_message("Freeze window added"));

    // The unit of work fails after the window, the record and the message were written: nothing stays.
    CHECK_THROWS_WITH(db->transaction([&](store_session& s) {
        s.add_freeze_window(t0, t0 + 24h, "audit", "U0LEAD", t0);
        fx.apply(s, t0);
        throw std::runtime_error("crash before commit");
    }),
                      "crash before commit");
    CHECK(db->freeze_windows().empty());
    CHECK(db->audit_since(t0 - 24h).empty());
    CHECK(db->outbox_pending() == 0);

    db->transaction([&](store_session& s) {
        s.add_freeze_window(t0, t0 + 24h, "audit", "U0LEAD", t0);
        fx.apply(s, t0);
    });
    CHECK(db->freeze_windows().size() == 1);
    CHECK(db->audit_since(t0 - 24h).size() == 1);
    CHECK(db->outbox_pending() == 1);
    CHECK(db->verify_audit().ok);
}

TEMPLATE_TEST_CASE("the inbox entry is marked done in the transaction of its outcome", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto db = dir.open();
    REQUIRE(db->journal_inbound({"trigger:1", inbound_kind::slash_command, {{"command", "/freeze"}}, t0}));
    effects fx;
    fx.record("U1", "command", "/freeze", "ok");
    CHECK_THROWS(db->transaction([&](store_session& s) {
        fx.apply(s, t0, "trigger:1");
        throw std::runtime_error("lost");
    }));
    REQUIRE(db->unfinished_inbound().size() == 1);
    CHECK(db->unfinished_inbound()[0].kind == inbound_kind::slash_command);
    db->transaction([&](store_session& s) { fx.apply(s, t0, "trigger:1"); });
    CHECK(db->unfinished_inbound().empty());
}

TEMPLATE_TEST_CASE("outbox rows of one message are due one at a time, in order", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto db = dir.open();
    const auto post = db->enqueue_outbox(post_to("C1", "v1", "request:7"), t0);
    db->enqueue_outbox(update_of("C1", "request:7", "v2"), t0);
    const auto other = db->enqueue_outbox(post_to("C2", "other"), t0);

    auto due = db->due_outbox(ms(t0), 10);
    REQUIRE(due.size() == 2);  // the post of request:7 and the unrelated post; not the update
    CHECK(due[0].id == post);
    CHECK(due[1].id == other);
    CHECK(due[1].message.message_key == "outbox:" + std::to_string(other));
    CHECK(db->due_outbox(ms(t0) - 1ms, 10).empty());  // nothing is due before it was written

    db->outbox_delivered(post, "1700000001.000100", t0);
    due = db->due_outbox(ms(t0), 10);
    REQUIRE(due.size() == 2);  // oldest first: the update now that its post has a ts, then the other post
    CHECK(due[0].message.kind == outbox_kind::update);
    REQUIRE(due[0].post_ts);
    CHECK(*due[0].post_ts == "1700000001.000100");
    CHECK(due[1].id == other);
}

TEMPLATE_TEST_CASE("the newest pending update of a message stands for the older ones", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    auto db = dir.open();
    const auto post = db->enqueue_outbox(post_to("C1", "v1", "request:7"), t0);
    db->outbox_delivered(post, "1.0", t0);
    const auto first = db->enqueue_outbox(update_of("C1", "request:7", "v2"), t0);
    db->enqueue_outbox(update_of("C1", "request:7", "v3"), t0);
    const auto last = db->enqueue_outbox(update_of("C1", "request:7", "v4"), t0);

    auto due = db->due_outbox(ms(t0), 10);
    REQUIRE(due.size() == 1);
    CHECK(due[0].id == first);
    CHECK(due[0].covers_up_to == last);
    CHECK(text_of(due[0].message.body) == "v4");
    db->outbox_delivered(due[0].covers_up_to, "1.0", t0);
    CHECK(db->outbox_pending() == 0);
}

TEMPLATE_TEST_CASE("a post that fails for a while is delivered once, after backoff", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    harness h(dir.open(), chat, clock);
    const auto id = h.db->enqueue_outbox(post_to("C0RELEASE", "Freeze window #1 added"), t0);
    chat.plan = {fails(outcome::not_sent), fails(outcome::not_sent)};
    chat.plan.push_back({outcome::not_sent, {}, "ratelimited", std::chrono::seconds(30)});

    CHECK(h.deliver() == 1);
    CHECK(chat.of("post").size() == 1);
    CHECK(h.deliver() == 0);  // backing off: not due yet
    CHECK(chat.of("post").size() == 1);
    clock.now += 1s;
    CHECK(h.deliver() == 1);
    clock.now += 2s;
    CHECK(h.deliver() == 1);  // rate limited: 30 s, longer than the backoff
    clock.now += 29s;
    CHECK(h.deliver() == 0);
    clock.now += 1s;
    CHECK(h.deliver() == 1);
    CHECK(chat.of("post").size() == 4);
    CHECK(chat.of("find").empty());  // never in doubt: no lookup needed
    CHECK(h.db->outbox_state_of(id) == outbox_state::delivered);
    CHECK(chat.history.size() == 1);
}

TEMPLATE_TEST_CASE("a post whose answer was lost is looked up, not posted twice", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    harness h(dir.open(), chat, clock);
    const auto id = h.db->enqueue_outbox(post_to("C0RELEASE", "Freeze window #1 added", "freeze:1"), t0);
    h.db->enqueue_outbox(update_of("C0RELEASE", "freeze:1", "Freeze window #1 removed"), t0);
    chat.plan = {fails(outcome::maybe_sent, "timeout after the request was written")};

    CHECK(h.deliver() == 1);
    REQUIRE(chat.history.size() == 1);  // it did reach the channel
    clock.now += 1s;
    CHECK(h.deliver() == 1);
    CHECK(chat.of("post").size() == 1);
    REQUIRE(chat.of("find").size() == 1);
    CHECK(chat.of("find")[0].outbox_id == id);
    CHECK(h.dispatcher.reconciled() == 1);
    CHECK(h.db->outbox_state_of(id) == outbox_state::delivered);
    // The update goes to the post that was found.
    CHECK(h.deliver() == 1);
    REQUIRE(chat.of("update").size() == 1);
    CHECK(chat.of("update")[0].ts == chat.history[id]);
}

TEMPLATE_TEST_CASE("a post in doubt that never arrived is posted again, after a lookup that failed waits", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    harness h(dir.open(), chat, clock);
    chat.lost_answers_arrive = false;
    const auto id = h.db->enqueue_outbox(post_to("C0RELEASE", "hello"), t0);
    chat.plan = {fails(outcome::maybe_sent)};
    chat.lookups = {lookup_result::outcome::unknown};

    h.deliver();
    clock.now += 1s;
    h.deliver();  // the lookup fails: nothing is posted, the row stays in doubt
    CHECK(chat.of("post").size() == 1);
    CHECK(chat.of("find").size() == 1);
    clock.now += 2s;
    h.deliver();  // the lookup finds nothing: posted again
    CHECK(chat.of("find").size() == 2);
    CHECK(chat.of("post").size() == 2);
    CHECK(h.db->outbox_state_of(id) == outbox_state::delivered);
    CHECK(chat.history.size() == 1);
}

TEMPLATE_TEST_CASE("after a crash mid-post the next process reconciles before posting", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    std::int64_t id = 0;
    {
        // The attempt was recorded, then the process died before the answer.
        auto db = dir.open();
        id = db->enqueue_outbox(post_to("C0RELEASE", "announcement"), t0);
        REQUIRE(db->outbox_attempt(id, true, sys_millis{t0}, sys_millis{t0}, "promotebot/old"));
        chat.history[id] = "1700000099.000100";  // Slack did take it
    }
    harness h(dir.open(), chat, clock);
    CHECK(h.deliver() == 1);
    CHECK(chat.of("post").empty());
    CHECK(chat.of("find").size() == 1);
    CHECK(h.db->outbox_state_of(id) == outbox_state::delivered);
    CHECK(h.db->outbox_pending() == 0);
}

TEMPLATE_TEST_CASE("a refused message fails at once and does not hold back other messages", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    harness h(dir.open(), chat, clock);
    const auto bad = h.db->enqueue_outbox(post_to("CGONE", "lost cause", "k"), t0);
    const auto update = h.db->enqueue_outbox(update_of("CGONE", "k", "never"), t0);
    const auto good = h.db->enqueue_outbox(post_to("C0RELEASE", "fine"), t0);
    chat.plan = {fails(outcome::rejected, "channel_not_found")};

    h.deliver();
    CHECK(h.db->outbox_state_of(bad) == outbox_state::failed);
    CHECK(h.db->outbox_state_of(good) == outbox_state::delivered);
    h.deliver();  // the update of a post that never existed fails too
    CHECK(h.db->outbox_state_of(update) == outbox_state::failed);
    CHECK(chat.of("update").empty());
    CHECK(h.dispatcher.failed() == 2);
}

TEMPLATE_TEST_CASE("an ephemeral answer whose delivery is unknown is not repeated", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    harness h(dir.open(), chat, clock);
    outbox_message m;
    m.kind = outbox_kind::ephemeral;
    m.channel = "C1";
    m.user = "U1";
    m.body = text_message("only you");
    const auto id = h.db->enqueue_outbox(m, t0);
    chat.plan = {fails(outcome::maybe_sent)};
    h.deliver();
    clock.now += 10s;
    CHECK(h.deliver() == 0);
    CHECK(chat.of("ephemeral").size() == 1);
    CHECK(h.db->outbox_state_of(id) == outbox_state::delivered);
}

TEMPLATE_TEST_CASE("a message not delivered within the give-up bound fails with a reason", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    harness h(dir.open(), chat, clock);
    const auto id = h.db->enqueue_outbox(post_to("C1", "late"), t0);
    chat.plan = {fails(outcome::not_sent)};
    h.deliver();
    clock.now += 25h;
    h.deliver();
    CHECK(chat.of("post").size() == 1);
    CHECK(h.db->outbox_state_of(id) == outbox_state::failed);
}

TEMPLATE_TEST_CASE("the dispatcher wakes on a commit and delivers without polling", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    harness h(dir.open(), chat, clock);
    h.st->on_commit = [&] { h.dispatcher.notify(); };
    bool delivered = false;
    h.run([&]() -> asio::awaitable<void> {
        asio::co_spawn(h.io, h.dispatcher.run(), asio::detached);
        effects fx;
        fx.post("C1", text_message("queued by a committed change"));
        co_await write(*h.st, [&](store_session& s) { fx.apply(s, t0); });
        asio::steady_timer poll(h.io);
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!delivered && std::chrono::steady_clock::now() < deadline) {
            poll.expires_after(1ms);
            co_await poll.async_wait(asio::use_awaitable);
            delivered = !chat.of("post").empty();
        }
        h.dispatcher.stop();
    }());
    CHECK(delivered);
}

TEMPLATE_TEST_CASE("a thread reply waits for its post, goes into that post's thread, and is not covered by updates", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    harness h(dir.open(), chat, clock);
    h.db->enqueue_outbox(post_to("C0RELEASE", "Promotion #1", "promotion:1"), t0);
    auto note = post_to("C0RELEASE", "Deploy pressed", "promotion:1");
    note.kind = outbox_kind::reply;
    h.db->enqueue_outbox(note, t0);
    h.db->enqueue_outbox(update_of("C0RELEASE", "promotion:1", "Deploying"), t0);

    while (h.deliver() > 0) {
    }
    const auto posts = chat.of("post");
    const auto replies = chat.of("reply");
    REQUIRE(posts.size() == 1);
    REQUIRE(replies.size() == 1);
    CHECK(replies[0].text == "Deploy pressed");
    CHECK(replies[0].ts == chat.history.begin()->second);  // the thread of the post
    CHECK(chat.of("update").size() == 1);
    CHECK(h.db->outbox_pending() == 0);
}

TEMPLATE_TEST_CASE("updates of a message are paced to chat.update's rate and its newest state goes out", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    harness h(dir.open(), chat, clock);  // update_interval: 1.2 s, Slack's 50 a minute
    h.db->enqueue_outbox(post_to("C0RELEASE", "Deploying", "promotion:1"), t0);
    h.db->enqueue_outbox(update_of("C0RELEASE", "promotion:1", "step 1 of 3"), t0);
    CHECK(h.deliver() == 1);  // the post
    CHECK(h.deliver() == 1);  // the first update: nothing was sent before it
    REQUIRE(chat.of("update").size() == 1);

    // One a second for two seconds: the next turn is at 1.2 s.
    clock.now += 1s;
    h.db->enqueue_outbox(update_of("C0RELEASE", "promotion:1", "step 2 of 3"), clock.now_s());
    CHECK(h.deliver() == 1);  // rescheduled to its turn: not sent, not an attempt
    CHECK(chat.of("update").size() == 1);
    REQUIRE(h.db->next_outbox_due());
    CHECK(*h.db->next_outbox_due() == ms(t0) + 1200ms);
    h.db->enqueue_outbox(post_to("C0RELEASE", "another request"), clock.now_s());
    CHECK(h.deliver() == 1);  // a post does not wait for the update's turn
    CHECK(chat.of("post").size() == 2);
    clock.now += 1s;
    h.db->enqueue_outbox(update_of("C0RELEASE", "promotion:1", "step 3 of 3"), clock.now_s());
    CHECK(h.deliver() == 1);  // 2 s after the last call: the newest state stands for the one that waited
    const auto updates = chat.of("update");
    REQUIRE(updates.size() == 2);
    CHECK(updates[1].text == "step 3 of 3");
    CHECK(h.db->outbox_pending() == 0);
}

TEMPLATE_TEST_CASE("a message waiting out a Retry-After is next due then, not when a newer update of it was written", "[store]", sqlite_backend, postgresql_backend) {
    TestType dir;
    scripted_chat chat;
    manual_clock clock;
    harness h(dir.open(), chat, clock);
    h.db->enqueue_outbox(post_to("C0RELEASE", "Deploying", "promotion:1"), t0);
    h.db->enqueue_outbox(update_of("C0RELEASE", "promotion:1", "step 1 of 3"), t0);
    CHECK(h.deliver() == 1);
    chat.plan.push_back({outcome::not_sent, {}, "ratelimited", std::chrono::seconds(30)});
    CHECK(h.deliver() == 1);  // refused for 30 s
    clock.now += 5s;
    h.db->enqueue_outbox(update_of("C0RELEASE", "promotion:1", "step 2 of 3"), clock.now_s());
    // Before, the newer row's own time (now) was "next due": the dispatcher woke at once, found
    // nothing due and looked again, in a loop, for the whole 30 s.
    REQUIRE(h.db->next_outbox_due());
    CHECK(*h.db->next_outbox_due() == ms(t0) + 30s);
    CHECK(h.deliver() == 0);
    clock.now += 25s;
    CHECK(h.deliver() == 1);
    const auto updates = chat.of("update");
    REQUIRE(updates.size() == 2);
    CHECK(updates[1].text == "step 2 of 3");
    CHECK(h.db->outbox_pending() == 0);
}
