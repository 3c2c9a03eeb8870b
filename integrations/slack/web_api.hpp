#pragma once
// Slack Web API client: persistent HTTPS connections, JSON bodies, Bearer
// token, 429 Retry-After, bounded retries on 5xx and connection errors, and
// `ok:false` errors carried with Slack's error string (never retried blindly).
#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <nlohmann/json.hpp>

#include "integrations/slack/slack_error.hpp"

namespace promotebot::slack {

struct web_api_options {
    std::string base_url = "https://slack.com/api/";  // SLACK_API_URL
    std::string bot_token;                            // SLACK_BOT_TOKEN (xoxb-)
    std::string app_token;                            // SLACK_APP_TOKEN (xapp-)
    std::string ca_file;                              // extra CA bundle (SSL_CERT_FILE / slack.ca_file)
    int max_attempts = 4;                             // for 5xx and connection errors
    std::chrono::milliseconds backoff_base{250};
    std::chrono::milliseconds timeout{10000};         // connect + request + response
    std::chrono::seconds max_retry_after{60};         // upper bound on an honoured Retry-After
};

struct api_result {
    boost::system::error_code ec;   // slack_errc / transport errors; empty on ok:true
    nlohmann::json body;            // the parsed response (when there was one)
    std::string error;              // Slack's `error` string on ok:false, else a description
    unsigned http_status = 0;
    std::chrono::seconds retry_after{0};  // from a 429 (when not retried)
    [[nodiscard]] bool ok() const { return !ec; }
};

enum class token_kind { bot, app };

class web_api {
public:
    web_api(boost::asio::any_io_executor ex, web_api_options options);
    ~web_api();
    web_api(const web_api&) = delete;
    web_api& operator=(const web_api&) = delete;

    // Calls `method` with a JSON body, retrying 429 (after Retry-After), 5xx and
    // connection errors within options.max_attempts.
    boost::asio::awaitable<api_result> call(std::string method, nlohmann::json args,
                                            token_kind token = token_kind::bot);
    // One attempt, no retries: for callers with their own policy (apps.connections.open).
    boost::asio::awaitable<api_result> call_once(std::string method, nlohmann::json args,
                                                 token_kind token = token_kind::bot);
    // POST to a response_url (no token), with the same retry policy as call().
    boost::asio::awaitable<api_result> post_response_url(std::string url, nlohmann::json body);

    [[nodiscard]] const web_api_options& options() const { return options_; }

private:
    struct impl;
    web_api_options options_;
    std::unique_ptr<impl> impl_;
};

}  // namespace promotebot::slack
