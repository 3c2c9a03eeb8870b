// Socket Mode ack latency and throughput: the real client over a TLS
// websocket on loopback against the in-process fake Slack. Prints numbers;
// not a test. Usage: bench_ack_latency [sequential-count] [burst-count] [journal]
// With `journal`, every envelope is first written to a real SQLite inbox, as the bot does.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <future>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "integrations/slack/socket_mode_client.hpp"
#include "integrations/slack/web_api.hpp"
#include "bot/ports/store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/fake_slack_web_api.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

int main(int argc, char** argv) {
    const int sequential = argc > 1 ? std::atoi(argv[1]) : 2000;
    const int burst = argc > 2 ? std::atoi(argv[2]) : 10000;
    const bool journal = argc > 3 && std::string(argv[3]) == "journal";
    testing::temp_dir dir;
    auto db = sqlite::open_sqlite_store(dir.file());
    spdlog::set_level(spdlog::level::warn);

    testing::fake_slack fake;
    boost::asio::io_context io;
    slack::web_api api(io.get_executor(), testing::web_api_options_for(fake));
    slack::socket_mode_client_options co;
    co.session.connections = 1;
    co.ca_file = fake.ca_file();
    std::atomic<int> handled{0};
    slack::socket_mode_handlers handlers;
    handlers.on_envelope = [&](slack::envelope) { handled.fetch_add(1, std::memory_order_relaxed); };
    auto st = sqlite::threaded_store(*db);
    if (journal) {
        // As the bot does it: on the store thread, the ack held until it is written (bounded).
        handlers.journal = [&](const slack::envelope& e, std::function<void(bool)> done) {
            bot::inbox_entry entry{slack::envelope_identity(e), bot::inbound_kind::event, e.payload,
                                   std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now())};
            boost::asio::co_spawn(
                io,
                [&st, entry = std::move(entry)]() -> boost::asio::awaitable<bool> {
                    co_return co_await bot::write(*st, [&](bot::store_session& s) { return s.journal_inbound(entry); });
                },
                [done = std::move(done)](std::exception_ptr, bool fresh) { done(fresh); });
        };
    }
    std::printf("inbox journal before each ack: %s\n", journal ? "on (SQLite, WAL)" : "off");
    slack::socket_mode_client client(io.get_executor(), api, co, handlers);
    boost::asio::co_spawn(io, client.run(), [](std::exception_ptr, slack::socket_mode_result) {});
    std::thread loop([&] { io.run(); });
    if (!fake.wait_for_connections(1, 10s)) {
        std::fprintf(stderr, "no connection\n");
        return 1;
    }
    std::this_thread::sleep_for(100ms);

    // Sequential: one envelope at a time, time from send to the ack's arrival at the fake.
    std::vector<double> micros;
    micros.reserve(static_cast<std::size_t>(sequential));
    for (int i = 0; i < sequential; ++i) {
        const auto t0 = clock_type::now();
        fake.send_envelope("events_api", {{"event_id", "Ev" + std::to_string(i)}});
        fake.wait_for_acks(static_cast<std::size_t>(i + 1), 5s);
        micros.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
    }
    std::sort(micros.begin(), micros.end());
    auto pct = [&](double p) { return micros[static_cast<std::size_t>(p * static_cast<double>(micros.size() - 1))]; };
    std::printf("ack latency over TLS, %d sequential envelopes: p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us\n",
                sequential, pct(0.5), pct(0.9), pct(0.99), micros.back());

    // Burst: everything at once, time until every ack arrived.
    const auto before = fake.acks().size();
    const auto t0 = clock_type::now();
    for (int i = 0; i < burst; ++i) fake.send_envelope("events_api", {{"event_id", "Burst" + std::to_string(i)}});
    fake.wait_for_acks(before + static_cast<std::size_t>(burst), 60s);
    const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    std::printf("burst of %d envelopes acked in %.3f s: %.0f acks/s (handled %d)\n", burst, seconds,
                burst / seconds, handled.load());

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("peak RSS of this process (client and fake together): %ld KiB\n", usage.ru_maxrss);

    boost::asio::post(io, [&] { client.stop(); });
    loop.join();
    return 0;
}
