#include "tests/fake_slack/fake_slack.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include "tests/fake_slack/test_certificate.hpp"

namespace promotebot::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr const char* json_content_type = "application/json; charset=utf-8";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string form_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// A form body becomes an object of strings; fields that hold JSON (blocks,
// view) are parsed so tests can inspect them the same way as JSON bodies.
json form_to_json(std::string_view body) {
    json out = json::object();
    while (!body.empty()) {
        const auto amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        const std::string key = form_decode(pair.substr(0, eq));
        const std::string value = eq == std::string_view::npos ? std::string{} : form_decode(pair.substr(eq + 1));
        json parsed = json::parse(value, nullptr, false);
        out[key] = (!parsed.is_discarded() && (parsed.is_object() || parsed.is_array())) ? parsed : json(value);
    }
    return out;
}

std::string random_envelope_id(std::mt19937_64& rng) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string id;
    for (int group : {8, 4, 4, 4, 12}) {
        if (!id.empty()) id += '-';
        for (int i = 0; i < group; ++i) id += digits[rng() % 16];
    }
    return id;
}

// The queue of frames one link writes, in order, one at a time.
struct outgoing {
    enum class kind { text, binary, ping, close } what = kind::text;
    std::string text;
};

}  // namespace

struct link_base : std::enable_shared_from_this<link_base> {
    int id = 0;
    virtual ~link_base() = default;
    virtual void enqueue(outgoing frame) = 0;
    virtual void silence() = 0;
    virtual void drop() = 0;
};

struct fake_slack::impl {
    fake_slack_options options;
    std::string ca_path;
    std::unique_ptr<ssl::context> tls;  // outlives the io_context: streams refer to it
    asio::io_context ioc{1};
    std::optional<tcp::acceptor> acceptor;
    unsigned short port = 0;
    std::thread thread;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::vector<int> live;  // link IDs in opening order
    std::set<int> clean_closes;
    int links_opened = 0;
    int tcp_accepted = 0;
    std::vector<recorded_ack> acks;
    std::vector<std::string> websocket_hosts;
    std::vector<recorded_call> calls;
    std::map<std::string, std::deque<canned_response>> canned;
    struct outage {
        std::chrono::milliseconds duration;
        canned_response response;
        std::optional<std::chrono::steady_clock::time_point> until;  // set by the first call
    };
    std::map<std::string, outage> outages;
    struct limit {
        int calls = 0;
        std::chrono::milliseconds window{0};
        std::deque<std::chrono::steady_clock::time_point> accepted;  // within the window, oldest first
    };
    std::map<std::string, limit> limits;
    std::vector<json> sent_envelopes;  // by send_envelope, oldest first
    std::map<std::string, std::vector<json>> history;  // channel -> posted messages, oldest first
    std::map<std::string, std::vector<std::string>> usergroups;
    std::set<int> open_tickets;
    int next_ticket = 1;
    int next_response_url = 1;
    long last_ts = 0;  // microseconds of the newest ts handed out
    int next_view = 1;
    int next_event = 1;  // event_id of the Events API envelopes sent
    int next_trigger = 1;
    std::map<std::string, std::chrono::steady_clock::time_point> triggers;  // issued, not yet used: when
    std::set<std::string> used_triggers;
    std::map<std::string, json> views;  // opened by views.open, by view ID
    std::size_t round_robin = 0;
    std::mt19937_64 rng{std::random_device{}()};

    // Touched only on the io thread.
    std::map<int, std::shared_ptr<link_base>> links;

    explicit impl(fake_slack_options o) : options(std::move(o)) {}

    std::string scheme(bool ws) const {
        if (ws) return options.tls ? "wss" : "ws";
        return options.tls ? "https" : "http";
    }
    std::string origin(bool ws = false) const { return scheme(ws) + "://127.0.0.1:" + std::to_string(port); }

    template <class F>
    void run_on_io(F f) {
        if (ioc.get_executor().running_in_this_thread()) {
            f();
            return;
        }
        std::promise<void> done;
        auto result = done.get_future();
        asio::post(ioc, [&] {
            try {
                f();
                done.set_value();
            } catch (...) {
                done.set_exception(std::current_exception());
            }
        });
        result.get();
    }

    void link_gone(int id, bool clean) {
        std::lock_guard lock(mutex);
        live.erase(std::remove(live.begin(), live.end(), id), live.end());
        if (clean) clean_closes.insert(id);
        changed.notify_all();
    }

    // --- HTTP ---------------------------------------------------------------

