#pragma once
// An in-process fake of Slack for tests: the Web API (HTTP or HTTPS) and the
// Socket Mode websocket on a loopback port the OS chooses, driven from tests.
// It runs on its own thread; every public member is thread-safe.
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace promotebot::testing {

struct fake_slack_options {
    bool tls = true;                           // https:// + wss:// with a throwaway CA made at start
    std::string app_token = "xapp-1-A000-test-app-token";
    std::string bot_token = "xoxb-000-test-bot-token";
    std::chrono::milliseconds server_ping_interval{0};  // 0: the server sends no pings of its own
    std::chrono::milliseconds trigger_lifetime{3000};   // Slack's: a trigger_id opens a view within 3 s, once
};

struct recorded_ack {
    int connection = 0;
    std::string envelope_id;
    nlohmann::json payload;  // null when the ack carried none
};

struct recorded_call {
    std::string method;         // "chat.postMessage", or "response_url" for POSTs to a response URL
    std::string path;           // request target
    std::string authorization;  // the Authorization header as sent
    std::string content_type;
    nlohmann::json body;        // parsed JSON body (form bodies are converted to an object)
    unsigned status = 200;      // 429 when the method's rate limit refused it (see rate_limit())
    std::chrono::steady_clock::time_point at{};  // when the request arrived
};

struct canned_response {
    unsigned status = 200;
    nlohmann::json body = nlohmann::json{{"ok", true}};
    std::map<std::string, std::string> headers;  // e.g. {"Retry-After", "1"}
    // The request is recorded (as processed by Slack), then the answer waits
    // this long: beyond a client's timeout it looks like a lost answer.
    std::chrono::milliseconds delay{0};
    // The request is recorded, then the connection is closed without an answer.
    bool hang_up = false;
    // Slack did what was asked (the method's default behaviour: a posted
    // message lands in the channel's history) before the answer above is
    // given, delayed or lost: with hang_up, a post whose answer never arrived.
    bool processed = false;
    // Sent byte for byte instead of `body`: text that is not JSON, or JSON
    // nested too deeply to build here.
    std::optional<std::string> raw_body{};
};

class fake_slack {
public:
    explicit fake_slack(fake_slack_options options = {});
    ~fake_slack();
    fake_slack(const fake_slack&) = delete;
    fake_slack& operator=(const fake_slack&) = delete;

    [[nodiscard]] std::string api_url() const;  // "https://127.0.0.1:<port>/api/" (http:// without TLS)
    [[nodiscard]] std::string ca_file() const;  // PEM file of the CA that signed the server certificate
    [[nodiscard]] const fake_slack_options& options() const;

    // --- Socket Mode -------------------------------------------------------
    // apps.connections.open answers a fresh single-use ticket URL
    // (wss://127.0.0.1:<port>/link/?ticket=<n>); a reused ticket is refused
    // with HTTP 401. Every accepted link first receives `hello`.
    [[nodiscard]] std::vector<int> connections() const;  // IDs of live links, in opening order
    [[nodiscard]] int connections_opened() const;        // total links ever accepted
    bool wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const;

    // Sends an envelope to `connection` (or to the live links in turn) and
    // returns its envelope_id. Slash commands and interactions carry a
    // trigger_id: one the payload holds is issued as of now (unless issued
    // before: Slack's retries repeat it); a slash command without one gets a
    // fresh one, as from Slack.
    std::string send_envelope(const std::string& type, const nlohmann::json& payload,
                              bool accepts_response_payload = false, std::optional<int> connection = {},
                              int retry_attempt = 0, const std::string& retry_reason = {});
    void send_text(int connection, const std::string& text);     // any raw frame
    void send_binary(int connection, const std::string& bytes);  // a binary frame: Slack never sends one
    // Slack's redelivery: every envelope send_envelope sent that no ack named
    // yet goes out again on `connection` (or the live links in turn), with
    // its envelope_id and payload, retry_attempt one higher and retry_reason
    // "timeout". Returns how many.
    std::size_t redeliver_unacked(std::optional<int> connection = {});
    // IDs of the envelopes send_envelope sent that no ack named yet, oldest first.
    [[nodiscard]] std::vector<std::string> unacked_envelopes() const;
    void send_disconnect(int connection, const std::string& reason);  // warning | refresh_requested | link_disabled
    void send_ping(int connection);
    // The link stops reading and writing (no pongs, no frames) but the TCP
    // connection stays open: a switch that silently died.
    void go_silent(int connection);
    void drop(int connection);  // closes the TCP connection without a close frame
    [[nodiscard]] bool closed_cleanly(int connection) const;  // the client sent a close frame

    // The Host header of every websocket upgrade request, in arrival order.
    [[nodiscard]] std::vector<std::string> websocket_hosts() const;
    bool wait_for_clean_close(int connection, std::chrono::milliseconds timeout) const;

    [[nodiscard]] std::vector<recorded_ack> acks() const;
    bool wait_for_acks(std::size_t n, std::chrono::milliseconds timeout) const;

    // --- Modals ------------------------------------------------------------
    // views.open takes a trigger_id this fake issued less than
    // trigger_lifetime ago and not used before; it is recorded and answered
    // {"ok":true,"view":{"id":"V…",…}}. Any other trigger gets
    // {"ok":false,"error":"expired_trigger_id"}.
    //
    // A trigger_id as Slack gives with a slash command or an interaction,
    // issued `age` ago (an age past trigger_lifetime gives an expired one).
    std::string issue_trigger(std::chrono::milliseconds age = std::chrono::milliseconds(0));
    // The view views.open opened with this ID (as Slack returned it); null if none.
    [[nodiscard]] nlohmann::json view(const std::string& view_id) const;
    // Sends the `interactive` envelope of `user` submitting the view opened
    // as `view_id`, shaped as Slack's view_submission: view.state.values
    // [block_id][action_id] for each input block, `.value` of a text input
    // or `.selected_option` (the option object with that value) of radio
    // buttons or a select; an input `values` has none for keeps what the
    // view pre-filled (its initial value or option, else null), as in Slack. `values` is keyed by block_id. Throws std::logic_error for a
    // view it did not open, a block it does not have, or an option it does
    // not offer: Slack could not send those. Returns the envelope_id.
    std::string submit_view(const std::string& view_id, const std::string& user,
                            const std::map<std::string, std::string>& values, std::optional<int> connection = {});

    // --- Events API --------------------------------------------------------
    // Sends the `events_api` envelope of `user` opening the app's Home tab
    // (`tab` "home") or its Messages tab ("messages"), shaped as Slack's
    // app_home_opened event_callback. Returns the envelope_id.
    std::string open_app_home(const std::string& user, const std::string& tab = "home",
                              std::optional<int> connection = {});

    // --- Web API -----------------------------------------------------------
    // views.publish needs a user_id and a view of type "home" with a blocks
    // array of at most 100 (else ok:false invalid_arguments), as Slack does.
    //
    // Queued responses for `method` ("response_url" for response URLs) are used first, in order; then the
    // default behaviour of the method (ok:true with realistic fields:
    // chat.postMessage returns a new ts; usergroups.users.list returns the
    // members set below; a wrong or missing token gives ok:false invalid_auth).
    void queue_response(const std::string& method, canned_response r);
    // An outage of one method: from its first call after this one, every call
    // for `duration` gets `r` (before any queued response); later calls are
    // answered as usual again.
    void fail_for(const std::string& method, std::chrono::milliseconds duration, canned_response r);
    // Slack's per-method rate limit (its tiers: chat.update is Tier 3, about
    // 50 calls a minute per workspace): a call of `method` is accepted while
    // fewer than `calls` calls of it were accepted in the sliding `window`
    // before it; beyond that it is answered HTTP 429 with Retry-After (whole
    // seconds, as Slack sends it: rounded up, at least 1) until the oldest
    // accepted call leaves the window. A refused call is recorded with status
    // 429 and does not count toward the limit. Checked before queued
    // responses and outages.
    void rate_limit(const std::string& method, int calls, std::chrono::milliseconds window);
    void set_usergroup(const std::string& group_id, std::vector<std::string> users);
    // A response_url on this fake; POSTs to it are recorded as method "response_url".
    [[nodiscard]] std::string make_response_url();

    // Messages chat.postMessage put in `channel`, oldest first, as
    // conversations.history returns them (with their metadata); chat.update
    // replaces the text and blocks of the message with its ts, as Slack does.
    [[nodiscard]] std::vector<nlohmann::json> channel_history(const std::string& channel) const;

    [[nodiscard]] std::vector<recorded_call> calls(const std::string& method = {}) const;
    bool wait_for_calls(const std::string& method, std::size_t n, std::chrono::milliseconds timeout) const;
    void clear_calls();
    // TCP connections ever accepted (HTTP and websocket): shows keep-alive reuse.
    [[nodiscard]] int tcp_connections_accepted() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace promotebot::testing
