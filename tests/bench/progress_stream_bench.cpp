// A long deploy's progress stream through the real outbox: one message
// posted, then updated once a second for 12 hours (43,200 updates of one
// message key), each update a store transaction; the outbox dispatcher
// delivers them with the real Web API client (slack_chat over web_api) to the
// in-process fake Slack over TLS on loopback, which enforces chat.update's
// rate limit (Tier 3: 50 calls a minute, HTTP 429 with Retry-After beyond).
//
// Time is compressed by --scale S (default 120): every duration of the
// scenario is divided by S and the run uses the real clocks. The producer
// writes one update every 1/S s, the fake's window is 60/S s, and the
// dispatcher's own durations (chat.update spacing, retry backoff) are its
// production values divided by S. Slack's Retry-After carries whole seconds,
// so the fake's is rounded up to at least 1 real second (S scaled seconds):
// any wait after a 429 is overstated. Figures are reported in scaled seconds.
//
// Usage: bench_progress_stream_bench [--hours H] [--scale S] [--postgresql] [--no-pacing]
//   --postgresql: the store on a private PostgreSQL server (tests/support/postgresql_server.hpp)
//   --no-pacing: the dispatcher sends every update as soon as it is due (update_interval 0)
// Prints numbers; it asserts nothing and is not part of ctest.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/main/store_selection.hpp"
#include "bot/services/outbox_dispatcher.hpp"
#include "integrations/net/backoff.hpp"
#include "integrations/slack/block_kit.hpp"
#include "integrations/slack/slack_chat.hpp"
#include "integrations/slack/web_api.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/postgresql_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
namespace asio = boost::asio;

namespace {

const std::string channel = "C0RELEASE01";
const std::string key = "promotion:1";
constexpr int slack_limit = 50;  // chat.update, Tier 3: calls a minute

struct settings {
    double hours = 12;
    double scale = 120;
    bool postgresql = false;
    bool pacing = true;
};

std::optional<settings> parse(int argc, char** argv) {
    settings s;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--hours" && i + 1 < argc) {
            s.hours = std::atof(argv[++i]);
        } else if (a == "--scale" && i + 1 < argc) {
            s.scale = std::atof(argv[++i]);
        } else if (a == "--postgresql") {
            s.postgresql = true;
        } else if (a == "--no-pacing") {
            s.pacing = false;
        } else {
            return std::nullopt;
        }
    }
    if (!(s.hours > 0 && s.hours <= 48) || !(s.scale >= 1 && s.scale <= 1000)) return std::nullopt;
    return s;
}

commands::message progress(long done, long total) {
    // No header: Slack's fallback text would be the header, the same in every update.
    commands::message m;
    m.text = commands::rich_text{"Deploying: " + std::to_string(done) + " of " + std::to_string(total) + " s"};
    return m;
}

double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The most calls in any window of `width` (sliding, starting at each call).
std::size_t peak_in_window(std::vector<steady::time_point> at, steady::duration width) {
    std::sort(at.begin(), at.end());
    std::size_t best = 0;
    std::size_t first = 0;
    for (std::size_t last = 0; last < at.size(); ++last) {
        while (at[last] - at[first] >= width) ++first;
        best = std::max(best, last - first + 1);
    }
    return best;
}