    http::response<http::string_body> respond(unsigned status, const json& body, unsigned version, bool keep_alive,
                                              const std::map<std::string, std::string>& headers = {}) {
        http::response<http::string_body> res{static_cast<http::status>(status), version};
        res.set(http::field::server, "fake-slack");
        res.set(http::field::content_type, json_content_type);
        for (const auto& [name, value] : headers) res.set(name, value);
        res.keep_alive(keep_alive);
        res.body() = body.dump();
        res.prepare_payload();
        return res;
    }

    http::response<http::string_body> respond(const canned_response& r, unsigned version, bool keep_alive) {
        auto res = respond(r.status, r.raw_body ? json(nullptr) : r.body, version, keep_alive, r.headers);
        if (r.raw_body) {
            res.body() = *r.raw_body;
            res.prepare_payload();
        }
        return res;
    }

    // How a canned answer is delivered: late, or not at all.
    struct delivery_plan {
        std::chrono::milliseconds delay{0};
        bool hang_up = false;
    };

    http::response<http::string_body> handle(const http::request<http::string_body>& req, delivery_plan& plan) {
        const std::string target(req.target());
        const unsigned version = req.version();
        const bool keep_alive = req.keep_alive();
        if (req.method() != http::verb::post) {
            return respond(405, {{"ok", false}, {"error", "method_not_allowed"}}, version, keep_alive);
        }

        recorded_call call;
        call.at = std::chrono::steady_clock::now();
        call.path = target;
        call.authorization = std::string(req[http::field::authorization]);
        call.content_type = std::string(req[http::field::content_type]);
        const std::string_view ct = call.content_type;
        if (ct.starts_with("application/x-www-form-urlencoded")) {
            call.body = form_to_json(req.body());
        } else if (!req.body().empty()) {
            call.body = json::parse(req.body(), nullptr, false);
            if (call.body.is_discarded()) {
                return respond(200, {{"ok", false}, {"error", "invalid_json"}}, version, keep_alive);
            }
        } else {
            call.body = json::object();
        }

        if (target.starts_with("/response/")) {
            call.method = "response_url";
            record(std::move(call));
            if (auto r = take_canned("response_url")) {
                plan.delay = r->delay;
                plan.hang_up = r->hang_up;
                return respond(*r, version, keep_alive);
            }
            return respond(200, {{"ok", true}}, version, keep_alive);
        }
        if (!target.starts_with("/api/")) {
            return respond(404, {{"ok", false}, {"error", "not_found"}}, version, keep_alive);
        }
        std::string method = target.substr(5);
        if (const auto q = method.find('?'); q != std::string::npos) method.resize(q);
        call.method = method;
        if (const auto wait = rate_limited(method, call.at)) {
            call.status = 429;
            record(std::move(call));
            return respond(429, {{"ok", false}, {"error", "ratelimited"}}, version, keep_alive,
                           {{"Retry-After", std::to_string(*wait)}});
        }
        const std::string authorization = call.authorization;
        const json args = call.body.is_object() ? call.body : json::object();
        record(std::move(call));

        if (auto r = take_canned(method)) {
            plan.delay = r->delay;
            plan.hang_up = r->hang_up;
            if (r->processed) default_response(method, args);
            return respond(*r, version, keep_alive);
        }

        const std::string& expected = method == "apps.connections.open" ? options.app_token : options.bot_token;
        if (authorization.empty()) {
            return respond(200, {{"ok", false}, {"error", "not_authed"}}, version, keep_alive);
        }
        if (authorization != "Bearer " + expected) {
            return respond(200, {{"ok", false}, {"error", "invalid_auth"}}, version, keep_alive);
        }
        return respond(200, default_response(method, args), version, keep_alive);
    }

