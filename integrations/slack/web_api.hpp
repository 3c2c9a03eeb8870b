#pragma once
// Slack Web API client: persistent HTTPS connections, JSON bodies, Bearer
// token, `ok:false` errors carried with Slack's error string (never retried
// blindly), and a request that may have reached Slack never sent twice
// unless repeating it is harmless.
//
// When a call is sent again (within web_api_options::max_attempts):
// - the request provably never left (resolve, connect or TLS failed, or not
//   one byte was written): any method;
// - Slack refused it for the rate limit (HTTP 429, or ok:false
//   `ratelimited`): any method, after Retry-After;
// - a transport failure after writing, or a 5xx: only the methods that are
//   safe to repeat (safe_to_repeat(): updates by key and reads). A
//   chat.postMessage, chat.postEphemeral, views.open, a response_url POST or
//   any method not in that table is not sent again: the result says
//   delivery::maybe_sent and the caller reconciles (the outbox looks the
//   message up by its metadata).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>

#include "bot/ports/metrics_sink.hpp"
#include "integrations/net/resolve.hpp"
#include "integrations/slack/slack_error.hpp"

namespace promotebot::slack {

struct web_api_options {
    std::string base_url = "https://slack.com/api/";  // SLACK_API_URL
    std::string bot_token;                            // SLACK_BOT_TOKEN (xoxb-)
    std::string app_token;                            // SLACK_APP_TOKEN (xapp-)
    std::string ca_file;                              // extra CA bundle (SSL_CERT_FILE / slack.ca_file)
    int max_attempts = 4;                             // every send of one call, the first included
    std::chrono::milliseconds backoff_base{250};      // waits between sends that were not rate limited
    std::chrono::milliseconds backoff_max{10000};
    std::uint64_t random_seed = std::random_device{}();  // the backoff's jitter
    std::chrono::milliseconds timeout{10000};         // resolve + connect + TLS; then each of write and read
    std::chrono::seconds max_retry_after{60};         // upper bound on an honoured Retry-After
    net::resolver_function resolver;                  // empty: the system resolver (DNS)
    bot::metrics_sink* metrics = nullptr;             // counts every request sent, by method; null: no_metrics()
};

// What is known about whether Slack received and processed a call, so that
// an outbox can tell "retry" from "look it up first".
enum class delivery {
    answered,    // Slack answered (ok or not): body, http_status and ec say what it said
    not_sent,    // provably never left: resolve, connect or TLS failed, or nothing was written
    maybe_sent,  // may have been processed: no answer after writing (timeout, reset) or an HTTP 5xx
};

struct api_result {
    boost::system::error_code ec;   // slack_errc / transport errors; empty on ok:true
    nlohmann::json body;            // the parsed response (when there was one)
    std::string error;              // Slack's `error` string on ok:false, else a description
    unsigned http_status = 0;
    // Over every send of the call: maybe_sent if any send may have been
    // processed and none was answered after it.
    delivery delivered = delivery::answered;
    // Slack's rate limit (HTTP 429 or ok:false `ratelimited`) that was not
    // waited out: its Retry-After, bounded by max_retry_after (1 s when absent).
    std::optional<std::chrono::seconds> retry_after;
    int attempts = 0;  // sends made (0: refused before sending, e.g. an invalid method)
    [[nodiscard]] bool ok() const { return !ec; }
};

// True for the methods Slack may receive twice without a second effect
// (updates by key, reads): they are also sent again after a transport
// failure or a 5xx. The table is in web_api.cpp.
[[nodiscard]] bool safe_to_repeat(std::string_view method);

enum class token_kind { bot, app };

class web_api {
public:
    web_api(boost::asio::any_io_executor ex, web_api_options options);
    ~web_api();
    web_api(const web_api&) = delete;
    web_api& operator=(const web_api&) = delete;

    // Calls `method` with a JSON body, sending it again within
    // options.max_attempts as the rules at the top of this file allow.
    boost::asio::awaitable<api_result> call(std::string method, nlohmann::json args,
                                            token_kind token = token_kind::bot);
    // One attempt, no retries: for callers with their own policy (apps.connections.open).
    boost::asio::awaitable<api_result> call_once(std::string method, nlohmann::json args,
                                                 token_kind token = token_kind::bot);
    // A read that must eventually get through (auth.test at start): sent
    // again with backoff, without limit, while the network, a proxy or Slack
    // fails (refused, reset, 5xx, rate limited, not Slack's JSON). Only an
    // answer from Slack ends it: ok, or ok:false such as invalid_auth.
    // Only for methods that are safe_to_repeat().
    boost::asio::awaitable<api_result> call_until_answered(std::string method, nlohmann::json args,
                                                           token_kind token = token_kind::bot);
    // POST to a response_url (no token). Not safe to repeat: sent again only
    // when it never left or was rate limited.
    boost::asio::awaitable<api_result> post_response_url(std::string url, nlohmann::json body);

    [[nodiscard]] const web_api_options& options() const { return options_; }

private:
    struct impl;
    web_api_options options_;
    std::unique_ptr<impl> impl_;
};

}  // namespace promotebot::slack
