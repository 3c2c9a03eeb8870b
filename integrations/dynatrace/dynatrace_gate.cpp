#include "integrations/dynatrace/dynatrace_gate.hpp"

#include <stdexcept>

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include "integrations/dynatrace/problems_api.hpp"
#include "integrations/net/http_client.hpp"

namespace promotebot::dynatrace {

namespace asio = boost::asio;
using commands::gate_state;

bool read_dynatrace_secrets(dynatrace_options& options, const environment_lookup& env) {
    if (std::string token = env("DYNATRACE_API_TOKEN"); !token.empty()) options.api_token = std::move(token);
    return !options.api_token.empty();
}

struct dynatrace_gate::impl {
    dynatrace_options options;
    std::string environment;
    std::string url;  // the problems query: fixed by the configuration
    net::service_description service;
    net::http_client client;

    impl(asio::any_io_executor ex, dynatrace_options o)
        : options(std::move(o)), environment(checked_url(options)), url(problems_url(environment, options.problem_selector)),
          service{"Dynatrace", "the API token", options.timeout}, client(ex, client_options(options)) {}

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
    asio::awaitable<net::service_answer> get() {
        if (options.api_token.empty()) {
            net::service_answer none;
            none.failure = "no Dynatrace API token (set DYNATRACE_API_TOKEN)";
            co_return none;
        }
        auto request = net::get_from_service(client, service, url, "Api-Token " + options.api_token);
        co_return co_await std::move(request);
    }
};

dynatrace_gate::dynatrace_gate(asio::any_io_executor ex, dynatrace_options options)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(options))) {}

dynatrace_gate::~dynatrace_gate() = default;

std::string dynatrace_gate::id() const { return std::string(commands::gate_ids::performance); }
std::string dynatrace_gate::title() const { return std::string(commands::gate_titles::performance); }

asio::awaitable<commands::gate_result> dynatrace_gate::check(const bot::gate_subject&) {
    auto fetch = impl_->get();
    net::service_answer answer = co_await std::move(fetch);
    std::string failure = std::move(answer.failure);
    if (answer.body) {
        open_problems parsed = parse_problems(*answer.body);
        if (parsed.ok()) co_return commands::performance_verdict(parsed.problems, problems_link(impl_->environment), parsed.total);
        failure = net::unreadable_answer(impl_->service, parsed.error);
    }
    spdlog::warn("Dynatrace problems lookup: {}", failure);
    co_return commands::gate_answer(id(), title(), gate_state::unknown, failure);
}

}  // namespace promotebot::dynatrace
