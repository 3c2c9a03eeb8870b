// /promote under load, measured through the real bot against the in-process
// fake Slack, ServiceNow and Dynatrace (TLS on loopback) with the stand-in
// tools of tests/e2e/tools:
//   1. one gate takes 10 s (the quarantine check's bq sleeps): the time from
//      /promote to the form on screen (views.open), and from the form's
//      submission to the request's message in the channel (chat.postMessage);
//   2. 200 requests submitted at once: the time from submission to message,
//      with every gate (1,000 child processes in all) and with the HTTP gates only;
//   3. the store: 200 concurrent request transactions (promotion row, audit
//      record, outbox message) on the store thread, latency per write.
// Each on SQLite (a file in a temp dir) and on PostgreSQL (a private server
// of this process, tests/support/postgresql_server.hpp, selected as the bot
// selects it: `store: postgresql://...`); an argument "sqlite" or
// "postgresql" runs one of them only.
// Prints numbers; it asserts nothing and is not part of ctest.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <date/date.h>

#include "bot/config/config.hpp"
#include "bot/main/slack_app.hpp"
#include "bot/main/store_selection.hpp"
#include "bot/ports/store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/fake_services/fake_dynatrace.hpp"
#include "tests/fake_services/fake_servicenow.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/postgresql_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

const std::string rm = "U0RM00001";

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in{p};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void report(const char* name, std::vector<double> ms) {
    if (ms.empty()) {
        std::printf("%-44s no samples\n", name);
        return;
    }
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) { return ms[static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1))]; };
    std::printf("%-44s n=%-4zu p50=%8.2f ms  p90=%8.2f ms  p99=%8.2f ms  max=%8.2f ms\n", name, ms.size(), at(0.5),
                at(0.9), at(0.99), ms.back());
}

// Where a run's store lives: a SQLite file, or a fresh database on the private
// PostgreSQL server (as a postgresql:// URI, the form the config's `store` takes).
struct store_location {
    bool postgresql = false;
    testing::temp_dir dir;
    std::string connection;
    std::string store;

    explicit store_location(bool pg) : postgresql(pg) {
        if (!pg) {
            store = dir.file();
            return;
        }
        connection = testing::postgresql_server::instance().create_database();
        store = testing::postgresql_server::instance().uri(connection);
    }
    ~store_location() {
        if (postgresql) testing::postgresql_server::instance().drop_database(connection);
    }
    store_location(const store_location&) = delete;
    store_location& operator=(const store_location&) = delete;
};

double since(steady::time_point t) { return std::chrono::duration<double, std::milli>(steady::now() - t).count(); }

struct bench_world {
    testing::fake_slack fake;
    testing::fake_servicenow servicenow;
    testing::fake_dynatrace dynatrace;
    testing::temp_dir dir;
    store_location where;
    bot::config cfg;
    std::unique_ptr<storage::synchronous_store> st;
    std::unique_ptr<bot::slack_app> app;
    std::thread thread;
    int views = 0;

    explicit bench_world(bool postgresql, std::vector<std::string> gates = {}) : where(postgresql) {
        const auto stubs = dir.path / "stubs";
        std::filesystem::create_directories(stubs);
        ::setenv("PROMOTEBOT_STUB_DIR", stubs.c_str(), 1);
        ::setenv("SERVICENOW_TOKEN", servicenow.options().token.c_str(), 1);
        ::setenv("DYNATRACE_API_TOKEN", dynatrace.options().api_token.c_str(), 1);
        cfg = bot::embedded_default_config();
        cfg.store = where.store;
        cfg.slack.connections = 1;
        cfg.http.port = 0;
        cfg.servicenow.url = servicenow.url();
        cfg.dynatrace.url = dynatrace.url();
        cfg.promotion.gate_timeout = 30s;
        cfg.freeze.rules.month_end_enabled = false;
        cfg.freeze.rules.year_end_enabled = false;
        cfg.freeze.rules.bank_holidays_enabled = false;
        const std::string tools = std::string{PROMOTEBOT_SOURCE_DIR} + "/tests/e2e/tools/";
        for (const char* t : {"docker", "kubectl", "gcloud", "bq"}) cfg.tools[t] = tools + t;
        if (!gates.empty()) cfg.environments["prod"].gates = gates;
        const auto bundle = dir.path / "ca.pem";
        std::ofstream out{bundle};
        for (const auto& ca : {fake.ca_file(), servicenow.ca_file(), dynatrace.ca_file()}) out << read_file(ca);
        out.close();
        bot::slack_environment env;
        env.app_token = fake.options().app_token;
        env.bot_token = fake.options().bot_token;
        env.api_url = fake.api_url();
        env.ca_file = bundle.string();
        st = bot::open_store_for_bot(cfg.store, std::nullopt);
        app = std::make_unique<bot::slack_app>(cfg, *st, env);
        thread = std::thread([this] { app->run(false); });
        fake.wait_for_connections(1, 10s);
    }
    ~bench_world() {
        app->stop();
        thread.join();
    }