    // Seconds to wait when `method` is over its limit at `now`; nullopt when the call is accepted (and counted).
    std::optional<long> rate_limited(const std::string& method, std::chrono::steady_clock::time_point now) {
        std::lock_guard lock(mutex);
        auto it = limits.find(method);
        if (it == limits.end()) return std::nullopt;
        auto& l = it->second;
        while (!l.accepted.empty() && now - l.accepted.front() >= l.window) l.accepted.pop_front();
        if (static_cast<int>(l.accepted.size()) < l.calls) {
            l.accepted.push_back(now);
            return std::nullopt;
        }
        const auto left = l.accepted.front() + l.window - now;
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
        return std::max<long>(1, static_cast<long>((us + 999'999) / 1'000'000));
    }

    std::optional<canned_response> take_canned(const std::string& method) {
        std::lock_guard lock(mutex);
        if (auto o = outages.find(method); o != outages.end()) {
            const auto now = std::chrono::steady_clock::now();
            if (!o->second.until) o->second.until = now + o->second.duration;
            if (now < *o->second.until) return o->second.response;
            outages.erase(o);
        }
        auto it = canned.find(method);
        if (it == canned.end() || it->second.empty()) return std::nullopt;
        canned_response r = std::move(it->second.front());
        it->second.pop_front();
        return r;
    }

    void record(recorded_call call) {
        std::lock_guard lock(mutex);
        calls.push_back(std::move(call));
        changed.notify_all();
    }

    // Like Slack's: the posting time in microseconds, unique and increasing.
    std::string new_ts() {
        const long now = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
        last_ts = std::max(last_ts + 1, now);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%ld.%06ld", last_ts / 1000000, last_ts % 1000000);
        return buf;
    }

    static std::string string_arg(const json& args, const char* key) {
        auto it = args.find(key);
        return it != args.end() && it->is_string() ? it->get<std::string>() : std::string{};
    }

    json default_response(const std::string& method, const json& args) {
        std::lock_guard lock(mutex);
        if (method == "apps.connections.open") {
            const int ticket = next_ticket++;
            open_tickets.insert(ticket);
            return {{"ok", true}, {"url", origin(true) + "/link/?ticket=" + std::to_string(ticket)}};
        }
        if (method == "conversations.history") {
            // Newest first, at or after `oldest`; metadata only when asked for.
            const std::string channel = string_arg(args, "channel");
            const double oldest = std::atof(string_arg(args, "oldest").c_str());
            const bool with_metadata = args.contains("include_all_metadata") && args["include_all_metadata"] == true;
            json messages = json::array();
            auto found = history.find(channel);
            if (found != history.end()) {
                for (auto it = found->second.rbegin(); it != found->second.rend(); ++it) {
                    if (std::atof((*it)["ts"].get<std::string>().c_str()) < oldest) continue;
                    json m = *it;
                    if (!with_metadata) m.erase("metadata");
                    messages.push_back(std::move(m));
                }
            }
            return {{"ok", true}, {"messages", messages}, {"has_more", false},
                    {"response_metadata", {{"next_cursor", ""}}}};
        }
        if (method == "auth.test") {
            return {{"ok", true},       {"url", "https://fake.slack.com/"}, {"team", "Fake"},
                    {"user", "promotebot"}, {"team_id", "T00000001"},         {"user_id", "UBOT00001"},
                    {"bot_id", "B00000001"}};
        }
        if (method == "chat.postMessage") {
            const std::string channel = string_arg(args, "channel");
            if (channel.empty()) return {{"ok", false}, {"error", "channel_not_found"}};
            const std::string ts = new_ts();
            json message = {{"type", "message"}, {"user", "UBOT00001"}, {"bot_id", "B00000001"},
                            {"text", string_arg(args, "text")}, {"ts", ts}};
            if (args.contains("blocks")) message["blocks"] = args["blocks"];
            if (args.contains("thread_ts")) message["thread_ts"] = args["thread_ts"];
            if (args.contains("metadata")) message["metadata"] = args["metadata"];
            history[channel].push_back(message);
            return {{"ok", true}, {"channel", channel}, {"ts", ts}, {"message", message}};
        }
        if (method == "chat.update") {
            const std::string channel = string_arg(args, "channel");
            const std::string ts = string_arg(args, "ts");
            if (channel.empty()) return {{"ok", false}, {"error", "channel_not_found"}};
            if (ts.empty()) return {{"ok", false}, {"error", "message_not_found"}};
            if (auto found = history.find(channel); found != history.end()) {
                for (auto& m : found->second) {
                    if (m.value("ts", "") != ts) continue;
                    m["text"] = string_arg(args, "text");
                    if (args.contains("blocks")) m["blocks"] = args["blocks"];
                    else m.erase("blocks");
                    m["edited"] = {{"user", "UBOT00001"}, {"ts", new_ts()}};
                }
            }
            return {{"ok", true}, {"channel", channel}, {"ts", ts}, {"text", string_arg(args, "text")}};
        }
        if (method == "chat.postEphemeral") {
            if (string_arg(args, "channel").empty()) return {{"ok", false}, {"error", "channel_not_found"}};
            if (string_arg(args, "user").empty()) return {{"ok", false}, {"error", "user_not_in_channel"}};
            return {{"ok", true}, {"message_ts", new_ts()}};
        }
        if (method == "views.open") {
            // Slack's trigger: once, within its lifetime; anything else is "expired".
            const std::string trigger = string_arg(args, "trigger_id");
            const auto issued = triggers.find(trigger);
            if (issued == triggers.end()) return {{"ok", false}, {"error", "expired_trigger_id"}};
            const bool fresh = std::chrono::steady_clock::now() - issued->second < options.trigger_lifetime;
            used_triggers.insert(trigger);
            triggers.erase(issued);
            if (!fresh) return {{"ok", false}, {"error", "expired_trigger_id"}};
            const json sent = args.contains("view") ? args["view"] : json();
            if (!sent.is_object() || sent.value("type", "") != "modal")
                return {{"ok", false}, {"error", "invalid_arguments"}};
            char id[16];
            std::snprintf(id, sizeof id, "V%08d", next_view++);
            json view = sent;
            view["id"] = id;
            view["team_id"] = "T00000001";
            view["app_id"] = "A000";
            view["bot_id"] = "B00000001";
            view["root_view_id"] = id;
            view["previous_view_id"] = nullptr;
            view["hash"] = std::to_string(last_ts) + "." + std::to_string(next_view);
            view["state"] = {{"values", json::object()}};
            for (const char* key : {"callback_id", "private_metadata", "external_id"})
                if (!view.contains(key)) view[key] = "";
            for (const char* key : {"clear_on_close", "notify_on_close"})
                if (!view.contains(key)) view[key] = false;
            views[id] = view;
            return {{"ok", true}, {"view", view}};
        }
        if (method == "views.update" || method == "views.publish") {
            json view = args.contains("view") ? args["view"] : json::object();
            if (!view.is_object()) return {{"ok", false}, {"error", "invalid_arguments"}};
            if (method == "views.publish") {
                const auto blocks = view.find("blocks");
                if (string_arg(args, "user_id").empty() || view.value("type", json()) != "home" ||
                    blocks == view.end() || !blocks->is_array() || blocks->size() > 100)
                    return {{"ok", false}, {"error", "invalid_arguments"}};
            }
            char id[16];
            std::snprintf(id, sizeof id, "V%08d", next_view++);
            view["id"] = id;
            return {{"ok", true}, {"view", view}};
        }
        if (method == "usergroups.users.list") {
            auto it = usergroups.find(string_arg(args, "usergroup"));
            if (it == usergroups.end()) return {{"ok", false}, {"error", "no_such_subteam"}};
            return {{"ok", true}, {"users", it->second}};
        }
        if (method == "users.info") {
            const std::string user = string_arg(args, "user");
            if (user.empty()) return {{"ok", false}, {"error", "user_not_found"}};
            return {{"ok", true},
                    {"user",
                     {{"id", user},
                      {"team_id", "T00000001"},
                      {"name", "user-" + user},
                      {"real_name", "User " + user},
                      {"tz", "Europe/Berlin"},
                      {"is_bot", false},
                      {"deleted", false},
                      {"profile", {{"display_name", "user-" + user}, {"real_name", "User " + user}}}}}};
        }
        return {{"ok", false}, {"error", "unknown_method"}};
    }

    // --- Sessions -------------------------------------------------------------

    template <class Stream>
    struct link final : link_base {
        websocket::stream<Stream> ws;
        std::deque<outgoing> queue;
        std::string in_flight;
        bool writing = false;
        bool silent = false;
        bool stopped = false;

        explicit link(Stream&& s) : ws(std::move(s)) {}

        void enqueue(outgoing frame) override {
            if (silent || stopped) return;
            queue.push_back(std::move(frame));
            if (!writing) write_next();
        }

        void write_next() {
            if (queue.empty() || silent || stopped) {
                writing = false;
                return;
            }
            writing = true;
            outgoing frame = std::move(queue.front());
            queue.pop_front();
            auto self = std::static_pointer_cast<link>(shared_from_this());
            auto next = [self](beast::error_code ec, auto&&...) {
                if (ec) {
                    self->writing = false;
                    return;
                }
                self->write_next();
            };
            switch (frame.what) {
                case outgoing::kind::text:
                    in_flight = std::move(frame.text);
                    ws.text(true);
                    ws.async_write(asio::buffer(in_flight), next);
                    break;
                case outgoing::kind::binary:
                    in_flight = std::move(frame.text);
                    ws.binary(true);
                    ws.async_write(asio::buffer(in_flight), next);
                    break;
                case outgoing::kind::ping:
                    ws.async_ping({}, next);
                    break;
                case outgoing::kind::close:
                    ws.async_close(websocket::close_code::normal, next);
                    break;
            }
        }

        void silence() override {
            silent = true;
            queue.clear();
            // Cancelling leaves the socket open; Beast marks the stream failed
            // and never writes again, so pings go unanswered.
            beast::error_code ignored;
            beast::get_lowest_layer(ws).socket().cancel(ignored);
        }

        void drop() override {
            stopped = true;
            queue.clear();
            beast::error_code ignored;
            auto& sock = beast::get_lowest_layer(ws).socket();
            sock.shutdown(tcp::socket::shutdown_both, ignored);
            sock.close(ignored);
        }
    };

    std::shared_ptr<link_base> links_shared(int id) {
        auto it = links.find(id);
        return it == links.end() ? nullptr : it->second;
    }

    json hello(std::size_t live_count) const {
        return {{"type", "hello"},
                {"num_connections", live_count},
                {"debug_info", {{"host", "fake"}, {"approximate_connection_time", 18060}}},
                {"connection_info", {{"app_id", "A000"}}}};
    }

    template <class Stream>
    asio::awaitable<void> run_link(Stream stream, http::request<http::string_body> req) {
        const std::string target(req.target());
        int ticket = 0;
        bool valid = false;
        if (target.starts_with("/link/?ticket=")) {
            ticket = std::atoi(target.c_str() + 14);
            std::lock_guard lock(mutex);
            valid = open_tickets.erase(ticket) == 1;
        }
        if (!valid) {
            auto res = respond(401, {{"ok", false}, {"error", "invalid_ticket"}}, req.version(), false);
            beast::error_code ec;
            co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
            beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
            co_return;
        }

        beast::get_lowest_layer(stream).expires_never();
        auto l = std::make_shared<link<Stream>>(std::move(stream));
        l->ws.set_option(websocket::stream_base::timeout{std::chrono::seconds(30), websocket::stream_base::none(),
                                                         false});
        beast::error_code ec;
        co_await l->ws.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;

        std::size_t live_count = 0;
        {
            std::lock_guard lock(mutex);
            l->id = ++links_opened;
            live.push_back(l->id);
            live_count = live.size();
            changed.notify_all();
        }
        links[l->id] = l;
        l->enqueue({outgoing::kind::text, hello(live_count).dump()});
        if (options.server_ping_interval.count() > 0) {
            asio::co_spawn(ioc, ping_loop(l), asio::detached);
        }

        beast::flat_buffer buf;
        for (;;) {
            co_await l->ws.async_read(buf, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            const std::string text = beast::buffers_to_string(buf.data());
            buf.consume(buf.size());
            if (l->silent) break;
            json frame = json::parse(text, nullptr, false);
            if (frame.is_object() && frame.contains("envelope_id") && frame["envelope_id"].is_string()) {
                recorded_ack ack;
                ack.connection = l->id;
                ack.envelope_id = frame["envelope_id"].get<std::string>();
                ack.payload = frame.contains("payload") ? frame["payload"] : json();
                std::lock_guard lock(mutex);
                acks.push_back(std::move(ack));
                changed.notify_all();
            }
        }
        if (l->silent) {
            // A silent link keeps its TCP connection open until the fake stops.
            link_gone(l->id, false);
            co_return;
        }
        link_gone(l->id, ec == websocket::error::closed);
        l->stopped = true;
        links.erase(l->id);
    }

    template <class Link>
    asio::awaitable<void> ping_loop(std::shared_ptr<Link> l) {
        asio::steady_timer timer(ioc);
        while (!l->silent && !l->stopped) {
            timer.expires_after(options.server_ping_interval);
            beast::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            l->enqueue({outgoing::kind::ping, {}});
        }
    }

    template <class Stream>
    asio::awaitable<void> session(Stream stream) {
        beast::error_code ec;
        if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
            co_await stream.async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
        }
        beast::flat_buffer buf;
        for (;;) {
            beast::get_lowest_layer(stream).expires_never();
            http::request_parser<http::string_body> parser;
            parser.body_limit(4 * 1024 * 1024);
            co_await http::async_read(stream, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            http::request<http::string_body> req = parser.release();
            if (websocket::is_upgrade(req)) {
                {
                    std::lock_guard lock(mutex);
                    websocket_hosts.emplace_back(req[http::field::host]);
                }
                co_await run_link(std::move(stream), std::move(req));
                co_return;
            }
            delivery_plan plan;
            auto res = handle(req, plan);
            if (plan.hang_up) break;
            if (plan.delay.count() > 0) {
                asio::steady_timer late(ioc, plan.delay);
                co_await late.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
            co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
            if (ec || !res.keep_alive()) break;
        }
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            beast::error_code ec;
            tcp::socket socket = co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
            if (ec) continue;
            socket.set_option(tcp::no_delay(true), ec);
            {
                std::lock_guard lock(mutex);
                ++tcp_accepted;
            }
            if (tls) {
                asio::co_spawn(ioc, session(beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls)),
                               asio::detached);
            } else {
                asio::co_spawn(ioc, session(beast::tcp_stream(std::move(socket))), asio::detached);
            }
        }
    }

    // Under the mutex.
    std::string issue_trigger(std::chrono::milliseconds age) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string id = std::to_string(1000000000 + next_trigger++) + "." + std::to_string(last_ts / 1000000 + 1) + ".";
        for (int i = 0; i < 32; ++i) id += digits[rng() % 16];
        triggers[id] = std::chrono::steady_clock::now() - age;
        return id;
    }

    // Under the mutex: a trigger an envelope carries counts as issued when it is sent.
    void note_trigger(json& payload, const std::string& type, int retry_attempt) {
        if ((type != "slash_commands" && type != "interactive") || !payload.is_object()) return;
        auto it = payload.find("trigger_id");
        if (it == payload.end()) {
            if (type == "slash_commands" && retry_attempt == 0) payload["trigger_id"] = issue_trigger({});
            return;
        }
        if (!it->is_string()) return;
        const std::string trigger = it->get<std::string>();
        if (!triggers.count(trigger) && !used_triggers.count(trigger)) triggers[trigger] = std::chrono::steady_clock::now();
    }

    template <class Pred>
    bool wait(std::chrono::milliseconds timeout, Pred pred) const {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, pred);
    }
};

fake_slack::fake_slack(fake_slack_options options) : impl_(std::make_unique<impl>(std::move(options))) {
    auto& s = *impl_;
    if (s.options.tls) {
        const test_certificate cert = make_test_certificate();
        std::string path = (std::filesystem::temp_directory_path() / "fake_slack_ca_XXXXXX.pem").string();
        const int fd = ::mkstemps(path.data(), 4);
        if (fd < 0) throw std::runtime_error("fake_slack: cannot create a temporary CA file");
        ::close(fd);
        std::ofstream(path, std::ios::binary | std::ios::trunc) << cert.ca_cert_pem;
        s.ca_path = path;
        s.tls = std::make_unique<ssl::context>(ssl::context::tls_server);
        s.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                           ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
        s.tls->use_certificate_chain(asio::buffer(cert.server_cert_pem));
        s.tls->use_private_key(asio::buffer(cert.server_key_pem), ssl::context::pem);
    }
    s.acceptor.emplace(s.ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    s.port = s.acceptor->local_endpoint().port();
    asio::co_spawn(s.ioc, s.accept_loop(), asio::detached);
    s.thread = std::thread([&s] {
        // A failing handler must not take the test process down with it.
        for (;;) {
            try {
                s.ioc.run();
                return;
            } catch (const std::exception&) {
            }
        }
    });
}

fake_slack::~fake_slack() {
    auto& s = *impl_;
    asio::post(s.ioc, [&s] {
        beast::error_code ignored;
        s.acceptor->close(ignored);
        s.ioc.stop();
    });
    s.thread.join();
    s.links.clear();
    s.acceptor.reset();
    if (!s.ca_path.empty()) {
        std::error_code ignored;
        std::filesystem::remove(s.ca_path, ignored);
    }
}

std::string fake_slack::api_url() const { return impl_->origin() + "/api/"; }
std::string fake_slack::ca_file() const { return impl_->ca_path; }
const fake_slack_options& fake_slack::options() const { return impl_->options; }

std::vector<int> fake_slack::connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->live;
}

int fake_slack::connections_opened() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->links_opened;
}

