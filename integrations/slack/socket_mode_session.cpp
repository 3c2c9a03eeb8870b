#include "integrations/slack/socket_mode_session.hpp"

#include <algorithm>
#include <array>

#include "integrations/net/backoff.hpp"
#include "integrations/net/bounded_json.hpp"

namespace promotebot::slack {

namespace {

// Slack's frames are small and shallow; anything deeper is not Slack.
const net::json_limits frame_limits{64, 4 * 1024 * 1024};

constexpr int log_debug = 1;
constexpr int log_info = 2;
constexpr int log_warn = 3;
constexpr int log_error = 4;

std::string link_name(link_id id) { return "link " + std::to_string(id); }

long long seconds_between(steady_time from, steady_time to) {
    return std::chrono::duration_cast<std::chrono::seconds>(to - from).count();
}

// The payload's own identity: Slack's retry of an unacked envelope carries a
// new envelope_id but the same event_id / trigger_id.
std::string payload_identity(const envelope& env) {
    const auto& p = env.payload;
    if (!p.is_object()) return {};
    auto text = [&](const char* key) -> std::string {
        auto it = p.find(key);
        return it != p.end() && it->is_string() ? it->get<std::string>() : std::string{};
    };
    if (auto id = text("event_id"); !id.empty()) return "event:" + id;
    if (auto id = text("trigger_id"); !id.empty()) return "trigger:" + id;
    return {};
}

// Checked accessors: an absent field keeps its default; a field of another
// type is a frame we do not understand, named in `problem`. Nothing throws.
bool read_string(const nlohmann::json& obj, const char* key, std::string& out, std::string& problem) {
    auto it = obj.find(key);
    if (it == obj.end()) return true;
    if (!it->is_string()) {
        problem = std::string{"'"} + key + "' is not a string";
        return false;
    }
    out = it->get_ref<const std::string&>();
    return true;
}

bool read_bool(const nlohmann::json& obj, const char* key, bool& out, std::string& problem) {
    auto it = obj.find(key);
    if (it == obj.end()) return true;
    if (!it->is_boolean()) {
        problem = std::string{"'"} + key + "' is not a boolean";
        return false;
    }
    out = it->get<bool>();
    return true;
}

bool read_count(const nlohmann::json& obj, const char* key, int& out, std::string& problem) {
    auto it = obj.find(key);
    if (it == obj.end()) return true;
    if (it->is_number_unsigned() && it->get<std::uint64_t>() <= 1'000'000) {
        out = static_cast<int>(it->get<std::uint64_t>());
        return true;
    }
    if (it->is_number_integer() && !it->is_number_unsigned() && it->get<std::int64_t>() >= 0 &&
        it->get<std::int64_t>() <= 1'000'000) {
        out = static_cast<int>(it->get<std::int64_t>());
        return true;
    }
    problem = std::string{"'"} + key + "' is not a count";
    return false;
}

// An envelope's fields, type-checked; nullopt (and `problem`) for one we cannot understand.
std::optional<envelope> decode_envelope(const nlohmann::json& frame, link_id id, std::string& problem) {
    envelope env;
    env.link = id;
    auto it = frame.find("envelope_id");
    if (it == frame.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
        problem = "'envelope_id' is not a non-empty string";
        return std::nullopt;
    }
    env.envelope_id = it->get_ref<const std::string&>();
    if (!read_string(frame, "type", env.type, problem) ||
        !read_bool(frame, "accepts_response_payload", env.accepts_response_payload, problem) ||
        !read_count(frame, "retry_attempt", env.retry_attempt, problem) ||
        !read_string(frame, "retry_reason", env.retry_reason, problem))
        return std::nullopt;
    auto payload = frame.find("payload");
    if (payload == frame.end()) {
        env.payload = nlohmann::json::object();
    } else if (payload->is_object()) {
        env.payload = *payload;
    } else {
        problem = "'payload' is not an object";
        return std::nullopt;
    }
    return env;
}

}  // namespace

socket_mode_session::socket_mode_session(socket_mode_options options, ack_responder responder)
    : options_(std::move(options)),
      responder_(std::move(responder)),
      metrics_(options_.metrics ? options_.metrics : &bot::no_metrics()),
      random_(options_.random_seed) {
    options_.connections = std::clamp(options_.connections, 1, 10);
}

actions socket_mode_session::on_start(steady_time now) {
    actions out;
    if (started_) return out;
    started_ = true;
    out.push_back(action::log{log_info, "opening " + std::to_string(options_.connections) +
                                            " Socket Mode connection(s)"});
    top_up(now, out);
    return out;
}

int socket_mode_session::active_links() const {
    int n = 0;
    for (const auto& [id, l] : links_) {
        if (l.state == link_state::opening || l.state == link_state::awaiting_hello || l.state == link_state::up) ++n;
    }
    return n;
}

int socket_mode_session::links_up() const {
    int n = 0;
    for (const auto& [id, l] : links_) {
        if (l.state == link_state::up || l.state == link_state::retiring) ++n;
    }
    return n;
}

std::optional<socket_mode_session::link_state> socket_mode_session::state_of(link_id id) const {
    auto it = links_.find(id);
    if (it == links_.end()) return std::nullopt;
    return it->second.state;
}

std::chrono::milliseconds socket_mode_session::backoff_delay() {
    return net::backoff_delay({options_.backoff_base, options_.backoff_max}, consecutive_failures_, random_);
}

void socket_mode_session::top_up(steady_time now, actions& out) {
    if (stopping_) return;
    const int missing = options_.connections - active_links() - pending_opens_;
    for (int i = 0; i < missing; ++i) schedule_open(now, out);
}

void socket_mode_session::schedule_open(steady_time now, actions& out) {
    if (now < open_not_before_) {
        ++pending_opens_;
        return;
    }
    const link_id id = next_id_++;
    link l;
    if (!retiring_without_replacement_.empty()) {
        l.replaces = retiring_without_replacement_.front();
        retiring_without_replacement_.erase(retiring_without_replacement_.begin());
    }
    links_.emplace(id, l);
    out.push_back(action::open_link{id});
}

actions socket_mode_session::on_link_opened(link_id id, steady_time now) {
    actions out;
    auto it = links_.find(id);
    if (it == links_.end()) return out;
    if (stopping_) {
        it->second.state = link_state::closing;
        out.push_back(action::close_link{id, true});
        return out;
    }
    it->second.state = link_state::awaiting_hello;
    it->second.opened_at = now;
    it->second.last_heard = now;
    it->second.next_ping = now + options_.ping_interval;
    return out;
}

actions socket_mode_session::on_open_failed(link_id id, const open_failure& failure, steady_time now) {
    actions out;
    auto it = links_.find(id);
    if (it == links_.end()) return out;
    if (it->second.replaces && links_.count(*it->second.replaces))
        retiring_without_replacement_.push_back(*it->second.replaces);
    links_.erase(it);
    if (stopping_) {
        maybe_stopped(out);
        return out;
    }
    ++consecutive_failures_;
    auto delay = backoff_delay();
    switch (failure.what) {
    case open_failure::kind::fatal_auth:
        go_fatal(failure.detail, "Slack refused the app token (" + failure.detail +
                                     "): check SLACK_APP_TOKEN (an xapp- token with connections:write)",
                 out);
        return out;
    case open_failure::kind::rate_limited: {
        count_reconnect(bot::reconnect_reason::rate_limited);
        auto wait = std::max<std::chrono::milliseconds>(delay, failure.retry_after);
        out.push_back(action::log{log_warn, "apps.connections.open is rate limited; next attempt in " +
                                                std::to_string(wait.count()) + " ms"});
        delay = wait;
        break;
    }
    case open_failure::kind::other_error:
        count_reconnect(bot::reconnect_reason::open_failed);
        out.push_back(action::log{log_error, "apps.connections.open failed: " + failure.detail + "; next attempt in " +
                                                 std::to_string(delay.count()) + " ms"});
        break;
    case open_failure::kind::transient:
        count_reconnect(bot::reconnect_reason::open_failed);
        out.push_back(action::log{log_warn, "opening " + link_name(id) + " failed: " + failure.detail +
                                                "; next attempt in " + std::to_string(delay.count()) + " ms"});
        break;
    }
    open_not_before_ = std::max(open_not_before_, now + delay);
    top_up(now, out);
    return out;
}

actions socket_mode_session::on_frame(link_id id, std::string_view text, steady_time now) {
    actions out;
    auto it = links_.find(id);
    if (it == links_.end() || it->second.state == link_state::closing) return out;
    auto& l = it->second;
    l.last_heard = now;

    // A frame we cannot understand is logged once and dropped; the link stays.
    auto dropped = [&](const std::string& why) {
        out.push_back(action::log{log_warn, link_name(id) + " sent a frame that " + why + "; dropped"});
    };
    const auto parsed = net::parse_bounded(text, frame_limits);
    if (!parsed.ok()) {
        dropped("is " + parsed.why(frame_limits));
        return out;
    }
    const auto& frame = parsed.value;
    if (!frame.is_object()) {
        dropped("is not a JSON object");
        return out;
    }
    std::string problem;
    std::string type;
    if (!read_string(frame, "type", type, problem)) {
        dropped("cannot be understood (" + problem + ")");
        return out;
    }
    if (type == "hello") {
        if (l.state == link_state::awaiting_hello || l.state == link_state::opening) {
            l.state = link_state::up;
            l.next_ping = now + options_.ping_interval;
            consecutive_failures_ = 0;
            open_not_before_ = std::min(open_not_before_, now);
            // Only for the log: a count of another type does not hold the link back.
            int reported = -1;
            const bool counted = read_count(frame, "num_connections", reported, problem) && reported >= 0;
            out.push_back(action::log{log_info, link_name(id) + " is up (Slack reports " +
                                                    (counted ? std::to_string(reported) : std::string{"?"}) +
                                                    " connection(s))"});
            // Make before break: the link this one replaces may close now.
            if (l.replaces) {
                auto old = links_.find(*l.replaces);
                if (old != links_.end() && old->second.state == link_state::retiring) {
                    old->second.state = link_state::closing;
                    out.push_back(action::close_link{old->first, true});
                }
                l.replaces.reset();
            }
        }
        return out;
    }
    if (type == "disconnect") {
        std::string reason;
        if (!read_string(frame, "reason", reason, problem)) {
            dropped("cannot be understood (" + problem + ")");
            return out;
        }
        if (reason == "link_disabled") {
            go_fatal("link_disabled",
                     "Slack disabled Socket Mode for this app (disconnect: link_disabled); not reconnecting. "
                     "Enable Socket Mode in the app's settings, then restart promotebot.",
                     out);
            return out;
        }
        // Slack's reason is echoed, bounded, in the log.
        if (reason.size() > 64) reason = reason.substr(0, 64) + "...";
        out.push_back(action::log{log_info, link_name(id) + " asked to reconnect (" +
                                                (reason.empty() ? std::string{"no reason"} : reason) +
                                                "); opening its replacement first"});
        count_reconnect(bot::reconnect_reason::slack_disconnect);
        retire(id, now, out);
        return out;
    }
    if (frame.contains("envelope_id")) {
        auto env = decode_envelope(frame, id, problem);
        if (!env) {
            dropped("is an envelope that cannot be understood (" + problem + ")");
            return out;
        }
        handle_envelope(id, std::move(*env), now, out);
        return out;
    }
    if (type.size() > 64) type = type.substr(0, 64) + "...";
    out.push_back(action::log{log_debug, link_name(id) + " sent an unhandled frame of type '" + type + "'"});
    return out;
}

void socket_mode_session::handle_envelope(link_id id, envelope env, steady_time now, actions& out) {
    const auto type = bot::envelope_type_of(env.type);
    metrics_->envelope_received(type);
    if (stopping_) {
        // Not acked: Slack redelivers it on another connection or replica.
        out.push_back(action::log{log_info, "stopping: envelope " + env.envelope_id + " left for redelivery"});
        return;
    }

    const std::string envelope_key = "envelope:" + env.envelope_id;
    const std::string identity = payload_identity(env);
    const bool duplicate_envelope = seen(envelope_key, now);
    const bool duplicate_identity = !identity.empty() && seen(identity, now);

    nlohmann::json ack{{"envelope_id", env.envelope_id}};
    // Strings came from the parser, so they are valid UTF-8; a responder's
    // text cut mid-character must not throw here either.
    auto ack_text = [&ack] { return ack.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
    if (duplicate_envelope || duplicate_identity) {
        // Ack again (the first ack may be what was lost) with the same answer, but never run twice.
        const auto* cached = cached_ack(duplicate_identity ? identity : envelope_key);
        if (cached && *cached) ack["payload"] = **cached;
        out.push_back(action::send_text{id, ack_text(), type, now});
        ++duplicates_;
        out.push_back(action::log{log_info, "envelope " + env.envelope_id + " is a redelivery (retry " +
                                                std::to_string(env.retry_attempt) +
                                                (env.retry_reason.empty() ? "" : ", " + env.retry_reason) +
                                                "); acked, not handled again"});
        return;
    }

    std::optional<nlohmann::json> payload;
    if (env.accepts_response_payload && responder_) {
        try {
            payload = responder_(env);
        } catch (const std::exception& e) {
            out.push_back(action::log{log_error, std::string{"ack responder failed: "} + e.what()});
        }
    }
    if (payload) ack["payload"] = *payload;
    seen_[envelope_key] = payload;
    if (!identity.empty()) seen_[identity] = payload;
    out.push_back(action::send_text{id, ack_text(), type, now});
    ++delivered_;
    out.push_back(action::deliver{std::move(env)});
}

bool socket_mode_session::seen(const std::string& key, steady_time now) {
    while (!seen_order_.empty() &&
           (seen_order_.front().at + options_.dedupe_ttl < now || seen_order_.size() > options_.dedupe_capacity)) {
        seen_.erase(seen_order_.front().key);
        seen_order_.pop_front();
    }
    if (seen_.count(key)) return true;
    seen_.emplace(key, std::nullopt);
    seen_order_.push_back({key, now});
    return false;
}

std::optional<nlohmann::json>* socket_mode_session::cached_ack(const std::string& key) {
    auto it = seen_.find(key);
    return it == seen_.end() ? nullptr : &it->second;
}

void socket_mode_session::retire(link_id id, steady_time now, actions& out) {
    auto it = links_.find(id);
    if (it == links_.end() || it->second.state == link_state::retiring || it->second.state == link_state::closing)
        return;
    it->second.state = link_state::retiring;
    retiring_without_replacement_.push_back(id);
    top_up(now, out);
}

void socket_mode_session::kill(link_id id, std::string_view why, steady_time now, actions& out) {
    auto it = links_.find(id);
    if (it == links_.end() || it->second.state == link_state::closing) return;
    const bool was_retiring = it->second.state == link_state::retiring;
    it->second.state = link_state::closing;
    out.push_back(action::log{log_warn, link_name(id) + " " + std::string{why} + "; replacing it"});
    out.push_back(action::close_link{id, false});
    if (was_retiring) {
        std::erase(retiring_without_replacement_, id);
        for (auto& [other, l] : links_)
            if (l.replaces == id) l.replaces.reset();
    }
    top_up(now, out);
}

actions socket_mode_session::on_pong(link_id id, steady_time now) {
    auto it = links_.find(id);
    if (it != links_.end()) it->second.last_heard = now;
    return {};
}

actions socket_mode_session::on_link_closed(link_id id, std::string_view why, steady_time now) {
    actions out;
    auto it = links_.find(id);
    if (it == links_.end()) return out;
    const auto state = it->second.state;
    const auto replaces = it->second.replaces;
    links_.erase(it);
    std::erase(retiring_without_replacement_, id);
    for (auto& [other, l] : links_)
        if (l.replaces == id) l.replaces.reset();
    if (replaces && links_.count(*replaces)) retiring_without_replacement_.push_back(*replaces);

    if (stopping_) {
        maybe_stopped(out);
        return out;
    }
    if (state == link_state::up || state == link_state::awaiting_hello || state == link_state::opening) {
        if (state != link_state::up) {
            ++consecutive_failures_;
            open_not_before_ = std::max(open_not_before_, now + backoff_delay());
        }
        count_reconnect(bot::reconnect_reason::closed);
        out.push_back(action::log{log_warn, link_name(id) + " closed unexpectedly (" + std::string{why} + ")"});
    }
    top_up(now, out);
    return out;
}

actions socket_mode_session::on_timer(steady_time now) {
    actions out;
    if (stopping_) return out;
    if (pending_opens_ > 0 && now >= open_not_before_) {
        const int n = pending_opens_;
        pending_opens_ = 0;
        for (int i = 0; i < n; ++i) schedule_open(now, out);
    }
    struct dead_link {
        link_id id;
        std::string why;
        bot::reconnect_reason reason;
    };
    std::vector<dead_link> dead;
    for (auto& [id, l] : links_) {
        switch (l.state) {
        case link_state::opening:
        case link_state::closing:
            continue;
        case link_state::awaiting_hello:
            if (now - l.opened_at >= options_.hello_timeout) {
                dead.push_back({id, "sent no hello within " + std::to_string(options_.hello_timeout.count()) + " ms",
                                bot::reconnect_reason::no_hello});
                continue;
            }
            break;
        case link_state::up:
        case link_state::retiring:
            break;
        }
        if (now - l.last_heard >= options_.dead_after) {
            dead.push_back({id,
                            "has been silent for " + std::to_string(seconds_between(l.last_heard, now)) +
                                " s (no frame, no pong)",
                            bot::reconnect_reason::silent});
            continue;
        }
        if (now >= l.next_ping) {
            out.push_back(action::send_ping{id});
            l.next_ping = now + options_.ping_interval;
        }
    }
    for (const auto& [id, why, reason] : dead) {
        count_reconnect(reason);
        auto it = links_.find(id);
        if (it != links_.end() && it->second.state == link_state::awaiting_hello) {
            ++consecutive_failures_;
            open_not_before_ = std::max(open_not_before_, now + backoff_delay());
        }
        kill(id, why, now, out);
    }
    return out;
}

actions socket_mode_session::on_stop(steady_time now) {
    actions out;
    if (stopping_) return out;
    stopping_ = true;
    pending_opens_ = 0;
    out.push_back(action::log{log_info, "stopping: closing " + std::to_string(links_.size()) + " link(s)"});
    for (auto& [id, l] : links_) {
        if (l.state == link_state::closing) continue;
        l.state = link_state::closing;
        out.push_back(action::close_link{id, true});
    }
    maybe_stopped(out);
    return out;
}

void socket_mode_session::go_fatal(std::string reason, std::string text, actions& out) {
    fatal_ = true;
    out.push_back(action::fatal{std::move(reason), std::move(text)});
    if (stopping_) return;
    stopping_ = true;
    pending_opens_ = 0;
    for (auto& [id, l] : links_) {
        if (l.state == link_state::closing) continue;
        l.state = link_state::closing;
        out.push_back(action::close_link{id, true});
    }
    maybe_stopped(out);
}

void socket_mode_session::maybe_stopped(actions& out) {
    if (stopping_ && links_.empty() && !stopped_emitted_) {
        stopped_emitted_ = true;
        out.push_back(action::stopped{});
    }
}

steady_time socket_mode_session::next_deadline() const {
    auto next = steady_time::max();
    if (stopping_) return next;
    if (pending_opens_ > 0) next = std::min(next, open_not_before_);
    for (const auto& [id, l] : links_) {
        switch (l.state) {
        case link_state::opening:
        case link_state::closing:
            break;
        case link_state::awaiting_hello:
            next = std::min({next, l.opened_at + options_.hello_timeout, l.next_ping, l.last_heard + options_.dead_after});
            break;
        case link_state::up:
        case link_state::retiring:
            next = std::min({next, l.next_ping, l.last_heard + options_.dead_after});
            break;
        }
    }
    return next;
}

std::string envelope_identity(const envelope& env) {
    auto identity = payload_identity(env);
    return identity.empty() ? "envelope:" + env.envelope_id : identity;
}

open_failure classify_open_failure(std::string_view slack_error, unsigned http_status,
                                   std::chrono::seconds retry_after) {
    static constexpr std::array fatal_errors{"invalid_auth", "not_authed", "account_inactive", "token_revoked",
                                             "not_allowed_token_type", "missing_scope"};
    open_failure f;
    f.detail = std::string{slack_error};
    if (http_status == 429 || slack_error == "ratelimited") {
        f.what = open_failure::kind::rate_limited;
        f.retry_after = retry_after.count() > 0 ? retry_after : std::chrono::seconds{1};
        if (f.detail.empty()) f.detail = "ratelimited";
        return f;
    }
    for (const auto* e : fatal_errors) {
        if (slack_error == e) {
            f.what = open_failure::kind::fatal_auth;
            return f;
        }
    }
    if (slack_error.empty() || http_status >= 500) {
        f.what = open_failure::kind::transient;
        if (f.detail.empty()) f.detail = "HTTP " + std::to_string(http_status);
        return f;
    }
    f.what = open_failure::kind::other_error;
    return f;
}

}  // namespace promotebot::slack