    void command(const std::string& version) {
        fake.send_envelope("slash_commands", {{"command", "/promote"},
                                              {"text", version + " change CHG0012345"},
                                              {"user_id", rm},
                                              {"channel_id", cfg.slack.release_channel},
                                              {"response_url", fake.make_response_url()},
                                              {"trigger_id", fake.issue_trigger()}});
    }

    // Versions whose request message is in the channel.
    std::set<std::string> posted() {
        std::set<std::string> out;
        for (const auto& c : fake.calls("chat.postMessage")) {
            const auto text = c.body.dump();
            const auto at = text.find("Promotion #");
            if (at == std::string::npos) continue;
            const auto v = text.find(": v", at);
            const auto end = text.find(" \\u2192", v);
            const auto arrow = text.find(" →", v);
            const auto stop = std::min(end, arrow);
            if (v != std::string::npos && stop != std::string::npos) out.insert(text.substr(v + 2, stop - v - 2));
        }
        return out;
    }
};

std::string view_id(int n) {
    char id[16];
    std::snprintf(id, sizeof id, "V%08d", n);
    return id;
}

void one_slow_gate(bool postgresql) {
    bench_world w(postgresql);
    std::ofstream{w.dir.path / "stubs" / "bq_sleep"} << "10";
    std::vector<double> to_form, to_message;
    for (int i = 0; i < 5; ++i) {
        const auto version = "v1.0." + std::to_string(i);
        const auto typed = steady::now();
        w.command(version);
        w.fake.wait_for_calls("views.open", static_cast<std::size_t>(i + 1), 10s);
        to_form.push_back(since(typed));
        const auto id = view_id(++w.views);
        while (w.fake.view(id).is_null()) std::this_thread::sleep_for(100us);
        const auto submitted = steady::now();
        w.fake.submit_view(id, rm, {{"rollback_plan", "set the image back"}, {"option", "app"}});
        while (!w.posted().count(version)) std::this_thread::sleep_for(200us);
        to_message.push_back(since(submitted));
    }
    std::printf("-- one gate takes 10 s (bq sleeps): the message does not wait for it\n");
    report("/promote -> form shown (views.open)", to_form);
    report("form submitted -> request message posted", to_message);
}