int fake_slack::tcp_connections_accepted() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->tcp_accepted;
}

bool fake_slack::wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const {
    return impl_->wait(timeout, [&] { return impl_->live.size() >= n; });
}

std::string fake_slack::send_envelope(const std::string& type, const nlohmann::json& payload,
                                      bool accepts_response_payload, std::optional<int> connection,
                                      int retry_attempt, const std::string& retry_reason) {
    json envelope;
    int target = 0;
    {
        std::lock_guard lock(impl_->mutex);
        json sent = payload;
        impl_->note_trigger(sent, type, retry_attempt);
        envelope = {{"envelope_id", random_envelope_id(impl_->rng)},
                    {"type", type},
                    {"payload", std::move(sent)},
                    {"accepts_response_payload", accepts_response_payload}};
        if (retry_attempt > 0) {
            envelope["retry_attempt"] = retry_attempt;
            envelope["retry_reason"] = retry_reason;
        }
        if (connection) {
            target = *connection;
        } else {
            if (impl_->live.empty()) throw std::logic_error("fake_slack: no live Socket Mode link to send to");
            target = impl_->live[impl_->round_robin++ % impl_->live.size()];
        }
        impl_->sent_envelopes.push_back(envelope);
    }
    const std::string text = envelope.dump();
    send_text(target, text);
    return envelope["envelope_id"].get<std::string>();
}

