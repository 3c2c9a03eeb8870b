// Side by side: one Socket Mode load generator plays Slack on loopback for
// several bots in turn (promotebot, Bolt for JavaScript, slack-go) and prints
// one table of ack latency, throughput, peak RSS and CPU time. Not a test.
//
// Usage: bench_side_by_side [--tls] [--scale F] [--only W,W] [--log-dir DIR] [--memory-map] NAME=COMMAND...
// --scale multiplies every workload's envelope count; --memory-map prints
// where each bot's resident memory sits (by mapped file) at the end of a run.
// Each COMMAND runs under /bin/sh (exec'd, so its pid is the bot's) in a
// fresh working directory, once per workload, with SLACK_API_URL pointing at
// the generator, SLACK_APP_TOKEN / SLACK_BOT_TOKEN set, and with --tls
// SSL_CERT_FILE and NODE_EXTRA_CA_CERTS naming the generator's CA. The first
// bot is the one the ratio columns compare against.
//
// The generator serves the Web API (apps.connections.open, auth.test, chat.*,
// views.*, response URLs: all answered at once with ok:true) and the Socket
// Mode link on one port, sends `hello` and then envelopes with unique
// envelope_ids, and times each from the start of its frame's write to the
// arrival of its ack. It runs on one thread, the same for every bot.
#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <future>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "tests/fake_slack/test_certificate.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using nlohmann::json;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* app_token = "xapp-1-A0BENCH-1-bench";
constexpr const char* bot_token = "xoxb-0-bench";
constexpr std::size_t max_ack_bytes = 64 * 1024;  // an ack is an envelope_id and at most a small reply

// --- Workloads ----------------------------------------------------------------

struct workload {
    std::string name;
    int count = 0;
    int rate = 0;    // envelopes a second (paced), or 0
    int window = 0;  // envelopes in flight (burst), or 0
    bool mix = false;  // slash commands, button clicks and events in turn; else events only
};

std::vector<workload> default_workloads(double scale) {
    const auto n = [scale](int c) { return std::max(1, static_cast<int>(std::lround(c * scale))); };
    return {{"paced events", n(10000), 1000, 0, false},
            {"burst events", n(20000), 0, 100, false},
            {"paced mix", n(10000), 1000, 0, true},
            {"burst mix", n(20000), 0, 100, true}};
}

