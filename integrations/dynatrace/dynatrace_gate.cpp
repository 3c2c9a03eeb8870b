#include "integrations/dynatrace/dynatrace_gate.hpp"

#include <cstdlib>
#include <optional>
#include <stdexcept>

#include <boost/asio.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/verb.hpp>
#include <spdlog/spdlog.h>

#include "integrations/dynatrace/problems_api.hpp"
#include "integrations/net/bounded_json.hpp"
#include "integrations/net/http_client.hpp"

namespace promotebot::dynatrace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using commands::gate_state;

namespace {

bool is_timeout(const boost::system::error_code& ec) {
    return ec == boost::beast::error::timeout || ec == asio::error::timed_out;
}

// Dynatrace's own words on a refused request ({"error":{"message":...}}),
// printable and short, or nothing.
std::string error_message_of(const std::string& body) {
    const auto parsed = net::parse_bounded(body, {8, 64 * 1024});
    if (!parsed.ok() || !parsed.value.is_object()) return {};
    auto error = parsed.value.find("error");
    if (error == parsed.value.end() || !error->is_object()) return {};
    auto message = error->find("message");
    if (message == error->end() || !message->is_string()) return {};
    std::string text = message->get<std::string>();
    if (text.size() > 120) text.resize(120);
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) c = '?';
    }
    return text;
}

std::string status_failure(const net::http_response& res) {
    const std::string status = "HTTP " + std::to_string(res.status);
    if (res.status == 401 || res.status == 403) return "Dynatrace refused the API token (" + status + ")";
    if (res.status >= 500) return "Dynatrace answered " + status;
    const std::string message = error_message_of(res.body);
    return "Dynatrace answered " + status + (message.empty() ? "" : ": " + message);
}

}  // namespace

std::string process_environment(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string{};
}

bool read_dynatrace_secrets(dynatrace_options& options, const environment_lookup& env) {
    if (std::string token = env("DYNATRACE_API_TOKEN"); !token.empty()) options.api_token = std::move(token);
    return !options.api_token.empty();
}

struct dynatrace_gate::impl {
    dynatrace_options options;
    std::string environment;
    std::string url;  // the problems query: fixed by the configuration
    net::http_client client;

    impl(asio::any_io_executor ex, dynatrace_options o)
        : options(std::move(o)), environment(checked_url(options)), url(problems_url(environment, options.problem_selector)),
          client(ex, client_options(options)) {}

    static std::string checked_url(const dynatrace_options& o) {
        auto url = normalized_environment_url(o.url);
        if (!url) throw std::invalid_argument("dynatrace url must be an https:// URL without credentials or query");
        if (!valid_problem_selector(o.problem_selector)) {
            throw std::invalid_argument(
                "dynatrace problem_selector must be printable, at most 512 bytes, and must not select a status");
        }
        return *url;
    }

    static net::http_client_options client_options(const dynatrace_options& o) {
        net::http_client_options c;
        c.ca_file = o.ca_file;
        c.timeout = o.timeout;
        c.max_response_bytes = 8 * 1024 * 1024;
        return c;
    }

    // The body of a 200 answer, or why there is none.
    asio::awaitable<std::optional<std::string>> get(std::string& failure) {
        if (options.api_token.empty()) {
            failure = "no Dynatrace API token (set DYNATRACE_API_TOKEN)";
            co_return std::nullopt;
        }
        for (int attempt = 1;; ++attempt) {
            std::optional<net::http_response> res;
            bool timed_out = false;
            std::vector<std::pair<std::string, std::string>> headers{{"Accept", "application/json"},
                                                                     {"Authorization", "Api-Token " + options.api_token}};
            std::string target = url;
            std::string no_body;
            try {
                // Made before co_await: g++ 12 may destroy owning temporaries inside a co_await expression twice.
                auto request = client.request(http::verb::get, std::move(target), std::move(no_body), std::move(headers));
                res = co_await std::move(request);
            } catch (const net::request_error& e) {
                timed_out = is_timeout(e.code());
                failure = timed_out ? "Dynatrace did not answer within " + std::to_string(options.timeout.count()) + " ms"
                                    : "Dynatrace could not be reached (" + e.code().message() + ")";
            } catch (const boost::system::system_error&) {
                failure = "the Dynatrace URL is not usable";
                co_return std::nullopt;
            }
            if (res) {
                if (res->status == 200) co_return std::move(res->body);
                failure = status_failure(*res);
                co_return std::nullopt;
            }
            if (timed_out || attempt >= 2) co_return std::nullopt;
        }
    }
};

dynatrace_gate::dynatrace_gate(asio::any_io_executor ex, dynatrace_options options)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(options))) {}

dynatrace_gate::~dynatrace_gate() = default;

std::string dynatrace_gate::id() const { return std::string(commands::gate_ids::performance); }
std::string dynatrace_gate::title() const { return std::string(commands::gate_titles::performance); }

asio::awaitable<commands::gate_result> dynatrace_gate::check(const bot::gate_subject&) {
    std::string failure;
    auto fetch = impl_->get(failure);
    std::optional<std::string> body = co_await std::move(fetch);
    if (body) {
        open_problems parsed = parse_problems(*body);
        if (parsed.ok()) co_return commands::performance_verdict(parsed.problems, problems_link(impl_->environment), parsed.total);
        failure = "Dynatrace's answer could not be read: " + parsed.error;
    }
    spdlog::warn("Dynatrace problems lookup: {}", failure);
    co_return commands::gate_answer(id(), title(), gate_state::unknown, failure);
}

}  // namespace promotebot::dynatrace