int run(const settings& s) {
    const auto scaled = [&](std::chrono::duration<double> d) {
        return std::chrono::duration_cast<std::chrono::microseconds>(d / s.scale);
    };
    const auto in_scaled_s = [&](steady::duration d) { return std::chrono::duration<double>(d).count() * s.scale; };
    const long updates = std::lround(s.hours * 3600);
    const auto window = std::chrono::duration_cast<std::chrono::milliseconds>(scaled(60s));

    testing::fake_slack fake;
    fake.rate_limit("chat.update", slack_limit, window);

    testing::temp_dir dir;
    std::string location = dir.file();
    std::string pg_database;
    if (s.postgresql) {
        pg_database = testing::postgresql_server::instance().create_database();
        location = testing::postgresql_server::instance().uri(pg_database);
    }
    auto db = bot::open_store_for_bot(location, std::nullopt);
    auto st = storage::threaded_store(*db);

    asio::io_context io;
    slack::web_api_options wo;
    wo.base_url = fake.api_url();
    wo.bot_token = fake.options().bot_token;
    wo.app_token = fake.options().app_token;
    wo.ca_file = fake.ca_file();
    slack::web_api api(io.get_executor(), wo);
    slack::slack_chat chat(api);

    bot::outbox_options oo;
    std::mt19937_64 rng{1};
    oo.backoff = [&](int attempts) {
        const auto d = net::backoff_delay({1s, 5min}, attempts, rng);
        return std::max<std::chrono::milliseconds>(1ms, std::chrono::duration_cast<std::chrono::milliseconds>(d / s.scale));
    };
    oo.update_interval = s.pacing ? std::chrono::duration_cast<std::chrono::milliseconds>(scaled(oo.update_interval))
                                  : 0ms;
    bot::outbox_dispatcher dispatcher(io.get_executor(), *st, chat, std::chrono::system_clock::now, oo);
    st->on_commit = [&] { dispatcher.notify(); };

    const auto final_text = slack::to_chat_payload(progress(updates, updates)).value("text", "");
    steady::time_point began{};
    steady::time_point last_written{};
    steady::duration max_late{};
    bool final_seen = false;
    steady::time_point final_delivered{};

    const double cpu_before = cpu_seconds();
    asio::co_spawn(io, dispatcher.run(), asio::detached);
    // Named: the coroutine refers to the lambda's captures until it ends.
    auto producer = [&]() -> asio::awaitable<void> {
            const auto now = [] { return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()); };
            bot::outbox_message post;
            post.kind = bot::outbox_kind::post;
            post.channel = channel;
            post.message_key = key;
            post.body = progress(0, updates);
            co_await bot::write(*st, [&](bot::store_session& ss) { ss.enqueue_outbox(post, now()); });
            asio::steady_timer tick(io);
            began = steady::now();
            for (long i = 1; i <= updates; ++i) {
                const auto due = began + std::chrono::duration_cast<steady::duration>(scaled(std::chrono::seconds(i)));
                last_written = due;
                tick.expires_at(due);
                co_await tick.async_wait(asio::use_awaitable);
                max_late = std::max(max_late, steady::now() - due);
                bot::outbox_message m = post;
                m.kind = bot::outbox_kind::update;
                m.body = progress(i, updates);
                co_await bot::write(*st, [&](bot::store_session& ss) { ss.enqueue_outbox(m, now()); });
            }
            // The final state: Slack holds it and the outbox is empty, or give up after 10 scaled minutes.
            const auto give_up = last_written + std::chrono::duration_cast<steady::duration>(scaled(600s));
            while (steady::now() < give_up) {
                const auto history = fake.channel_history(channel);
                final_seen = !history.empty() && history.front().value("text", "") == final_text;
                if (final_seen && co_await bot::read(*st, [](const bot::store_session& ss) { return ss.outbox_pending(); }) == 0)
                    break;
                tick.expires_after(1ms);
                co_await tick.async_wait(asio::use_awaitable);
            }
            dispatcher.stop();
        };
    asio::co_spawn(io, producer(), asio::detached);
    io.run();
    const double cpu = cpu_seconds() - cpu_before;
    const double wall = std::chrono::duration<double>(steady::now() - began).count();

    std::vector<steady::time_point> all, accepted;
    long refused = 0;
    for (const auto& c : fake.calls("chat.update")) {
        all.push_back(c.at);
        if (c.status == 429) {
            ++refused;
        } else {
            accepted.push_back(c.at);
            if (c.body.value("text", "") == final_text && final_delivered == steady::time_point{}) final_delivered = c.at;
        }
    }
    st.reset();  // the store thread finishes; the store is this thread's again
    const auto pending = db->outbox_pending();
    std::printf("-- progress stream: %.4g h of one update a second, store %s, time compressed %gx%s\n", s.hours,
                s.postgresql ? "PostgreSQL" : "SQLite", s.scale,
                s.pacing ? "" : ", chat.update not paced (update_interval 0)");
    std::printf("   (every duration / %g: window %lld ms, producer every %.2f ms; Retry-After rounds up to whole real seconds)\n",
                s.scale, static_cast<long long>(window.count()), 1000.0 / s.scale);
    std::printf("%-52s %ld\n", "updates produced (store transactions)", updates);
    std::printf("%-52s %.2f scaled s\n", "producer's worst lateness against its schedule", in_scaled_s(max_late));
    std::printf("%-52s %zu (%zu accepted)\n", "chat.update calls made", all.size(), accepted.size());
    std::printf("%-52s %zu calls, %zu accepted (limit %d)\n", "peak in any 60 s window", peak_in_window(all, window),
                peak_in_window(accepted, window), slack_limit);
    std::printf("%-52s %ld\n", "HTTP 429 received", refused);
    std::printf("%-52s %s\n", "final state held by Slack at the end", final_seen ? "yes" : "NO");
    if (final_delivered != steady::time_point{} && final_delivered >= last_written)
        std::printf("%-52s %.2f scaled s\n", "last update's time -> Slack received it",
                    in_scaled_s(final_delivered - last_written));
    std::printf("%-52s %lld\n", "outbox rows still pending", static_cast<long long>(pending));
    std::printf("%-52s %.1f s wall, %.1f s CPU (%.0f%%)\n", "run", wall, cpu, 100.0 * cpu / std::max(wall, 1e-9));
    if (s.postgresql) {
        db.reset();
        testing::postgresql_server::instance().drop_database(pg_database);
    }
    return final_seen ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace

int main(int argc, char** argv) {
    const auto s = parse(argc, argv);
    if (!s) {
        std::fprintf(stderr, "usage: %s [--hours H (0-48]] [--scale S (1-1000)] [--postgresql] [--no-pacing]\n", argv[0]);
        return 2;
    }
    try {
        return run(*s);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "progress_stream_bench: %s\n", e.what());
        return EXIT_FAILURE;
    }
}
