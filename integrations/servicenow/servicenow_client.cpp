#include "integrations/servicenow/servicenow_client.hpp"

#include <stdexcept>

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

#include "integrations/net/http_client.hpp"

namespace promotebot::servicenow {

namespace asio = boost::asio;

namespace {

std::string base64(std::string_view in) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve(4 * ((in.size() + 2) / 3));
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += alphabet[(v >> 6) & 63];
        out += alphabet[v & 63];
    }
    if (i < in.size()) {
        const bool two = i + 1 < in.size();
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                           (two ? static_cast<unsigned char>(in[i + 1]) << 8 : 0u);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += two ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

}  // namespace

bool read_servicenow_secrets(servicenow_options& options, const environment_lookup& env) {
    if (std::string token = env("SERVICENOW_TOKEN"); !token.empty()) options.token = std::move(token);
    std::string user = env("SERVICENOW_USERNAME");
    std::string password = env("SERVICENOW_PASSWORD");
    if (!user.empty() && !password.empty()) {
        options.username = std::move(user);
        options.password = std::move(password);
    }
    return !options.token.empty() || (!options.username.empty() && !options.password.empty());
}

struct servicenow_client::impl {
    servicenow_options options;
    std::string instance;
    std::string authorization;  // empty: no credentials
    net::service_description service;
    net::http_client client;

    impl(asio::any_io_executor ex, servicenow_options o)
        : options(std::move(o)), instance(checked_url(options)), authorization(authorization_of(options)),
          service{"ServiceNow", "the credentials", options.timeout}, client(ex, client_options(options)) {}

    static std::string checked_url(const servicenow_options& o) {
        auto url = normalized_instance_url(o.url);
        if (!url) throw std::invalid_argument("servicenow url must be an https:// URL without credentials or query");
        if (!valid_incident_query(o.incident_query)) {
            throw std::invalid_argument(
                "servicenow incident_query must be printable, at most 512 bytes, and must not start with OR or use ^NQ");
        }
        return *url;
    }

    static std::string authorization_of(const servicenow_options& o) {
        if (!o.token.empty()) return "Bearer " + o.token;
        if (!o.username.empty() && !o.password.empty()) return "Basic " + base64(o.username + ":" + o.password);
        return {};
    }

    static net::http_client_options client_options(const servicenow_options& o) {
        net::http_client_options c;
        c.ca_file = o.ca_file;
        c.timeout = o.timeout;
        c.max_response_bytes = 4 * 1024 * 1024;
        return c;
    }

    // The body of a 200 answer to a GET of `url`, or why there is none.
    asio::awaitable<net::service_answer> get(const std::string& url) {
        if (authorization.empty()) {
            net::service_answer none;
            none.failure =
                "no ServiceNow credentials (set SERVICENOW_TOKEN, or SERVICENOW_USERNAME and SERVICENOW_PASSWORD)";
            co_return none;
        }
        auto request = net::get_from_service(client, service, url, authorization);
        co_return co_await std::move(request);
    }

    template <class T, class Parse>
    asio::awaitable<table_rows<T>> read(const char* what, const std::string& url, Parse parse) {
        table_rows<T> out;
        auto request = get(url);
        net::service_answer answer = co_await std::move(request);
        if (answer.body) {
            out = parse(*answer.body, instance);
            if (!out.ok()) out.error = net::unreadable_answer(service, out.error);
        } else {
            out.error = std::move(answer.failure);
        }
        if (!out.ok()) spdlog::warn("ServiceNow {}: {}", what, out.error);
        co_return out;
    }
};

servicenow_client::servicenow_client(asio::any_io_executor ex, servicenow_options options)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(options))) {}

servicenow_client::~servicenow_client() = default;

asio::awaitable<table_rows<commands::change_request>> servicenow_client::change_requests(
    std::vector<std::string> numbers) {
    for (const auto& n : numbers) {
        if (!valid_change_number(n)) {
            table_rows<commands::change_request> refused;
            refused.error = "not a Change Record number (CHG and 7 to 10 digits)";
            co_return refused;
        }
    }
    if (numbers.empty()) co_return table_rows<commands::change_request>{};
    const std::string url = change_requests_url(impl_->instance, numbers);
    auto parse = [](std::string_view body, const std::string& instance) { return parse_change_requests(body, instance); };
    auto op = impl_->read<commands::change_request>("change_request lookup", url, parse);
    co_return co_await std::move(op);
}

asio::awaitable<table_rows<commands::incident>> servicenow_client::open_p1_p2_incidents() {
    const std::string url = open_incidents_url(impl_->instance, impl_->options.incident_query);
    auto parse = [](std::string_view body, const std::string& instance) { return parse_incidents(body, instance); };
    auto op = impl_->read<commands::incident>("incident lookup", url, parse);
    co_return co_await std::move(op);
}

const std::string& servicenow_client::instance_url() const { return impl_->instance; }
const servicenow_options& servicenow_client::options() const { return impl_->options; }

}  // namespace promotebot::servicenow
