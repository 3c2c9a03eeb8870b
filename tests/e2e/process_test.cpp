// The promotebot binary as an operator runs it: connected to the fake Slack
// through the environment, stopped with SIGTERM, tokens kept out of its logs.
#include <catch2/catch.hpp>

#include "tests/e2e/bot_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <date/date.h>

#include "bot/config/config.hpp"
#include "commands/promotion/promotion_json.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/fake_slack/fake_slack.hpp"


using namespace promotebot;
using namespace std::chrono_literals;

using promotebot::testing::temp_dir;
using namespace promotebot::e2e_process;

namespace {
// One GET with Connection: close; the status line's code and the body, or
// code 0 when nothing answered.
std::pair<int, std::string> http_get(unsigned short port, const std::string& path) {
    namespace asio = boost::asio;
    try {
        asio::io_context io;
        asio::ip::tcp::socket socket(io);
        socket.connect({asio::ip::make_address("127.0.0.1"), port});
        const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        asio::write(socket, asio::buffer(request));
        std::string response;
        boost::system::error_code ec;
        asio::read(socket, asio::dynamic_buffer(response), ec);  // until the server closes
        if (response.size() < 12 || response.compare(0, 9, "HTTP/1.1 ") != 0) return {0, {}};
        const auto body = response.find("\r\n\r\n");
        return {std::stoi(response.substr(9, 3)), body == std::string::npos ? "" : response.substr(body + 4)};
    } catch (const std::exception&) {
        return {0, {}};
    }
}

// The port the bot's log says its HTTP listener took, or 0 while it has not said.
unsigned short logged_http_port(const std::filesystem::path& log) {
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find("/metrics on 127.0.0.1:");
        if (at == std::string::npos) continue;
        return static_cast<unsigned short>(std::stoi(line.substr(at + 22)));
    }
    return 0;
}

}  // namespace

TEST_CASE("the connected binary serves healthz, readyz once a link is up, and metrics that count envelopes") {
    testing::fake_slack fake;
    temp_dir dir;
    const auto log = dir.path / "bot.log";
    auto bot = spawn_bot({"--config", write_config(dir), "--log-format", "json"},
                         {"SLACK_APP_TOKEN=" + fake.options().app_token, "SLACK_BOT_TOKEN=" + fake.options().bot_token,
                          "SLACK_API_URL=" + fake.api_url(), "SSL_CERT_FILE=" + fake.ca_file()},
                         log);
    unsigned short port = 0;
    const auto until = std::chrono::steady_clock::now() + 15s;
    while (port == 0 && std::chrono::steady_clock::now() < until) {
        port = logged_http_port(log);
        if (port == 0) std::this_thread::sleep_for(10ms);
    }
    REQUIRE(port != 0);
    CHECK(http_get(port, "/healthz") == std::pair<int, std::string>{200, "ok\n"});
    REQUIRE(fake.wait_for_connections(1, 15s));
    std::pair<int, std::string> ready;
    while (std::chrono::steady_clock::now() < until + 15s) {
        ready = http_get(port, "/readyz");
        if (ready.first == 200) break;
        std::this_thread::sleep_for(10ms);
    }
    CHECK(ready == std::pair<int, std::string>{200, "ready\n"});

    fake.send_envelope("events_api", {{"event_id", "EvMetrics1"}});
    REQUIRE(fake.wait_for_acks(1, 10s));
    std::string metrics;
    while (std::chrono::steady_clock::now() < until + 25s) {
        metrics = http_get(port, "/metrics").second;
        if (metrics.find("promotebot_envelopes_acked_total{type=\"events_api\"} 1\n") != std::string::npos) break;
        std::this_thread::sleep_for(10ms);
    }
    CHECK_THAT(metrics, Catch::Contains("promotebot_envelopes_received_total{type=\"events_api\"} 1\n"));
    CHECK_THAT(metrics, Catch::Contains("promotebot_envelopes_acked_total{type=\"events_api\"} 1\n"));
    CHECK_THAT(metrics, Catch::Contains("promotebot_slack_api_requests_total{method=\"auth.test\"} 1\n"));
    CHECK_THAT(metrics, Catch::Contains("promotebot_socket_mode_links_up 1\n"));

    kill(bot.pid, SIGTERM);
    REQUIRE(bot.wait_exit(10s));
    CHECK(WIFEXITED(bot.status));
    CHECK(WEXITSTATUS(bot.status) == 0);
}

