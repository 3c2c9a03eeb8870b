#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "integrations/store/common/synchronous_store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
namespace asio = boost::asio;

TEST_CASE("write_first goes ahead of the writes waiting and takes turns with them") {
    testing::temp_dir dir;
    auto db = sqlite::open_sqlite_store(dir.file());
    auto st = storage::threaded_store(*db);
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    std::thread loop([&] { io.run(); });

    std::mutex m;
    std::condition_variable cv;
    bool release = false;
    std::atomic<bool> blocking{false};
    std::vector<std::string> order;
    std::atomic<int> done{0};

    // The worker is busy with this one while the others queue.
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::function<void(bot::store_session&)> block = [&](bot::store_session&) {
            blocking = true;
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return release; });
        };
        co_await st->write(block);
        ++done;
    }, asio::detached);
    while (!blocking) std::this_thread::yield();

    auto queue = [&](std::string name, bool first) {
        asio::co_spawn(io, [&, name, first]() -> asio::awaitable<void> {
            std::function<void(bot::store_session&)> record = [&, name](bot::store_session&) {
                std::lock_guard lock(m);
                order.push_back(name);
            };
            if (first) co_await st->write_first(record);
            else co_await st->write(record);
            ++done;
        }, asio::detached);
    };
    queue("a", false);
    queue("b", false);
    queue("first 1", true);
    queue("first 2", true);
    queue("first 3", true);
    // The loop is single-threaded: once this runs, every write above is queued.
    std::atomic<bool> queued{false};
    asio::post(io, [&] { queued = true; });
    while (!queued) std::this_thread::yield();
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    while (done < 6) std::this_thread::yield();
    guard.reset();
    loop.join();
    CHECK(order == std::vector<std::string>{"first 1", "a", "first 2", "b", "first 3"});
}