// Envelopes shaped as Slack sends them; the cheap path of every bot: `/freeze
// status`, a button whose action_id no handler knows, a reaction_added event.
std::string make_envelope(const std::string& id, int kind, const std::string& response_url_base, std::size_t n) {
    json envelope;
    envelope["envelope_id"] = id;
    envelope["retry_attempt"] = 0;
    envelope["retry_reason"] = "";
    const std::string response_url = response_url_base + std::to_string(n);
    // Unique per envelope: promotebot takes a repeated trigger_id for Slack redelivering the same request.
    const std::string trigger = "1700000000." + id + ".bench";
    if (kind == 0) {
        envelope["type"] = "slash_commands";
        envelope["accepts_response_payload"] = true;
        envelope["payload"] = {{"token", "bench"},          {"team_id", "T0BENCH"},        {"team_domain", "bench"},
                               {"channel_id", "C0RELEASE01"}, {"channel_name", "release"},   {"user_id", "U0ENG00001"},
                               {"user_name", "priya"},      {"command", "/freeze"},        {"text", "status"},
                               {"api_app_id", "A0BENCH"},   {"is_enterprise_install", "false"},
                               {"response_url", response_url}, {"trigger_id", trigger}};
    } else if (kind == 1) {
        envelope["type"] = "interactive";
        envelope["accepts_response_payload"] = false;
        envelope["payload"] = {
            {"type", "block_actions"},
            {"user", {{"id", "U0ENG00001"}, {"username", "priya"}, {"name", "priya"}, {"team_id", "T0BENCH"}}},
            {"api_app_id", "A0BENCH"},
            {"token", "bench"},
            {"container", {{"type", "message"}, {"message_ts", "1700000000.000100"}, {"channel_id", "C0RELEASE01"},
                           {"is_ephemeral", false}}},
            {"trigger_id", trigger},
            {"team", {{"id", "T0BENCH"}, {"domain", "bench"}}},
            {"channel", {{"id", "C0RELEASE01"}, {"name", "release"}}},
            {"message", {{"type", "message"}, {"ts", "1700000000.000100"}, {"text", "bench"}}},
            {"response_url", response_url},
            {"actions", json::array({{{"action_id", "bench_unknown_action"},
                                      {"block_id", "bench"},
                                      {"value", "v" + std::to_string(n)},
                                      {"type", "button"},
                                      {"action_ts", "1700000000.000200"},
                                      {"text", {{"type", "plain_text"}, {"text", "Go"}}}}})}};
    } else {
        envelope["type"] = "events_api";
        envelope["accepts_response_payload"] = false;
        envelope["payload"] = {
            {"token", "bench"},
            {"team_id", "T0BENCH"},
            {"api_app_id", "A0BENCH"},
            {"event", {{"type", "reaction_added"}, {"user", "U0ENG00001"}, {"reaction", "thumbsup"},
                       {"item_user", "U0ENG00002"},
                       {"item", {{"type", "message"}, {"channel", "C0RELEASE01"}, {"ts", "1700000000.000100"}}},
                       {"event_ts", "1700000000.000200"}}},
            {"type", "event_callback"},
            {"event_id", "Ev" + id},
            {"event_time", 1700000000},
            {"authorizations", json::array({{{"enterprise_id", nullptr}, {"team_id", "T0BENCH"},
                                             {"user_id", "U0BOT"}, {"is_bot", true},
                                             {"is_enterprise_install", false}}})},
            {"is_ext_shared_channel", false}};
    }
    return envelope.dump();
}

// --- The bot under test -----------------------------------------------------

struct bot_spec {
    std::string name;
    std::string command;
};

struct child {
    pid_t pid = -1;
    int status = 0;
    bool exited = false;
    rusage usage{};

    bool poll_exit() {
        if (exited) return true;
        if (wait4(pid, &status, WNOHANG, &usage) == pid) exited = true;
        return exited;
    }
};

child spawn_bot(const bot_spec& bot, const std::vector<std::string>& extra_env, const std::filesystem::path& cwd,
                const std::filesystem::path& log) {
    std::vector<std::string> environment = extra_env;
    for (char** e = environ; *e; ++e) {
        const std::string entry = *e;
        if (entry.rfind("SLACK_", 0) != 0 && entry.rfind("SSL_CERT_FILE=", 0) != 0 &&
            entry.rfind("NODE_EXTRA_CA_CERTS=", 0) != 0)
            environment.push_back(entry);
    }
    std::string sh = "/bin/sh", dash_c = "-c", script = "exec " + bot.command;
    std::vector<char*> argv{sh.data(), dash_c.data(), script.data(), nullptr};
    std::vector<char*> envp;
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    child c;
    const int rc = posix_spawn(&c.pid, sh.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("posix_spawn failed for " + bot.name);
    return c;
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// utime + stime of every thread of the process, in seconds.
double cpu_seconds(pid_t pid) {
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto paren = stat.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    // After the command: state is field 3; utime and stime are fields 14 and 15.
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A field of /proc/<pid>/status in KiB (VmHWM: the peak resident set).
long status_kib(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + ":", 0) == 0) return std::atol(line.c_str() + key.size() + 1);
    return 0;
}

// Resident KiB of each mapped object (a file, [heap], [stack], or "[anon]" for
// the rest), largest first: where a peak RSS comes from.
std::vector<std::pair<long, std::string>> resident_by_object(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
    std::map<std::string, long> kib;
    std::string object;
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        if (std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < line.find(' ')) {
            std::istringstream fields(line);
            std::string range, perms, offset, dev, inode;
            fields >> range >> perms >> offset >> dev >> inode;
            std::getline(fields >> std::ws, object);
            if (object.empty()) object = "[anon]";
            object = object.substr(object.rfind('/') + 1);
        } else if (line.rfind("Rss:", 0) == 0) {
            kib[object] += std::atol(line.c_str() + 4);
        }
    }
    std::vector<std::pair<long, std::string>> out;
    for (auto& [name, k] : kib)
        if (k > 0) out.emplace_back(k, name);
    std::sort(out.rbegin(), out.rend());
    return out;
}