TEST_CASE("SIGTERM stops the connected bot cleanly with close frames and exit code 0, tokens never logged") {
    testing::fake_slack fake;
    temp_dir dir;
    const auto log = dir.path / "bot.log";
    const std::string audit_key = "audit-k3y-kept-out-of-logs";
    auto bot = spawn_bot({"--config", write_config(dir), "--log-format", "json", "--log-level", "debug"},
                         {"SLACK_APP_TOKEN=" + fake.options().app_token, "SLACK_BOT_TOKEN=" + fake.options().bot_token,
                          "SLACK_API_URL=" + fake.api_url(), "SSL_CERT_FILE=" + fake.ca_file(),
                          "PROMOTEBOT_AUDIT_KEY=" + audit_key},
                         log);
    REQUIRE(fake.wait_for_connections(1, 15s));

    // It works: a command is acked and answered.
    const auto url = fake.make_response_url();
    fake.send_envelope("slash_commands", {{"command", "/freeze"}, {"text", ""}, {"user_id", "U0ENG00001"},
                                          {"channel_id", "C0RELEASE01"}, {"response_url", url},
                                          {"trigger_id", "t-proc-1"}});
    REQUIRE(fake.wait_for_calls("response_url", 1, 10s));

    const auto link = fake.connections().front();
    const auto stop_sent = std::chrono::steady_clock::now();
    kill(bot.pid, SIGTERM);
    REQUIRE(bot.wait_exit(10s));
    CHECK(std::chrono::steady_clock::now() - stop_sent < 5s);
    REQUIRE(WIFEXITED(bot.status));
    CHECK(WEXITSTATUS(bot.status) == 0);
    CHECK(fake.closed_cleanly(link));

    const auto text = read_file(log);
    CHECK_THAT(text, Catch::Contains("link 1 is up"));
    CHECK_THAT(text, Catch::Contains("stopped cleanly"));
    CHECK_THAT(text, !Catch::Contains(fake.options().app_token));
    CHECK_THAT(text, !Catch::Contains(fake.options().bot_token));
    CHECK_THAT(text, !Catch::Contains("xoxb-"));
    CHECK_THAT(text, !Catch::Contains(audit_key));
    // The audit key from the environment keyed the command's audit record.
    const auto audit = sqlite::open_sqlite_store((dir.path / "bot.db").string(), commands::audit_key{audit_key})->verify_audit();
    CHECK(audit.ok);
    CHECK(audit.keyed_records >= 1);
    CHECK(audit.keyed_records == audit.records);
    // Every line is one JSON object.
    std::istringstream lines(text);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        INFO(line);
        CHECK_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded());
        ++n;
    }
    CHECK(n > 3);
}

TEST_CASE("a revoked bot token stops the binary with a non-zero exit and a clear log line") {
    testing::fake_slack fake;
    temp_dir dir;
    const auto log = dir.path / "bot.log";
    const std::string wrong = "xoxb-999-revoked-token-value";
    auto bot = spawn_bot({"--config", write_config(dir)},
                         {"SLACK_APP_TOKEN=" + fake.options().app_token, "SLACK_BOT_TOKEN=" + wrong,
                          "SLACK_API_URL=" + fake.api_url(), "SSL_CERT_FILE=" + fake.ca_file()},
                         log);
    REQUIRE(bot.wait_exit(10s));
    REQUIRE(WIFEXITED(bot.status));
    CHECK(WEXITSTATUS(bot.status) != 0);
    const auto text = read_file(log);
    CHECK_THAT(text, Catch::Contains("invalid_auth"));
    CHECK_THAT(text, !Catch::Contains(wrong));
    CHECK(fake.connections_opened() == 0);
}

TEST_CASE("a broken config file stops the binary before connecting, naming the key and line") {
    temp_dir dir;
    auto path = write_config(dir);
    auto text = read_file(path);
    text.replace(text.find("business_days: 3"), 16, "business_days: three");
    std::ofstream(path) << text;
    const auto log = dir.path / "bot.log";
    auto bot = spawn_bot({"--config", path}, {}, log);
    REQUIRE(bot.wait_exit(10s));
    REQUIRE(WIFEXITED(bot.status));
    CHECK(WEXITSTATUS(bot.status) == 2);
    CHECK_THAT(read_file(log), Catch::Contains("freeze.month_end.business_days"));
}

TEST_CASE("posts that fail then a kill -9 and a restart leave the announcement in the channel exactly once") {
    testing::fake_slack fake;
    temp_dir dir;
    const auto config = write_config(dir);
    const std::vector<std::string> env{"SLACK_APP_TOKEN=" + fake.options().app_token,
                                       "SLACK_BOT_TOKEN=" + fake.options().bot_token,
                                       "SLACK_API_URL=" + fake.api_url(), "SSL_CERT_FILE=" + fake.ca_file()};
    // Slack is unavailable twice, then takes the post but its answer is lost on the way back.
    fake.queue_response("chat.postMessage", {503, {{"ok", false}, {"error", "service_unavailable"}}, {}});
    fake.queue_response("chat.postMessage", {503, {{"ok", false}, {"error", "service_unavailable"}}, {}});
    testing::canned_response lost;
    lost.processed = true;
    lost.hang_up = true;
    fake.queue_response("chat.postMessage", lost);

    auto first = spawn_bot({"--config", config}, env, dir.path / "first.log");
    REQUIRE(fake.wait_for_connections(1, 15s));
    const auto in_30_days = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) + std::chrono::days(30);
    const auto day = [](std::chrono::sys_days d) { return date::format("%F", date::sys_days{d.time_since_epoch()}); };
    fake.send_envelope("slash_commands",
                       {{"command", "/freeze"},
                        {"text", "add " + day(in_30_days) + " " + day(in_30_days + std::chrono::days(1)) + " kill test"},
                        {"user_id", "U0RM00001"}, {"channel_id", "C0RELEASE01"},
                        {"response_url", fake.make_response_url()}, {"trigger_id", "t-kill-1"}});
    REQUIRE(fake.wait_for_calls("chat.postMessage", 3, 30s));
    // The third post reached the channel; its answer never reached the bot. Then the bot dies.
    const auto posted_by = std::chrono::steady_clock::now() + 10s;
    while (fake.channel_history("C0RELEASE01").empty() && std::chrono::steady_clock::now() < posted_by)
        std::this_thread::sleep_for(5ms);
    kill(first.pid, SIGKILL);
    waitpid(first.pid, &first.status, 0);
    REQUIRE(fake.channel_history("C0RELEASE01").size() == 1);

    auto second = spawn_bot({"--config", config}, env, dir.path / "second.log");
    // The restarted bot finds the post in the channel and records it instead of posting again.
    auto st = sqlite::open_sqlite_store((dir.path / "bot.db").string());
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (st->outbox_pending() != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
    CHECK(st->outbox_pending() == 0);
    CHECK(fake.channel_history("C0RELEASE01").size() == 1);
    CHECK(fake.calls("chat.postMessage").size() == 3);
    CHECK_FALSE(fake.calls("conversations.history").empty());
    CHECK(st->freeze_windows().size() == 1);
    kill(second.pid, SIGTERM);
    CHECK(second.wait_exit(10s));
}


