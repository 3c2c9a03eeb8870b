#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <set>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bot/services/lease_keeper.hpp"
#include "integrations/store/common/synchronous_store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace promotebot::bot;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

struct keeper_world {
    testing::temp_dir dir;
    std::unique_ptr<storage::synchronous_store> db = sqlite::open_sqlite_store(dir.file());
    std::unique_ptr<store> st = storage::threaded_store(*db);
    asio::io_context io;
    std::chrono::system_clock::time_point now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 26};
    lease_keeper keeper{io.get_executor(), *st, {"pod-a", "run1"}, 30s, [this] { return now; }};

    template <typename T>
    T run(asio::awaitable<T> task) {
        return testing::run_awaitable(io, std::move(task));
    }
    sys_millis ms() const { return std::chrono::time_point_cast<std::chrono::milliseconds>(now); }
};

}  // namespace

TEST_CASE("a replica's name keeps only what is safe in logs and the store, and every run gets its own ID") {
    const auto a = make_replica_identity("promotebot-6d5f9c-x2x4k");
    CHECK(a.replica == "promotebot-6d5f9c-x2x4k");
    CHECK(a.run.size() == 12);
    CHECK(a.holder() == a.replica + "/" + a.run);
    CHECK(a.earlier_runs() == "promotebot-6d5f9c-x2x4k/");
    CHECK(make_replica_identity("promotebot-6d5f9c-x2x4k").run != a.run);
    CHECK(make_replica_identity("pod/a\n\x1b[31mred").replica == "pod_a___31mred");
    CHECK(make_replica_identity(std::string(300, 'p')).replica.size() == 128);
    CHECK_FALSE(make_replica_identity("").replica.empty());  // the host name
}

TEST_CASE("settle holds a lease when work starts and releases it when the workflow no longer needs a process") {
    keeper_world w;
    w.keeper.settle(*w.db, "promotion:1", true, false, true);
    auto held = w.db->lease("promotion:1");
    REQUIRE(held);
    CHECK(held->holder == "pod-a/run1");
    CHECK(held->until == w.ms() + 30s);
    // A transition that starts nothing and stays in a state that needs a process keeps it.
    w.keeper.settle(*w.db, "promotion:1", false, true, true);
    CHECK(w.db->lease("promotion:1"));
    w.keeper.settle(*w.db, "promotion:1", false, true, false);
    CHECK_FALSE(w.db->lease("promotion:1"));
}

TEST_CASE("renewing tells once about every watched lease that another replica took") {
    keeper_world w;
    w.keeper.settle(*w.db, "promotion:1", true, false, true);
    w.keeper.settle(*w.db, "rollback:2", true, false, true);
    std::set<std::string> lost;
    w.keeper.watch("promotion:1", [&] { lost.insert("promotion:1"); });
    w.keeper.watch("rollback:2", [&] { lost.insert("rollback:2"); });
    CHECK(w.run(w.keeper.renew()) == 0);
    CHECK(lost.empty());
    // Another replica took promotion:1 over.
    w.db->hold_lease("promotion:1", "pod-b/run7", w.ms() + 60s);
    w.now += 10s;
    CHECK(w.run(w.keeper.renew()) == 1);
    CHECK(lost == std::set<std::string>{"promotion:1"});
    CHECK_FALSE(w.keeper.watching("promotion:1"));
    CHECK(w.keeper.watching("rollback:2"));
    CHECK(w.db->lease("rollback:2")->until == w.ms() + 30s);
    CHECK(w.run(w.keeper.renew()) == 0);  // told once
    CHECK(lost.size() == 1);
}

TEST_CASE("take_over restarts only workflows whose lease ended and passes over those running here") {
    keeper_world w;
    w.db->hold_lease("promotion:1", "pod-b/run1", w.ms() + 10s);  // alive on pod-b
    w.db->hold_lease("promotion:2", "pod-b/run1", w.ms() - 1s);   // pod-b died
    w.db->hold_lease("promotion:3", "pod-a/run0", w.ms() + 20s);  // this replica before its restart
    w.keeper.settle(*w.db, "promotion:4", true, false, true);   // running here
    w.keeper.watch("promotion:4", [] {});
    std::vector<std::int64_t> restarted;
    auto restart = [&](std::int64_t id, std::function<bool(store_session&)> take) -> asio::awaitable<bool> {
        bool taken = false;
        co_await w.st->write([&](store_session& s) { taken = take(s); });
        if (taken) restarted.push_back(id);
        co_return taken;
    };
    const std::function<std::string(std::int64_t)> lease_of = [](std::int64_t id) { return "promotion:" + std::to_string(id); };
    const std::function<asio::awaitable<bool>(std::int64_t, std::function<bool(store_session&)>)> restart_one = restart;
    w.run(w.keeper.take_over({1, 2, 3, 4, 5}, lease_of, restart_one));
    CHECK(restarted == std::vector<std::int64_t>{2, 3, 5});
    CHECK(w.db->lease("promotion:1")->holder == "pod-b/run1");
    CHECK(w.db->lease("promotion:2")->holder == "pod-a/run1");
    CHECK(w.db->lease("promotion:3")->holder == "pod-a/run1");
}
