// The promotebot binary as an operator runs it: connected to the fake Slack
// through the environment, stopped with SIGTERM, tokens kept out of its logs.
#include <catch2/catch.hpp>

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

extern char** environ;

using namespace promotebot;
using namespace std::chrono_literals;

using promotebot::testing::temp_dir;

namespace {


// The example configuration with the store in `dir`.
std::string write_config(const temp_dir& dir) {
    std::string text = bot::embedded_default_config_text();
    const std::string store_line = "store: promotebot.db";
    text.replace(text.find(store_line), store_line.size(), "store: " + (dir.path / "bot.db").string());
    const std::string links = "connections: 2";
    text.replace(text.find(links), links.size(), "connections: 1");
    // Tests run side by side: the OS picks a free port for the health and metrics listener.
    const std::string listen = "listen: 127.0.0.1:9090";
    text.replace(text.find(listen), listen.size(), "listen: 127.0.0.1:0");
    std::filesystem::create_directories(dir.path / "holidays");
    std::filesystem::copy_file(
        std::filesystem::path(PROMOTEBOT_SOURCE_DIR) / "deploy/holidays/england-and-wales-2026-2027.json",
        dir.path / "holidays/england-and-wales-2026-2027.json");
    const auto path = dir.path / "promotebot.yaml";
    std::ofstream(path) << text;
    return path.string();
}

struct child {
    pid_t pid = -1;
    int status = 0;

    bool wait_exit(std::chrono::milliseconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            if (waitpid(pid, &status, WNOHANG) == pid) return true;
            std::this_thread::sleep_for(10ms);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return false;
    }
};

child spawn_bot(const std::vector<std::string>& args, const std::vector<std::string>& env,
                const std::filesystem::path& log) {
    std::vector<std::string> environment = env;
    for (char** e = environ; *e; ++e) {
        std::string entry = *e;
        if (entry.rfind("SLACK_", 0) != 0 && entry.rfind("SSL_CERT_FILE=", 0) != 0 &&
            entry.rfind("PROMOTEBOT_AUDIT_KEY=", 0) != 0)
            environment.push_back(entry);
    }
    std::vector<char*> argv, envp;
    std::string binary = PROMOTEBOT_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> owned_args = args;
    for (auto& a : owned_args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    child c;
    const int rc = posix_spawn(&c.pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    return c;
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

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

namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// The example configuration for a promotion run by the binary: no freeze
// today, the gates that need no outside service, the stand-in tools.
std::string write_promotion_config(const temp_dir& dir) {
    const auto path = write_config(dir);
    std::string text = read_file(path);
    replace_all(text, "    enabled: true", "    enabled: false");
    replace_all(text, "gates: [freeze, soak, pipeline_cycles, incidents, change_record, performance, quarantine]",
                "gates: [freeze, soak, pipeline_cycles, quarantine]");
    replace_all(text, "verify_poll_s: 30", "verify_poll_s: 1");
    const std::string tools = std::string{PROMOTEBOT_SOURCE_DIR} + "/tests/e2e/tools/";
    replace_all(text, "tools: {}", "tools:\n  docker: " + tools + "docker\n  kubectl: " + tools +
                                       "kubectl\n  gcloud: " + tools + "gcloud\n  bq: " + tools + "bq");
    std::ofstream(path) << text;
    return path;
}

std::string state_of(sqlite::sqlite_store& st, std::int64_t id) {
    const auto p = st.promotion(id);
    return p ? p->state : std::string{};
}

bool wait_state(sqlite::sqlite_store& st, std::int64_t id, const std::string& state, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (state_of(st, id) != state) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

void click(testing::fake_slack& fake, const std::string& user, const std::string& action) {
    fake.send_envelope("interactive", {{"type", "block_actions"},
                                       {"user", {{"id", user}}},
                                       {"channel", {{"id", "C0RELEASE01"}}},
                                       {"message", {{"ts", "1700000000.000100"}}},
                                       {"response_url", fake.make_response_url()},
                                       {"trigger_id", fake.issue_trigger()},
                                       {"actions", {{{"action_id", action}, {"value", "1"}, {"type", "button"}}}}});
}

}  // namespace

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