void fake_slack::send_text(int connection, const std::string& text) {
    impl_->run_on_io([&] {
        if (auto l = impl_->links_shared(connection)) l->enqueue({outgoing::kind::text, text});
    });
}

void fake_slack::send_binary(int connection, const std::string& bytes) {
    impl_->run_on_io([&] {
        if (auto l = impl_->links_shared(connection)) l->enqueue({outgoing::kind::binary, bytes});
    });
}

std::size_t fake_slack::redeliver_unacked(std::optional<int> connection) {
    std::vector<std::pair<int, std::string>> frames;
    {
        std::lock_guard lock(impl_->mutex);
        std::set<std::string> acked;
        for (const auto& a : impl_->acks) acked.insert(a.envelope_id);
        for (auto& e : impl_->sent_envelopes) {
            if (acked.count(e["envelope_id"].get<std::string>())) continue;
            e["retry_attempt"] = e.value("retry_attempt", 0) + 1;
            e["retry_reason"] = "timeout";
            int target = 0;
            if (connection) {
                target = *connection;
            } else {
                if (impl_->live.empty()) throw std::logic_error("fake_slack: no live Socket Mode link to send to");
                target = impl_->live[impl_->round_robin++ % impl_->live.size()];
            }
            frames.emplace_back(target, e.dump());
        }
    }
    for (const auto& [target, text] : frames) send_text(target, text);
    return frames.size();
}

