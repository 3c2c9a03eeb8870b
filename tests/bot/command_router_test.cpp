// The router when the store fails: the person gets a short answer directly,
// the details go to the log, and nothing is changed.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include "bot/config/config.hpp"
#include "bot/services/command_router.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace promotebot::bot;
namespace asio = boost::asio;

namespace {

// Records what is sent to people; every call is delivered.
struct recording_chat : chat_port {
    struct sent {
        std::string how;  // ephemeral / respond / post / update
        std::string channel;
        std::string text;
    };
    std::vector<sent> calls;

    asio::awaitable<delivery_result> post(const std::string& channel, const commands::message& m,
                                          std::int64_t) override {
        calls.push_back({"post", channel, m.text.readable()});
        co_return delivery_result{};
    }
    asio::awaitable<lookup_result> find_post(const std::string&, std::int64_t, sys_seconds) override {
        co_return lookup_result{};
    }
    asio::awaitable<delivery_result> update(const std::string& channel, const std::string&,
                                            const commands::message& m) override {
        calls.push_back({"update", channel, m.text.readable()});
        co_return delivery_result{};
    }
    asio::awaitable<delivery_result> reply(const std::string& channel, const std::string&,
                                           const commands::message& m) override {
        calls.push_back({"reply", channel, m.text.readable()});
        co_return delivery_result{};
    }
    asio::awaitable<delivery_result> ephemeral(const std::string& channel, const std::string&,
                                               const commands::message& m) override {
        calls.push_back({"ephemeral", channel, m.text.readable()});
        co_return delivery_result{};
    }
    asio::awaitable<delivery_result> respond(const std::string&, const std::string& channel, const std::string&,
                                             bool, const commands::message& m) override {
        calls.push_back({"respond", channel, m.text.readable()});
        co_return delivery_result{};
    }
    asio::awaitable<delivery_result> open_form(const std::string& trigger_id, const commands::form& f) override {
        calls.push_back({"open_form", trigger_id, f.callback_id});
        co_return delivery_result{};
    }
    asio::awaitable<delivery_result> publish_home(const std::string& user_id, const commands::message& m) override {
        calls.push_back({"publish_home", user_id, m.text.readable()});
        co_return delivery_result{};
    }
};

// Another process holding the store's write lock (an open write transaction).
struct write_lock_holder {
    sqlite3* db = nullptr;
    explicit write_lock_holder(const std::string& path) {
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    ~write_lock_holder() {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(db);
    }
    write_lock_holder(const write_lock_holder&) = delete;
    write_lock_holder& operator=(const write_lock_holder&) = delete;
};

// The log lines written while it lives.
struct captured_log {
    std::ostringstream text;
    std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
    captured_log() {
        spdlog::set_default_logger(
            std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::ostream_sink_st>(text)));
    }
    ~captured_log() { spdlog::set_default_logger(previous); }
};

}  // namespace

TEST_CASE("a locked store answers the user with a short message and logs the SQL error and nothing changes") {
    testing::temp_dir dir;
    const auto cfg = embedded_default_config();
    auto db = sqlite::open_sqlite_store(dir.file());
    // The bot waits 5 s for a lock by default; the test holds it for longer than 50 ms.
    db->set_busy_timeout(std::chrono::milliseconds{50});
    auto st = sqlite::threaded_store(*db);
    role_resolver roles(cfg, {}, std::chrono::steady_clock::now);
    freeze_service freeze(cfg, *st, std::chrono::system_clock::now);
    command_router router(cfg, *st, roles, freeze, std::chrono::system_clock::now);
    recording_chat chat;
    router.answer_failures_through(chat);
    captured_log log;

    asio::io_context io;
    std::exception_ptr escaped;
    {
        write_lock_holder other{dir.file()};
        const commands::slash_command add{"/freeze", "add 2030-01-10 2030-01-11 migration", "U0RM00001",
                                          cfg.slack.release_channel, "https://hooks.example/1", "T1"};
        asio::co_spawn(io, router.on_command(add, "trigger:T1"), [&](std::exception_ptr e) { escaped = e; });
        io.run();
    }
    CHECK_FALSE(escaped);
    REQUIRE(chat.calls.size() == 1);
    CHECK(chat.calls[0].how == "respond");
    CHECK(chat.calls[0].text == "promotebot could not record this; nothing was changed. Try again in a minute.");
    CHECK_THAT(log.text.str(), Catch::Contains("database is locked") && Catch::Contains("/freeze add 2030-01-10"));
    CHECK(db->freeze_windows().empty());
    CHECK(db->audit_since(sys_seconds{}).empty());
    CHECK(db->outbox_pending() == 0);
}

TEST_CASE("a button pressed while the store is locked gets the short message as an ephemeral without a response URL") {
    testing::temp_dir dir;
    const auto cfg = embedded_default_config();
    auto db = sqlite::open_sqlite_store(dir.file());
    db->set_busy_timeout(std::chrono::milliseconds{50});
    auto st = sqlite::threaded_store(*db);
    role_resolver roles(cfg, {}, std::chrono::steady_clock::now);
    freeze_service freeze(cfg, *st, std::chrono::system_clock::now);
    command_router router(cfg, *st, roles, freeze, std::chrono::system_clock::now);
    recording_chat chat;
    router.answer_failures_through(chat);
    captured_log log;

    asio::io_context io;
    std::exception_ptr escaped;
    {
        write_lock_holder other{dir.file()};
        const commands::button_press press{"freeze.remove", "1", "U0RM00001", cfg.slack.release_channel, "", "", "T2"};
        asio::co_spawn(io, router.on_button(press, "trigger:T2"), [&](std::exception_ptr e) { escaped = e; });
        io.run();
    }
    CHECK_FALSE(escaped);
    REQUIRE(chat.calls.size() == 1);
    CHECK(chat.calls[0].how == "ephemeral");
    CHECK(chat.calls[0].text == command_router::failure_message().text.readable());
    CHECK_THAT(log.text.str(), Catch::Contains("database is locked"));
    CHECK(db->audit_since(sys_seconds{}).empty());
}
