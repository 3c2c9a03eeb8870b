#pragma once
// Socket Mode over websockets: the IO shell around socket_mode_session. It
// opens links (apps.connections.open, then ws:// or wss:// with SNI and
// certificate + host-name verification), moves frames, runs the session's
// timers and hands envelopes to the application after they are acked.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "integrations/net/resolve.hpp"
#include "integrations/slack/socket_mode_session.hpp"

namespace promotebot::slack {

class web_api;

struct socket_mode_client_options {
    socket_mode_options session;
    std::string ca_file;                              // extra CA bundle for wss://
    std::chrono::milliseconds connect_timeout{10000};  // one deadline: resolve + TCP + TLS + websocket handshake
    std::chrono::milliseconds close_timeout{2000};     // bound on a graceful close
    net::resolver_function resolver;                   // empty: the system resolver (DNS)
    // Called on the io thread after each text frame (an ack) was written to
    // a link; for metrics and tests. Envelopes are delivered after their ack
    // was written, so this runs before the envelope's on_envelope.
    std::function<void(link_id, std::string_view text)> frame_written;
};

struct socket_mode_handlers {
    ack_responder ack_payload;                   // pure: the immediate ack payload, or none
    std::function<void(envelope)> on_envelope;   // runs after the ack was written; must not block
    // Runs before the envelope's ack leaves, to write the envelope down
    // (keep it short: microseconds). false: it was handled before (by an
    // earlier run of the process); it is acked but not delivered again.
    std::function<bool(const envelope&)> journal;
};

struct socket_mode_result {
    bool fatal = false;
    std::string reason;   // "invalid_auth", "link_disabled", ...
    std::string message;  // for the operator
};

class socket_mode_client {
public:
    socket_mode_client(boost::asio::any_io_executor ex, web_api& api, socket_mode_client_options options,
                       socket_mode_handlers handlers);
    ~socket_mode_client();
    socket_mode_client(const socket_mode_client&) = delete;
    socket_mode_client& operator=(const socket_mode_client&) = delete;

    // Runs until stop() completes or a fatal error; returns which.
    boost::asio::awaitable<socket_mode_result> run();
    // Stops accepting envelopes, flushes queued acks, sends close frames.
    // Call on the io_context's thread (post to it from elsewhere).
    void stop();

    [[nodiscard]] int links_up() const;
    [[nodiscard]] std::uint64_t delivered() const;
    [[nodiscard]] std::uint64_t duplicates() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace promotebot::slack
