#pragma once
// The Socket Mode protocol as a sans-IO state machine: it is fed what
// happened (a link opened, a frame arrived, time passed) and answers with
// the actions to perform (send an ack, open a link, ping, close, deliver an
// envelope to the handlers). It owns every protocol decision: hello before a
// link counts, ack before work, de-duplication of redeliveries,
// make-before-break on `disconnect`, ping deadlines and dead-link
// replacement, reconnect backoff with jitter, rate limits and fatal errors.
// The IO layer (socket_mode_client) only moves frames and runs timers.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "bot/ports/metrics_sink.hpp"

namespace promotebot::slack {

using steady_time = std::chrono::steady_clock::time_point;
using link_id = std::uint32_t;

struct envelope {
    std::string envelope_id;
    std::string type;  // slash_commands | interactive | events_api
    nlohmann::json payload;
    bool accepts_response_payload = false;
    int retry_attempt = 0;
    std::string retry_reason;
    link_id link = 0;
};

// Computes the immediate ack payload for an envelope (pure, no I/O), or none.
using ack_responder = std::function<std::optional<nlohmann::json>(const envelope&)>;

struct socket_mode_options {
    int connections = 2;                               // 1..10 concurrent links
    std::chrono::milliseconds ping_interval{5000};     // our pings on every link
    std::chrono::milliseconds dead_after{15000};       // silent this long: replace the link
    std::chrono::milliseconds hello_timeout{10000};    // a link without hello by then is dead
    std::chrono::milliseconds backoff_base{500};       // first reconnect delay
    std::chrono::milliseconds backoff_max{30000};      // cap of the exponential backoff
    std::size_t dedupe_capacity = 10000;               // remembered envelope and payload identities
    std::chrono::milliseconds dedupe_ttl{std::chrono::hours(1)};
    std::uint64_t random_seed = std::random_device{}();  // jitter source
    // Counts envelopes received and link replacements by reason; null: no_metrics().
    bot::metrics_sink* metrics = nullptr;
};

namespace action {
// Call apps.connections.open, connect the websocket, then report
// on_link_opened or on_open_failed for this id.
struct open_link { link_id id; };
// An ack; `type` and `received` (when the envelope's frame was read) let the
// IO layer measure the ack's latency once it is written.
struct send_text {
    link_id id;
    std::string text;
    bot::envelope_type type = bot::envelope_type::other;
    steady_time received{};
};
struct send_ping { link_id id; };
// Close a link: graceful sends a close frame after the queued writes;
// otherwise the socket is torn down at once (a dead link).
struct close_link { link_id id; bool graceful; };
// Run the handlers. A deliver always directly follows the send_text of its
// ack, so the client can hold that ack until the envelope is journaled.
struct deliver { envelope env; };
struct log { int level; std::string text; };  // spdlog levels: 1 debug, 2 info, 3 warn, 4 error
struct fatal { std::string reason; std::string text; };  // stop the bot, exit non-zero
struct stopped {};  // every link is closed after on_stop
}  // namespace action

using session_action = std::variant<action::open_link, action::send_text, action::send_ping, action::close_link,
                                    action::deliver, action::log, action::fatal, action::stopped>;
using actions = std::vector<session_action>;

// Why an attempt to open a link failed.
struct open_failure {
    enum class kind { transient, rate_limited, fatal_auth, other_error };
    kind what = kind::transient;
    std::string detail;  // Slack's error string or the transport error, never a token
    std::chrono::seconds retry_after{0};
};

class socket_mode_session {
public:
    enum class link_state { opening, awaiting_hello, up, retiring, closing };

    socket_mode_session(socket_mode_options options, ack_responder responder = {});

    actions on_start(steady_time now);
    actions on_link_opened(link_id id, steady_time now);
    actions on_open_failed(link_id id, const open_failure& failure, steady_time now);
    actions on_frame(link_id id, std::string_view text, steady_time now);
    actions on_pong(link_id id, steady_time now);
    actions on_link_closed(link_id id, std::string_view why, steady_time now);
    actions on_timer(steady_time now);
    actions on_stop(steady_time now);

    // When on_timer must be called next (time_point::max() when nothing is due).
    [[nodiscard]] steady_time next_deadline() const;

    [[nodiscard]] int links_up() const;
    [[nodiscard]] std::optional<link_state> state_of(link_id id) const;
    [[nodiscard]] bool stopping() const { return stopping_; }
    [[nodiscard]] bool fatal_stop() const { return fatal_; }
    [[nodiscard]] std::uint64_t delivered() const { return delivered_; }
    [[nodiscard]] std::uint64_t duplicates() const { return duplicates_; }

private:
    struct link {
        link_state state = link_state::opening;
        steady_time opened_at{};     // when the websocket came up
        steady_time last_heard{};    // any frame or pong
        steady_time next_ping{};
        std::optional<link_id> replaces;  // a retiring link to close once this one is up
    };

    void top_up(steady_time now, actions& out);
    void schedule_open(steady_time now, actions& out);
    void retire(link_id id, steady_time now, actions& out);
    void kill(link_id id, std::string_view why, steady_time now, actions& out);
    void handle_envelope(link_id id, envelope env, steady_time now, actions& out);
    void go_fatal(std::string reason, std::string text, actions& out);
    void count_reconnect(bot::reconnect_reason why) { metrics_->link_reconnect(why); }
    void maybe_stopped(actions& out);
    [[nodiscard]] int active_links() const;
    [[nodiscard]] std::chrono::milliseconds backoff_delay();
    // True when the identity was seen (and remembers it otherwise).
    bool seen(const std::string& key, steady_time now);
    std::optional<nlohmann::json>* cached_ack(const std::string& key);

    socket_mode_options options_;
    ack_responder responder_;
    bot::metrics_sink* metrics_;
    std::map<link_id, link> links_;
    link_id next_id_ = 1;
    int consecutive_failures_ = 0;
    steady_time open_not_before_{};  // rate limit / backoff gate for the next open
    int pending_opens_ = 0;          // replacements waiting for open_not_before_
    std::vector<link_id> retiring_without_replacement_;
    bool started_ = false;
    bool stopping_ = false;
    bool fatal_ = false;
    bool stopped_emitted_ = false;
    std::mt19937_64 random_;

    struct seen_entry {
        std::string key;
        steady_time at;
    };
    std::deque<seen_entry> seen_order_;
    std::unordered_map<std::string, std::optional<nlohmann::json>> seen_;  // identity -> ack payload sent
    std::uint64_t delivered_ = 0;
    std::uint64_t duplicates_ = 0;
};

// What identifies an envelope's content across Slack's redeliveries:
// "event:<event_id>", "trigger:<trigger_id>", else "envelope:<envelope_id>".
std::string envelope_identity(const envelope& env);

// Reads an apps.connections.open failure from Slack's answer.
open_failure classify_open_failure(std::string_view slack_error, unsigned http_status,
                                   std::chrono::seconds retry_after);

}  // namespace promotebot::slack