long rollup_kib(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key + ":", 0) == 0) return std::atol(line.c_str() + key.size() + 1);
    return 0;
}

std::string load_average() {
    std::string s = read_text("/proc/loadavg");
    std::istringstream in(s);
    std::string a, b, c;
    in >> a >> b >> c;
    return a + " " + b + " " + c;
}

// --- The generator: Web API and Socket Mode on one port ---------------------

struct frame {
    enum class kind { text, ping } what = kind::text;
    std::string text;
    long index = -1;  // a measured envelope: its send time is stamped when its write starts
};

struct run_state;

struct link_base : std::enable_shared_from_this<link_base> {
    virtual ~link_base() = default;
    virtual void enqueue(frame f) = 0;
    bool open = true;
};

struct run_state {
    int id = 0;
    workload w;
    std::vector<std::string> frames;
    std::vector<clock_type::time_point> sent;
    std::vector<std::int64_t> latency_ns;  // -1 until acked
    std::size_t next = 0;
    std::atomic<std::size_t> acked{0};
    std::atomic<int> warmup_acked{0};
    std::atomic<bool> started{false};
    std::atomic<int> links{0};  // Socket Mode links the bot opened during this run
    clock_type::time_point first_send{}, last_ack{};
};

class generator {
public:
    explicit generator(bool use_tls) {
        if (use_tls) {
            const auto cert = promotebot::testing::make_test_certificate();
            ca_path_ = dir_.file("ca.pem");
            std::ofstream(ca_path_) << cert.ca_cert_pem;
            tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
            tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                              ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
            tls_->use_certificate_chain(asio::buffer(cert.server_cert_pem));
            tls_->use_private_key(asio::buffer(cert.server_key_pem), ssl::context::pem);
        }
        acceptor_.emplace(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port_ = acceptor_->local_endpoint().port();
        asio::co_spawn(io_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~generator() {
        asio::post(io_, [this] {
            beast::error_code ignored;
            acceptor_->close(ignored);
            io_.stop();
        });
        thread_.join();
    }

    [[nodiscard]] std::string origin(bool ws) const {
        return std::string(ws ? (tls_ ? "wss" : "ws") : (tls_ ? "https" : "http")) + "://127.0.0.1:" +
               std::to_string(port_);
    }
    [[nodiscard]] const std::string& ca_file() const { return ca_path_; }
    [[nodiscard]] std::uint64_t api_calls() const { return api_calls_.load(); }
    [[nodiscard]] clock_type::time_point last_api_call() const {
        return clock_type::time_point(clock_type::duration(last_api_call_.load()));
    }

    // Prepares a run; envelopes wait until start_warmup / start_workload.
    void begin_run(run_state& r) {
        run_on_io([&] {
            current_ = &r;
            links_.clear();
        });
    }

    void start_warmup(run_state& r, int n) {
        run_on_io([&] {
            for (int i = 0; i < n; ++i)
                send({frame::kind::text,
                      make_envelope("w" + std::to_string(r.id) + "-" + std::to_string(i), r.w.mix ? i % 3 : 2,
                                    origin(false) + "/response/w", static_cast<std::size_t>(i)),
                      -1});
        });
    }

    void start_workload(run_state& r) {
        run_on_io([&] {
            r.started = true;
            r.first_send = clock_type::now();
            if (r.w.window > 0) {
                while (r.next < r.frames.size() && r.next < static_cast<std::size_t>(r.w.window)) send_next(r);
            } else {
                asio::co_spawn(io_, pace(r), asio::detached);
            }
        });
    }

    void end_run() {
        run_on_io([&] { current_ = nullptr; });
    }

private:
    template <class F>
    void run_on_io(F f) {
        std::promise<void> done;
        auto result = done.get_future();
        asio::post(io_, [&] {
            f();
            done.set_value();
        });
        result.get();
    }

    void send(frame f) {
        // Round robin over the run's open links.
        for (std::size_t tries = 0; tries < links_.size(); ++tries) {
            auto& l = links_[round_robin_++ % links_.size()];
            if (!l->open) continue;
            l->enqueue(std::move(f));
            return;
        }
    }

    void send_next(run_state& r) {
        const auto i = r.next++;
        send({frame::kind::text, std::move(r.frames[i]), static_cast<long>(i)});
    }

    asio::awaitable<void> pace(run_state& r) {
        asio::steady_timer timer(io_);
        const auto interval = std::chrono::nanoseconds(1'000'000'000LL / r.w.rate);
        const auto t0 = r.first_send;
        const int id = r.id;
        while (r.next < r.frames.size()) {
            const auto due = std::min<std::size_t>(
                r.frames.size(), static_cast<std::size_t>((clock_type::now() - t0) / interval) + 1);
            while (r.next < due) send_next(r);
            if (r.next >= r.frames.size()) break;
            timer.expires_at(t0 + interval * static_cast<long>(r.next));
            beast::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (ec || current_ != &r || current_->id != id) co_return;  // the run ended early
        }
    }

    // An ack arrived: "<w|e><run>-<index>".
    void on_ack(const std::string& id, clock_type::time_point at) {
        run_state* r = current_;
        if (!r || id.size() < 2) return;
        const auto dash = id.find('-');
        if (dash == std::string::npos || std::atoi(id.c_str() + 1) != r->id) return;
        const long index = std::atol(id.c_str() + dash + 1);
        if (id[0] == 'w') {
            r->warmup_acked.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        if (id[0] != 'e' || index < 0 || static_cast<std::size_t>(index) >= r->latency_ns.size()) return;
        auto& slot = r->latency_ns[static_cast<std::size_t>(index)];
        if (slot >= 0) return;  // a repeated ack
        slot = std::chrono::duration_cast<std::chrono::nanoseconds>(at - r->sent[static_cast<std::size_t>(index)]).count();
        r->last_ack = at;
        r->acked.fetch_add(1, std::memory_order_release);
        if (r->w.window > 0 && r->next < r->frames.size()) send_next(*r);
    }

    template <class Stream>
    struct link final : link_base {
        generator& g;
        websocket::stream<Stream> ws;
        std::deque<frame> queue;
        std::string in_flight;
        bool writing = false;

        link(generator& g, Stream&& s) : g(g), ws(std::move(s)) {}

        void enqueue(frame f) override {
            if (!open) return;
            queue.push_back(std::move(f));
            if (!writing) write_next();
        }

        void write_next() {
            if (queue.empty() || !open) {
                writing = false;
                return;
            }
            writing = true;
            frame f = std::move(queue.front());
            queue.pop_front();
            auto self = std::static_pointer_cast<link>(shared_from_this());
            auto next = [self](beast::error_code ec, auto&&...) {
                if (ec) {
                    self->writing = false;
                    self->open = false;
                    return;
                }
                self->write_next();
            };
            if (f.what == frame::kind::ping) {
                ws.async_ping({}, next);
                return;
            }
            if (f.index >= 0 && g.current_ && static_cast<std::size_t>(f.index) < g.current_->sent.size())
                g.current_->sent[static_cast<std::size_t>(f.index)] = clock_type::now();
            in_flight = std::move(f.text);
            ws.text(true);
            ws.async_write(asio::buffer(in_flight), next);
        }
    };

    template <class Stream>
    asio::awaitable<void> run_link(Stream stream, http::request<http::string_body> req) {
        beast::get_lowest_layer(stream).expires_never();
        auto l = std::make_shared<link<Stream>>(*this, std::move(stream));
        l->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        l->ws.read_message_max(max_ack_bytes);
        beast::error_code ec;
        co_await l->ws.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        links_.push_back(l);
        if (current_) ++current_->links;
        l->enqueue({frame::kind::text,
                    json{{"type", "hello"},
                         {"num_connections", links_.size()},
                         {"debug_info", {{"host", "bench"}, {"approximate_connection_time", 18060}}},
                         {"connection_info", {{"app_id", "A0BENCH"}}}}
                        .dump(),
                    -1});
        asio::co_spawn(io_, ping_loop(l), asio::detached);
        beast::flat_buffer buf;
        for (;;) {
            co_await l->ws.async_read(buf, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            const auto at = clock_type::now();
            const auto data = buf.data();
            json ack = json::parse(static_cast<const char*>(data.data()),
                                   static_cast<const char*>(data.data()) + data.size(), nullptr, false);
            buf.consume(buf.size());
            if (!ack.is_object()) continue;
            const auto id = ack.find("envelope_id");
            if (id != ack.end() && id->is_string()) on_ack(id->get<std::string>(), at);
        }
        l->open = false;
        links_.erase(std::remove(links_.begin(), links_.end(), l), links_.end());
    }

    asio::awaitable<void> ping_loop(std::shared_ptr<link_base> l) {
        // Slack pings; Bolt and slack-go drop a link that hears none for 30 s.
        asio::steady_timer timer(io_);
        while (l->open) {
            timer.expires_after(5s);
            beast::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            l->enqueue({frame::kind::ping, {}, -1});
        }
    }

    http::response<http::string_body> answer(const http::request<http::string_body>& req) {
        api_calls_.fetch_add(1, std::memory_order_relaxed);
        last_api_call_.store(clock_type::now().time_since_epoch().count(), std::memory_order_relaxed);
        std::string target(req.target());
        target = target.substr(0, target.find('?'));
        const std::string method = target.rfind("/api/", 0) == 0 ? target.substr(5) : target;
        const std::string ts = "1700000000." + std::to_string(100000 + ++ts_counter_);
        json body;
        if (target.rfind("/response/", 0) == 0) {
            body = {{"ok", true}};
        } else if (method == "apps.connections.open") {
            body = {{"ok", true}, {"url", origin(true) + "/link/?ticket=" + std::to_string(++tickets_)}};
        } else if (method == "auth.test") {
            body = {{"ok", true},          {"url", "https://bench.slack.com/"}, {"team", "Bench"},
                    {"user", "promotebot"}, {"team_id", "T0BENCH"},           {"user_id", "U0BOT"},
                    {"bot_id", "B0BOT"},    {"is_enterprise_install", false}};
        } else if (method == "chat.postMessage" || method == "chat.update") {
            body = {{"ok", true}, {"channel", "C0RELEASE01"}, {"ts", ts}, {"message", {{"ts", ts}, {"text", ""}}}};
        } else if (method == "chat.postEphemeral") {
            body = {{"ok", true}, {"message_ts", ts}};
        } else if (method.rfind("views.", 0) == 0) {
            body = {{"ok", true}, {"view", {{"id", "V0BENCH" + std::to_string(ts_counter_)}}}};
        } else if (method == "usergroups.users.list") {
            body = {{"ok", true}, {"users", json::array()}};
        } else if (method == "conversations.history") {
            body = {{"ok", true}, {"messages", json::array()}, {"has_more", false}};
        } else {
            body = {{"ok", true}};
        }
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "application/json; charset=utf-8");
        res.keep_alive(req.keep_alive());
        res.body() = body.dump();
        res.prepare_payload();
        return res;
    }

    template <class Stream>
    asio::awaitable<void> session(Stream stream) {
        beast::error_code ec;
        if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
            beast::get_lowest_layer(stream).expires_after(30s);
            co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
        }
        beast::flat_buffer buf;
        for (;;) {
            beast::get_lowest_layer(stream).expires_never();
            http::request_parser<http::string_body> parser;
            parser.body_limit(1024 * 1024);
            co_await http::async_read(stream, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            http::request<http::string_body> req = parser.release();
            if (websocket::is_upgrade(req)) {
                co_await run_link(std::move(stream), std::move(req));
                co_return;
            }
            auto res = answer(req);
            beast::get_lowest_layer(stream).expires_after(30s);
            co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
            if (ec || !res.keep_alive()) break;
        }
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            beast::error_code ec;
            tcp::socket socket = co_await acceptor_->async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
            if (ec) continue;
            socket.set_option(tcp::no_delay(true), ec);
            if (tls_) {
                asio::co_spawn(io_, session(beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls_)),
                               asio::detached);
            } else {
                asio::co_spawn(io_, session(beast::tcp_stream(std::move(socket))), asio::detached);
            }
        }
    }

    promotebot::testing::temp_dir dir_;
    std::string ca_path_;
    std::unique_ptr<ssl::context> tls_;  // outlives the io_context: streams refer to it
    asio::io_context io_{1};
    std::optional<tcp::acceptor> acceptor_;
    unsigned short port_ = 0;
    std::thread thread_;
    std::atomic<std::uint64_t> api_calls_{0};
    std::atomic<clock_type::rep> last_api_call_{0};
    // Touched only on the io thread.
    run_state* current_ = nullptr;
    std::vector<std::shared_ptr<link_base>> links_;
    std::size_t round_robin_ = 0;
    std::uint64_t ts_counter_ = 0;
    int tickets_ = 0;
};

// --- One run: a fresh bot process, one workload -------------------------------

struct result {
    std::string bot, workload;
    bool ok = false;
    std::string error;
    std::size_t count = 0, acked = 0;
    double throughput = 0;  // acks a second, first send to last ack
    double p50 = 0, p90 = 0, p99 = 0, max = 0;  // milliseconds
    long peak_rss_kib = 0;
    double cpu_s = 0;  // during the workload and the follow-up work it caused
    std::uint64_t api_calls = 0;
    std::vector<std::pair<long, std::string>> resident;  // at the end of the workload, with --memory-map
};

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
    const auto until = clock_type::now() + timeout;
    while (!pred()) {
        if (clock_type::now() > until) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

result run_one(generator& g, const bot_spec& bot, const workload& w, int run_id, bool tls, bool memory_map,
               const std::optional<std::filesystem::path>& log_dir) {
    result out;
    out.bot = bot.name;
    out.workload = w.name;
    out.count = static_cast<std::size_t>(w.count);

    run_state r;
    r.id = run_id;
    r.w = w;
    const std::string response_base = g.origin(false) + "/response/e" + std::to_string(run_id) + "-";
    r.frames.reserve(out.count);
    for (std::size_t i = 0; i < out.count; ++i)
        r.frames.push_back(make_envelope("e" + std::to_string(run_id) + "-" + std::to_string(i),
                                         w.mix ? static_cast<int>(i % 3) : 2, response_base, i));
    r.sent.assign(out.count, {});
    r.latency_ns.assign(out.count, -1);

    promotebot::testing::temp_dir cwd;
    const auto log = log_dir ? *log_dir / (bot.name + "-" + std::to_string(run_id) + ".log") : cwd.path / "bot.log";
    std::vector<std::string> env{"SLACK_API_URL=" + g.origin(false) + "/api/", std::string("SLACK_APP_TOKEN=") + app_token,
                                 std::string("SLACK_BOT_TOKEN=") + bot_token};
    if (tls) {
        env.push_back("SSL_CERT_FILE=" + g.ca_file());
        env.push_back("NODE_EXTRA_CA_CERTS=" + g.ca_file());
    }
    g.begin_run(r);
    child c = spawn_bot(bot, env, cwd.path, log);
    auto fail = [&](const std::string& why) {
        out.error = why;
        const std::string text = read_text(log);
        std::fprintf(stderr, "%s / %s: %s; its log ends:\n%s\n", bot.name.c_str(), w.name.c_str(), why.c_str(),
                     text.substr(text.size() > 2000 ? text.size() - 2000 : 0).c_str());
    };

    constexpr int warmup = 60;
    if (!wait_until([&] { return r.links.load() > 0 || c.poll_exit(); }, 30s) || c.exited) {
        fail("no Socket Mode link");
    } else {
        // Warm-up envelopes: the bot is ready (and its code paged in) when they are acked.
        g.start_warmup(r, warmup);
        if (!wait_until([&] { return r.warmup_acked.load() >= warmup || c.poll_exit(); }, 30s) || c.exited) {
            fail("warm-up envelopes not acked");
        } else {
            std::this_thread::sleep_for(200ms);  // the warm-up's follow-up work ends before the clock starts
            const double cpu0 = cpu_seconds(c.pid);
            const auto calls0 = g.api_calls();
            g.start_workload(r);
            const auto expected = w.rate > 0 ? std::chrono::milliseconds(1000LL * w.count / w.rate) : 0ms;
            wait_until([&] { return r.acked.load(std::memory_order_acquire) >= out.count || c.poll_exit(); },
                       expected + 60s);
            // Follow-up work (answers through response_url) counts towards CPU:
            // wait until the API has been quiet for 2 s (idle time costs no CPU).
            wait_until([&] { return clock_type::now() - g.last_api_call() > 2s; }, 60s);
            out.cpu_s = c.exited ? 0 : cpu_seconds(c.pid) - cpu0;
            out.peak_rss_kib = c.exited ? 0 : status_kib(c.pid, "VmHWM");
            if (memory_map && !c.exited) {
                out.resident = resident_by_object(c.pid);
                // Shared library pages count whole in RSS; PSS splits them among the processes mapping them.
                out.resident.insert(out.resident.begin(), {status_kib(c.pid, "RssFile"), "(RssFile)"});
                out.resident.insert(out.resident.begin(), {status_kib(c.pid, "RssAnon"), "(RssAnon)"});
                out.resident.insert(out.resident.begin(), {rollup_kib(c.pid, "Pss"), "(Pss)"});
            }
            out.api_calls = g.api_calls() - calls0;
            out.ok = !c.exited;
            if (c.exited) fail("exited during the workload");
        }
    }
    g.end_run();
    if (!c.exited) {
        kill(c.pid, SIGTERM);
        if (!wait_until([&] { return c.poll_exit(); }, 10s)) {
            kill(c.pid, SIGKILL);
            waitpid(c.pid, &c.status, 0);
        }
    }
    if (!out.ok) return out;

    std::vector<double> ms;
    ms.reserve(out.count);
    for (auto ns : r.latency_ns)
        if (ns >= 0) ms.push_back(static_cast<double>(ns) / 1e6);
    out.acked = ms.size();
    if (ms.empty()) return out;
    std::sort(ms.begin(), ms.end());
    const auto pct = [&](double p) {
        const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(ms.size())));
        return ms[std::min(ms.size() - 1, rank == 0 ? 0 : rank - 1)];
    };
    out.p50 = pct(0.50);
    out.p90 = pct(0.90);
    out.p99 = pct(0.99);
    out.max = ms.back();
    const double seconds = std::chrono::duration<double>(r.last_ack - r.first_send).count();
    out.throughput = seconds > 0 ? static_cast<double>(out.acked) / seconds : 0;
    return out;
}

std::string ratio(double value, double reference) {
    if (reference <= 0 || value <= 0) return "–";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", value / reference);
    return buf;
}

void print_table(const std::vector<result>& results, const std::vector<bot_spec>& bots) {
    std::printf("| workload | bot | acks/s | p50 ms | p90 ms | p99 ms | max ms | peak RSS MiB | CPU s | unacked "
                "| p99 × | acks/s × | RSS × | CPU × |\n");
    std::printf("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (const auto& r : results) {
        const result* ref = nullptr;
        for (const auto& x : results)
            if (x.workload == r.workload && x.bot == bots.front().name && x.ok) ref = &x;
        if (!r.ok) {
            std::printf("| %s | %s | failed: %s | | | | | | | | | | | |\n", r.workload.c_str(), r.bot.c_str(),
                        r.error.c_str());
            continue;
        }
        const bool is_ref = ref == &r;
        const auto column = [&](double value, double reference) -> std::string {
            if (is_ref) return "1";
            if (!ref) return "–";
            return ratio(value, reference);
        };
        std::printf("| %s | %s | %.0f | %.3f | %.3f | %.3f | %.1f | %.1f | %.2f | %zu | %s | %s | %s | %s |\n",
                    r.workload.c_str(), r.bot.c_str(), r.throughput, r.p50, r.p90, r.p99, r.max,
                    static_cast<double>(r.peak_rss_kib) / 1024.0, r.cpu_s, r.count - r.acked,
                    column(r.p99, ref ? ref->p99 : 0).c_str(), column(ref ? ref->throughput : 0, r.throughput).c_str(),
                    column(static_cast<double>(r.peak_rss_kib), ref ? static_cast<double>(ref->peak_rss_kib) : 0).c_str(),
                    column(r.cpu_s, ref ? ref->cpu_s : 0).c_str());
    }
    std::printf("\n× columns: how many times better the first bot (%s) does than this one: this p99 / its p99, "
                "its acks/s / this, this RSS / its RSS, this CPU / its CPU.\n",
                bots.front().name.c_str());
}

int usage() {
    std::fprintf(stderr,
                 "usage: bench_side_by_side [--tls] [--scale F] [--only W,W] [--log-dir DIR] [--memory-map] NAME=COMMAND...\n"
                 "workloads: paced events, burst events, paced mix, burst mix (--only \"paced events,burst mix\")\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    bool tls = false;
    bool memory_map = false;
    double scale = 1.0;
    std::string only;
    std::optional<std::filesystem::path> log_dir;
    std::vector<bot_spec> bots;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--tls") {
            tls = true;
        } else if (a == "--memory-map") {
            memory_map = true;
        } else if (a == "--scale" && i + 1 < argc) {
            scale = std::atof(argv[++i]);
        } else if (a == "--only" && i + 1 < argc) {
            only = argv[++i];
        } else if (a == "--log-dir" && i + 1 < argc) {
            log_dir = argv[++i];
            std::filesystem::create_directories(*log_dir);
        } else if (a.find('=') != std::string::npos && a[0] != '-') {
            bots.push_back({a.substr(0, a.find('=')), a.substr(a.find('=') + 1)});
        } else {
            return usage();
        }
    }
    if (bots.empty() || scale <= 0) return usage();
    std::signal(SIGPIPE, SIG_IGN);

    std::vector<workload> workloads;
    for (auto& w : default_workloads(scale))
        if (only.empty() || ("," + only + ",").find("," + w.name + ",") != std::string::npos) workloads.push_back(w);

    generator g(tls);
    std::printf("Socket Mode over %s, Web API over %s, on loopback; %ld CPUs; load average before: %s\n",
                tls ? "wss://" : "ws://", tls ? "https://" : "http://", sysconf(_SC_NPROCESSORS_ONLN),
                load_average().c_str());
    std::fflush(stdout);
    std::vector<result> results;
    int run_id = 0;
    for (const auto& w : workloads) {
        for (const auto& b : bots) {
            auto r = run_one(g, b, w, ++run_id, tls, memory_map, log_dir);
            std::fprintf(stderr, "%-12s %-13s %s: %.0f acks/s, p99 %.3f ms, peak RSS %.1f MiB, CPU %.2f s, unacked %zu, "
                                 "API calls %llu, load %s\n",
                         b.name.c_str(), w.name.c_str(), r.ok ? "done" : "FAILED", r.throughput, r.p99,
                         static_cast<double>(r.peak_rss_kib) / 1024.0, r.cpu_s, r.count - r.acked,
                         static_cast<unsigned long long>(r.api_calls), load_average().c_str());
            if (!r.resident.empty()) {
                std::string line = "  resident KiB by object:";
                for (std::size_t i = 0; i < r.resident.size() && i < 19; ++i)
                    line += " " + r.resident[i].second + " " + std::to_string(r.resident[i].first) + ",";
                std::fprintf(stderr, "%s\n", line.c_str());
            }
            results.push_back(std::move(r));
        }
    }
    std::printf("load average after: %s\n\n", load_average().c_str());
    print_table(results, bots);
    bool all_acked = true;
    for (const auto& r : results) all_acked = all_acked && r.ok && r.acked == r.count;
    return all_acked ? 0 : 1;
}