std::vector<std::string> fake_slack::unacked_envelopes() const {
    std::lock_guard lock(impl_->mutex);
    std::set<std::string> acked;
    for (const auto& a : impl_->acks) acked.insert(a.envelope_id);
    std::vector<std::string> out;
    for (const auto& e : impl_->sent_envelopes) {
        auto id = e["envelope_id"].get<std::string>();
        if (!acked.count(id)) out.push_back(std::move(id));
    }
    return out;
}

void fake_slack::send_disconnect(int connection, const std::string& reason) {
    const json frame = {{"type", "disconnect"}, {"reason", reason}, {"debug_info", {{"host", "fake"}}}};
    impl_->run_on_io([&] {
        auto l = impl_->links_shared(connection);
        if (!l) return;
        l->enqueue({outgoing::kind::text, frame.dump()});
        if (reason == "link_disabled") l->enqueue({outgoing::kind::close, {}});
    });
}

void fake_slack::send_ping(int connection) {
    impl_->run_on_io([&] {
        if (auto l = impl_->links_shared(connection)) l->enqueue({outgoing::kind::ping, {}});
    });
}

void fake_slack::go_silent(int connection) {
    impl_->run_on_io([&] {
        if (auto l = impl_->links_shared(connection)) l->silence();
    });
    impl_->link_gone(connection, false);
}