void two_hundred_at_once(bool postgresql, std::vector<std::string> gates, const char* what) {
    bench_world w(postgresql, gates);
    constexpr int n = 200;
    std::map<std::string, steady::time_point> typed;
    for (int i = 0; i < n; ++i) {
        const auto version = "v2.0." + std::to_string(i);
        typed[version] = steady::now();
        w.command(version);
    }
    w.fake.wait_for_calls("views.open", n, 60s);
    std::vector<double> to_form;
    // The form of each: time until its views.open was recorded (sampled at the end: an upper bound).
    for (const auto& [v, t] : typed) to_form.push_back(since(t));
    std::map<std::string, std::string> view_of;
    for (const auto& c : w.fake.calls("views.open")) {
        const auto meta = nlohmann::json::parse(c.body["view"]["private_metadata"].get<std::string>());
        view_of[meta["version"].get<std::string>()] = "";
    }
    // Views are numbered in the order views.open was answered; recover each version's view ID
    // (a view is stored just after its call is recorded: wait for all of them first).
    const auto views_by = steady::now() + 10s;
    for (int k = 1; k <= n && steady::now() < views_by; ++k)
        while (w.fake.view(view_id(k)).is_null() && steady::now() < views_by) std::this_thread::sleep_for(100us);
    for (int k = 1; k <= n; ++k) {
        const auto view = w.fake.view(view_id(k));
        if (view.is_null()) continue;
        const auto meta = nlohmann::json::parse(view["private_metadata"].get<std::string>());
        view_of[meta["version"].get<std::string>()] = view_id(k);
    }
    std::map<std::string, steady::time_point> submitted;
    for (const auto& [version, id] : view_of) {
        if (id.empty()) continue;
        submitted[version] = steady::now();
        w.fake.submit_view(id, rm, {{"rollback_plan", "set the image back"}, {"option", "app"}});
    }
    std::map<std::string, double> to_message;
    const auto give_up = steady::now() + 120s;
    while (to_message.size() < submitted.size() && steady::now() < give_up) {
        for (const auto& v : w.posted())
            if (!to_message.count(v) && submitted.count(v)) to_message[v] = since(submitted[v]);
        std::this_thread::sleep_for(500us);
    }
    std::vector<double> messages;
    for (const auto& [v, ms] : to_message) messages.push_back(ms);
    std::printf("-- %d requests at once (%s)\n", n, what);
    std::printf("%-44s %zu of %d (%zu forms submitted)\n", "request messages posted", messages.size(), n,
                submitted.size());
    report("form submitted -> request message posted", messages);
    const auto all = w.st->recent_promotions(1000).size();
    std::printf("%-44s %zu\n", "requests in the store", all);
}

void store_writes(bool postgresql) {
    store_location where(postgresql);
    auto db = bot::open_store_for_bot(where.store, std::nullopt);
    auto st = storage::threaded_store(*db);
    boost::asio::io_context io;
    constexpr int n = 200;
    std::vector<double> latency;
    const bot::sys_seconds now{std::chrono::seconds{1'795'687'200}};
    for (int i = 0; i < n; ++i) {
        boost::asio::co_spawn(
            io,
            [&, i]() -> boost::asio::awaitable<void> {
                const auto begin = steady::now();
                auto work = [&](bot::store_session& s) {
                    bot::stored_promotion p;
                    p.environment = "prod";
                    p.version = "v3.0." + std::to_string(i);
                    p.state = "checking";
                    p.requested_by = rm;
                    p.source_key = "view:bench" + std::to_string(i);
                    p.doc = {{"id", i}, {"gates", nlohmann::json::array()}};
                    const auto id = s.insert_promotion(p, now);
                    auto row = *s.promotion(id);
                    s.save_promotion(row, row.row_version, now);
                    s.append_audit({rm, "promotion.open", "promotion #" + std::to_string(id), "ok", {{"promotion", id}}},
                                   now);
                    bot::outbox_message m;
                    m.channel = "C0RELEASE01";
                    m.message_key = "promotion:" + std::to_string(id);
                    m.body.header = "Promotion #" + std::to_string(id);
                    s.enqueue_outbox(m, now);
                };
                std::function<void(bot::store_session&)> unit = work;
                co_await st->write(unit);
                latency.push_back(since(begin));
            },
            boost::asio::detached);
    }
    const auto begin = steady::now();
    io.run();
    const double total = since(begin);
    std::printf("-- store: %d request transactions at once (row, audit record, outbox message)\n", n);
    report("write latency as the caller sees it", latency);
    std::printf("%-44s %.0f/s\n", "throughput", 1000.0 * n / total);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string only = argc > 1 ? argv[1] : "";
    if (argc > 2 || (!only.empty() && only != "sqlite" && only != "postgresql")) {
        std::fprintf(stderr, "usage: %s [sqlite|postgresql]\n", argv[0]);
        return 2;
    }
    try {
        for (const bool postgresql : {false, true}) {
            if (!only.empty() && (only == "postgresql") != postgresql) continue;
            std::printf("==== store: %s\n", postgresql ? "PostgreSQL (postgresql://, a private server on a unix socket)"
                                                        : "SQLite (a file, WAL)");
            one_slow_gate(postgresql);
            two_hundred_at_once(postgresql, {}, "every gate of the example config: 4 run stand-in tools, 3 ask the fakes");
            two_hundred_at_once(postgresql, {"freeze", "incidents", "change_record", "performance"},
                                "the calendar and the three HTTP gates only: no child processes");
            store_writes(postgresql);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "promotion_bench: %s\n", e.what());
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