TEST_CASE("a kill -9 during a deploy leaves the promotion interrupted after the restart, with no step run twice") {
    testing::fake_slack fake;
    temp_dir dir;
    const auto config = write_promotion_config(dir);
    const auto stubs = dir.path / "stubs";
    std::filesystem::create_directories(stubs);
    std::ofstream(stubs / "job_state") << "running";  // the verification waits for a run that never ends
    const std::vector<std::string> env{"SLACK_APP_TOKEN=" + fake.options().app_token,
                                       "SLACK_BOT_TOKEN=" + fake.options().bot_token,
                                       "SLACK_API_URL=" + fake.api_url(), "SSL_CERT_FILE=" + fake.ca_file(),
                                       "PROMOTEBOT_STUB_DIR=" + stubs.string()};
    auto first = spawn_bot({"--config", config}, env, dir.path / "first.log");
    REQUIRE(fake.wait_for_connections(1, 15s));
    fake.send_envelope("slash_commands", {{"command", "/promote"},
                                          {"text", "v1.2.3 change CHG0012345"},
                                          {"user_id", "U0RM00001"},
                                          {"channel_id", "C0RELEASE01"},
                                          {"response_url", fake.make_response_url()},
                                          {"trigger_id", fake.issue_trigger()}});
    REQUIRE(fake.wait_for_calls("views.open", 1, 15s));
    const auto opened_by = std::chrono::steady_clock::now() + 10s;
    while (fake.view("V00000001").is_null() && std::chrono::steady_clock::now() < opened_by)
        std::this_thread::sleep_for(5ms);
    fake.submit_view("V00000001", "U0RM00001", {{"rollback_plan", "set the image back to v1.2.2"}, {"option", "app"}});
    auto st = sqlite::open_sqlite_store((dir.path / "bot.db").string());
    REQUIRE(wait_state(*st, 1, "awaiting_signoffs", 30s));
    click(fake, "U0DE00001", "promotion.signoff.technical");
    const auto signed_by = std::chrono::steady_clock::now() + 30s;
    while (commands::promotion_from_json(st->promotion(1)->doc).approvals.empty() &&
           std::chrono::steady_clock::now() < signed_by)
        std::this_thread::sleep_for(20ms);
    click(fake, "U0BIZ00001", "promotion.signoff.data_quality");
    REQUIRE(wait_state(*st, 1, "ready", 30s));
    click(fake, "U0RM00001", "promotion.deploy");
    REQUIRE(wait_state(*st, 1, "verifying", 30s));

    kill(first.pid, SIGKILL);
    waitpid(first.pid, &first.status, 0);
    const auto calls_before = read_file(stubs / "calls.log");

    auto second = spawn_bot({"--config", config}, env, dir.path / "second.log");
    CHECK(wait_state(*st, 1, "interrupted", 30s));
    const auto d = st->deployment_of_promotion(1);
    REQUIRE(d);
    CHECK(d->result == "interrupted");
    CHECK_FALSE(st->deploy_lock_of("prod"));
    // Nothing ran again: no docker build, no push, no set image after the restart.
    const auto calls_after = read_file(stubs / "calls.log");
    const auto added = calls_after.substr(calls_before.size());
    CHECK(added.find("docker") == std::string::npos);
    CHECK(added.find("[set] [image]") == std::string::npos);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (st->outbox_pending() != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
    std::string posted;
    for (const auto& c : fake.calls("chat.postMessage")) posted += c.body.dump();
    CHECK(posted.find("Nothing is re-run automatically") != std::string::npos);
    CHECK(st->verify_audit().ok);
    kill(second.pid, SIGTERM);
    CHECK(second.wait_exit(10s));
}