void fake_slack::drop(int connection) {
    impl_->run_on_io([&] {
        if (auto l = impl_->links_shared(connection)) l->drop();
    });
    impl_->link_gone(connection, false);
}

bool fake_slack::closed_cleanly(int connection) const {
    std::lock_guard lock(impl_->mutex);
    return impl_->clean_closes.count(connection) > 0;
}

std::vector<std::string> fake_slack::websocket_hosts() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->websocket_hosts;
}

bool fake_slack::wait_for_clean_close(int connection, std::chrono::milliseconds timeout) const {
    return impl_->wait(timeout, [&] { return impl_->clean_closes.count(connection) > 0; });
}

std::vector<recorded_ack> fake_slack::acks() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->acks;
}

bool fake_slack::wait_for_acks(std::size_t n, std::chrono::milliseconds timeout) const {
    return impl_->wait(timeout, [&] { return impl_->acks.size() >= n; });
}

std::vector<nlohmann::json> fake_slack::channel_history(const std::string& channel) const {
    std::lock_guard lock(impl_->mutex);
    auto found = impl_->history.find(channel);
    return found == impl_->history.end() ? std::vector<nlohmann::json>{} : found->second;
}

std::string fake_slack::issue_trigger(std::chrono::milliseconds age) {
    std::lock_guard lock(impl_->mutex);
    return impl_->issue_trigger(age);
}

nlohmann::json fake_slack::view(const std::string& view_id) const {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->views.find(view_id);
    return it == impl_->views.end() ? json() : it->second;
}

