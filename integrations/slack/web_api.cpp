#include "integrations/slack/web_api.hpp"

#include <algorithm>
#include <cctype>
#include <array>
#include <random>

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include "integrations/net/backoff.hpp"
#include "integrations/net/bounded_json.hpp"
#include "integrations/net/http_client.hpp"

namespace promotebot::slack {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;

namespace {

// The methods Slack may receive twice without a second effect. Everything
// else (chat.postMessage, chat.postEphemeral, views.open, response URLs,
// methods not listed) would post, open or announce twice.
constexpr std::array<std::string_view, 9> repeatable_methods{
    "chat.update",            // replaces the message at (channel, ts)
    "views.update",           // replaces the view by view_id
    "views.publish",          // replaces the user's App Home
    "auth.test",              // reads from here on
    "apps.connections.open",  // an unused ticket just expires
    "conversations.history",
    "conversations.replies",
    "usergroups.users.list",
    "users.info",
};

enum class outcome {
    done,          // answered, or not to be sent again
    not_sent,      // never left: any method may go again
    rate_limited,  // Slack refused it for now: any method may go again after Retry-After
    transient,     // may have been processed: only a repeatable method goes again
};

struct attempt_result {
    api_result result;
    outcome kind = outcome::done;
};

// Slack method names are dotted identifiers; anything else never reaches the URL.
bool valid_method(const std::string& method) {
    if (method.empty() || method.size() > 64) return false;
    return std::all_of(method.begin(), method.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_';
    });
}

std::chrono::seconds parse_retry_after(const std::map<std::string, std::string>& headers,
                                       std::chrono::seconds max) {
    auto it = headers.find("retry-after");
    std::chrono::seconds wait{1};
    if (it != headers.end() && !it->second.empty() && it->second.size() <= 6 &&
        std::all_of(it->second.begin(), it->second.end(), [](unsigned char c) { return std::isdigit(c); })) {
        wait = std::chrono::seconds(std::stol(it->second));
    }
    return std::clamp(wait, std::chrono::seconds(0), max);
}

attempt_result classify(const net::http_response& res, std::chrono::seconds max_retry_after) {
    attempt_result out;
    api_result& r = out.result;
    r.http_status = res.status;
    r.delivered = delivery::answered;
    // Slack's answers are shallow; a deeper one is refused before it is built.
    const net::json_limits limits;
    auto parsed = net::parse_bounded(res.body, limits);
    const json& body = parsed.value;
    if (parsed.ok()) r.body = body;

    if (res.status == 429) {
        r.ec = slack_errc::rate_limited;
        r.retry_after = parse_retry_after(res.headers, max_retry_after);
        r.error = "ratelimited";
        out.kind = outcome::rate_limited;
        return out;
    }
    if (res.status >= 500) {
        // A gateway's 5xx does not say whether Slack behind it acted.
        r.ec = slack_errc::server_error;
        r.error = "HTTP " + std::to_string(res.status);
        r.delivered = delivery::maybe_sent;
        out.kind = outcome::transient;
        return out;
    }
    if (!parsed.ok() && parsed.what != net::bounded_json::verdict::malformed) {
        r.ec = slack_errc::bad_response;
        r.error = "HTTP " + std::to_string(res.status) + ": the response is " + parsed.why(limits);
        return out;
    }
    if (!parsed.ok() || !body.is_object() || !body.contains("ok") || !body["ok"].is_boolean()) {
        r.ec = slack_errc::bad_response;
        r.error = "HTTP " + std::to_string(res.status) + ": the response is not a Slack JSON object";
        return out;
    }
    if (body["ok"].get<bool>()) {
        if (res.status != 200) {
            r.ec = slack_errc::bad_response;
            r.error = "HTTP " + std::to_string(res.status) + " with ok:true";
        }
        return out;
    }
    r.error = body.contains("error") && body["error"].is_string() ? body["error"].get<std::string>()
                                                                   : std::string("unknown_error");
    if (is_fatal_auth_error(r.error)) {
        r.ec = slack_errc::fatal_auth;
    } else if (r.error == "ratelimited") {
        r.ec = slack_errc::rate_limited;
        r.retry_after = parse_retry_after(res.headers, max_retry_after);
        out.kind = outcome::rate_limited;
    } else {
        r.ec = slack_errc::ok_false;
    }
    return out;
}

}  // namespace

bool safe_to_repeat(std::string_view method) {
    return std::find(repeatable_methods.begin(), repeatable_methods.end(), method) != repeatable_methods.end();
}

struct web_api::impl {
    asio::any_io_executor ex;
    net::http_client client;
    std::mt19937_64 random;
    bot::metrics_sink& metrics;

    impl(asio::any_io_executor e, const web_api_options& o)
        : ex(e), client(e, client_options(o)), random(o.random_seed), metrics(o.metrics ? *o.metrics : bot::no_metrics()) {}

    static net::http_client_options client_options(const web_api_options& o) {
        net::http_client_options c;
        c.ca_file = o.ca_file;
        c.timeout = o.timeout;
        c.resolver = o.resolver;
        return c;
    }

    // `what` names the method for the metrics ("response_url" for a response URL).
    asio::awaitable<attempt_result> attempt(std::string_view what, const std::string& url, const std::string& body,
                                            const std::string* token, std::chrono::seconds max_retry_after) {
        std::vector<std::pair<std::string, std::string>> headers{
            {"Content-Type", "application/json; charset=utf-8"}};
        if (token) headers.emplace_back("Authorization", "Bearer " + *token);
        attempt_result out;
        try {
            net::http_response res = co_await client.request(http::verb::post, url, body, std::move(headers));
            out = classify(res, max_retry_after);
        } catch (const net::request_error& e) {
            out.result.ec = e.code();
            out.result.error = e.what();
            const bool left = e.sent() == net::request_sent::maybe;
            out.result.delivered = left ? delivery::maybe_sent : delivery::not_sent;
            out.kind = left ? outcome::transient : outcome::not_sent;
        } catch (const boost::system::system_error& e) {
            // A URL the client cannot use: nothing was sent.
            out.result.ec = e.code();
            out.result.error = e.what();
            out.result.delivered = delivery::not_sent;
        }
        out.result.attempts = 1;
        metrics.web_api_request(bot::web_api_method_of(what), out.kind == outcome::rate_limited);
        co_return out;
    }

    asio::awaitable<api_result> with_retries(const web_api_options& o, std::string what, std::string url,
                                             json args, const std::string* token, bool repeatable) {
        const std::string body = args.dump();
        const int max_attempts = std::max(1, o.max_attempts);
        bool may_have_been_processed = false;
        int backoffs = 0;
        for (int n = 1;; ++n) {
            attempt_result a = co_await attempt(what, url, body, token, o.max_retry_after);
            a.result.attempts = n;
            // An earlier send that may have been processed stays possible until Slack answers one.
            if (a.result.delivered == delivery::maybe_sent) may_have_been_processed = true;
            if (a.result.delivered == delivery::not_sent && may_have_been_processed) {
                a.result.delivered = delivery::maybe_sent;
            }
            const bool again = a.kind == outcome::not_sent || a.kind == outcome::rate_limited ||
                               (a.kind == outcome::transient && repeatable);
            if (!again || n >= max_attempts) co_return std::move(a.result);

            std::chrono::milliseconds wait{0};
            if (a.kind == outcome::rate_limited) {
                wait = a.result.retry_after.value_or(std::chrono::seconds(1));
            } else {
                wait = net::backoff_delay({o.backoff_base, o.backoff_max}, ++backoffs, random);
            }
            spdlog::warn("Slack {}: {}; sending again in {} ms (attempt {} of {})", what, a.result.error,
                         wait.count(), n + 1, max_attempts);
            asio::steady_timer timer(ex, wait);
            co_await timer.async_wait(asio::use_awaitable);
        }
    }

    asio::awaitable<api_result> until_answered(const web_api_options& o, std::string what, std::string url,
                                               json args, const std::string* token) {
        const std::string body = args.dump();
        for (int n = 1;; ++n) {
            attempt_result a = co_await attempt(what, url, body, token, o.max_retry_after);
            a.result.attempts = n;
            const bool slack_answered =
                a.kind == outcome::done && (a.result.ok() || a.result.ec == slack_errc::ok_false ||
                                            a.result.ec == slack_errc::fatal_auth);
            if (slack_answered) co_return std::move(a.result);
            std::chrono::milliseconds wait = a.kind == outcome::rate_limited
                                                 ? std::chrono::milliseconds(a.result.retry_after.value_or(
                                                       std::chrono::seconds(1)))
                                                 : net::backoff_delay({o.backoff_base, o.backoff_max}, n, random);
            spdlog::warn("Slack {}: {}; sending again in {} ms (attempt {})", what, a.result.error, wait.count(),
                         n + 1);
            asio::steady_timer timer(ex, wait);
            co_await timer.async_wait(asio::use_awaitable);
        }
    }
};

namespace {

// A method name outside [A-Za-z0-9._] never leaves the process.
api_result invalid_method() {
    api_result r;
    r.ec = make_error_code(boost::system::errc::invalid_argument);
    r.error = "invalid Slack method name";
    r.delivered = delivery::not_sent;
    return r;
}

}  // namespace

web_api::web_api(asio::any_io_executor ex, web_api_options options)
    : options_(std::move(options)), impl_(std::make_unique<impl>(ex, options_)) {
    if (!options_.base_url.empty() && options_.base_url.back() != '/') options_.base_url += '/';
}

web_api::~web_api() = default;

asio::awaitable<api_result> web_api::call(std::string method, json args, token_kind token) {
    if (!valid_method(method)) co_return invalid_method();
    const std::string& t = token == token_kind::bot ? options_.bot_token : options_.app_token;
    const bool repeatable = safe_to_repeat(method);
    co_return co_await impl_->with_retries(options_, method, options_.base_url + method, std::move(args), &t,
                                           repeatable);
}

asio::awaitable<api_result> web_api::call_once(std::string method, json args, token_kind token) {
    if (!valid_method(method)) co_return invalid_method();
    const std::string& t = token == token_kind::bot ? options_.bot_token : options_.app_token;
    attempt_result a =
        co_await impl_->attempt(method, options_.base_url + method, args.dump(), &t, options_.max_retry_after);
    co_return std::move(a.result);
}

asio::awaitable<api_result> web_api::call_until_answered(std::string method, json args, token_kind token) {
    if (!valid_method(method) || !safe_to_repeat(method)) co_return invalid_method();
    const std::string& t = token == token_kind::bot ? options_.bot_token : options_.app_token;
    co_return co_await impl_->until_answered(options_, method, options_.base_url + method, std::move(args), &t);
}

asio::awaitable<api_result> web_api::post_response_url(std::string url, json body) {
    if (!(url.starts_with("https://") || url.starts_with("http://"))) {
        api_result r;
        r.ec = make_error_code(boost::system::errc::invalid_argument);
        r.error = "a response URL must be an http(s) URL";
        r.delivered = delivery::not_sent;
        co_return r;
    }
    co_return co_await impl_->with_retries(options_, "response_url", std::move(url), std::move(body), nullptr,
                                           false);
}

}  // namespace promotebot::slack