std::string fake_slack::submit_view(const std::string& view_id, const std::string& user,
                                    const std::map<std::string, std::string>& values, std::optional<int> connection) {
    json view = this->view(view_id);
    if (view.is_null()) throw std::logic_error("fake_slack: no view " + view_id + " was opened");
    json state = json::object();
    std::set<std::string> known;
    for (const auto& block : view.value("blocks", json::array())) {
        if (block.value("type", "") != "input") continue;
        const std::string block_id = block.value("block_id", "");
        const json& el = block.at("element");
        const std::string type = el.value("type", "");
        const auto given = values.find(block_id);
        known.insert(block_id);
        json entry = {{"type", type}};
        if (type == "radio_buttons" || type == "static_select") {
            json chosen = nullptr;
            if (given != values.end()) {
                for (const auto& option : el.at("options"))
                    if (option.at("value") == given->second) chosen = option;
                if (chosen.is_null())
                    throw std::logic_error("fake_slack: " + block_id + " offers no option " + given->second);
            }
            // Untouched, the input still holds what the view pre-selected, as in Slack.
            if (given == values.end() && el.contains("initial_option")) chosen = el["initial_option"];
            entry["selected_option"] = chosen;
        } else if (given != values.end()) {
            entry["value"] = given->second;
        } else {
            // Untouched, a text input submits its initial value (null when it had none), as in Slack.
            entry["value"] = el.contains("initial_value") ? el["initial_value"] : json(nullptr);
        }
        state[block_id] = {{el.value("action_id", ""), std::move(entry)}};
    }
    for (const auto& [block_id, value] : values)
        if (!known.count(block_id)) throw std::logic_error("fake_slack: view " + view_id + " has no input " + block_id);
    view["state"] = {{"values", std::move(state)}};
    std::string trigger;
    {
        std::lock_guard lock(impl_->mutex);
        trigger = impl_->issue_trigger({});
    }
    const json payload = {{"type", "view_submission"},
                          {"team", {{"id", "T00000001"}, {"domain", "fake"}}},
                          {"user", {{"id", user}, {"username", "user-" + user}, {"name", "user-" + user},
                                    {"team_id", "T00000001"}}},
                          {"api_app_id", "A000"},
                          {"token", "unused-verification-token"},
                          {"trigger_id", trigger},
                          {"view", std::move(view)},
                          {"response_urls", json::array()},
                          {"is_enterprise_install", false},
                          {"enterprise", nullptr}};
    return send_envelope("interactive", payload, true, connection);
}

std::string fake_slack::open_app_home(const std::string& user, const std::string& tab, std::optional<int> connection) {
    std::string event_id;
    std::string event_ts;
    {
        std::lock_guard lock(impl_->mutex);
        event_id = "Ev" + std::to_string(1000000 + impl_->next_event++);
        event_ts = impl_->new_ts();
    }
    const json payload = {{"token", "unused-verification-token"},
                          {"team_id", "T00000001"},
                          {"api_app_id", "A000"},
                          {"event",
                           {{"type", "app_home_opened"},
                            {"user", user},
                            {"channel", "D0APPHOME1"},
                            {"tab", tab},
                            {"event_ts", event_ts}}},
                          {"type", "event_callback"},
                          {"event_id", event_id},
                          {"event_time", std::stoll(event_ts.substr(0, event_ts.find('.')))},
                          {"authorizations", json::array()},
                          {"is_ext_shared_channel", false}};
    return send_envelope("events_api", payload, false, connection);
}

void fake_slack::fail_for(const std::string& method, std::chrono::milliseconds duration, canned_response r) {
    std::lock_guard lock(impl_->mutex);
    impl_->outages[method] = impl::outage{duration, std::move(r), std::nullopt};
}

void fake_slack::rate_limit(const std::string& method, int calls, std::chrono::milliseconds window) {
    std::lock_guard lock(impl_->mutex);
    impl_->limits[method] = impl::limit{calls, window, {}};
}

void fake_slack::queue_response(const std::string& method, canned_response r) {
    std::lock_guard lock(impl_->mutex);
    impl_->canned[method].push_back(std::move(r));
}

void fake_slack::set_usergroup(const std::string& group_id, std::vector<std::string> users) {
    std::lock_guard lock(impl_->mutex);
    impl_->usergroups[group_id] = std::move(users);
}

std::string fake_slack::make_response_url() {
    std::lock_guard lock(impl_->mutex);
    return impl_->origin() + "/response/" + std::to_string(impl_->next_response_url++);
}

std::vector<recorded_call> fake_slack::calls(const std::string& method) const {
    std::lock_guard lock(impl_->mutex);
    if (method.empty()) return impl_->calls;
    std::vector<recorded_call> out;
    for (const auto& c : impl_->calls) {
        if (c.method == method) out.push_back(c);
    }
    return out;
}

bool fake_slack::wait_for_calls(const std::string& method, std::size_t n, std::chrono::milliseconds timeout) const {
    return impl_->wait(timeout, [&] {
        std::size_t count = 0;
        for (const auto& c : impl_->calls) {
            if (method.empty() || c.method == method) ++count;
        }
        return count >= n;
    });
}

void fake_slack::clear_calls() {
    std::lock_guard lock(impl_->mutex);
    impl_->calls.clear();
}

}  // namespace promotebot::testing
