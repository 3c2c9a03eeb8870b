#include "integrations/net/service_call.hpp"

#include <cstdlib>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url_view.hpp>

#include "integrations/net/bounded_json.hpp"

namespace promotebot::net {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

bool is_timeout(const boost::system::error_code& ec) {
    return ec == boost::beast::error::timeout || ec == asio::error::timed_out;
}

// The service's own words on a refused request ({"error":{"message":...}}),
// printable and short, or nothing: the body is hostile and goes into a
// message a person reads.
std::string error_message_of(const std::string& body) {
    const auto parsed = parse_bounded(body, {8, 64 * 1024});
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

}  // namespace

std::string process_environment(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string{};
}

std::optional<std::string> normalized_https_url(std::string_view url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return std::nullopt;
    const boost::urls::url_view u = *parsed;
    if (u.scheme() != "https" || u.encoded_host().empty() || u.has_userinfo() || u.has_query() || u.has_fragment())
        return std::nullopt;
    std::string out(url);
    while (!out.empty() && out.back() == '/') out.pop_back();
    return out;
}

std::string percent_encoded(std::string_view s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

// Built by appending: g++ 12 warns falsely on chained + of a literal.
std::string field_says(const char* key, const char* what) {
    std::string out = "\"";
    out.append(key);
    out.append("\"");
    out.append(what);
    return out;
}

std::string status_failure(const service_description& service, const http_response& res) {
    const std::string status = "HTTP " + std::to_string(res.status);
    if (res.status == 401 || res.status == 403) {
        return service.name + " refused " + service.credentials + " (" + status + ")";
    }
    if (res.status >= 500) return service.name + " answered " + status;
    const std::string message = error_message_of(res.body);
    return service.name + " answered " + status + (message.empty() ? "" : ": " + message);
}

std::string unreadable_answer(const service_description& service, std::string_view why) {
    std::string out = service.name;
    out.append("'s answer could not be read: ");
    out.append(why);
    return out;
}

asio::awaitable<service_answer> get_from_service(http_client& client, service_description service, std::string url,
                                                 std::string authorization) {
    service_answer out;
    for (int attempt = 1;; ++attempt) {
        std::optional<http_response> res;
        bool timed_out = false;
        std::vector<std::pair<std::string, std::string>> headers{{"Accept", "application/json"},
                                                                 {"Authorization", authorization}};
        std::string target = url;
        std::string no_body;
        try {
            // Made before co_await: g++ 12 may destroy owning temporaries inside a co_await expression twice.
            auto request = client.request(http::verb::get, std::move(target), std::move(no_body), std::move(headers));
            res = co_await std::move(request);
        } catch (const request_error& e) {
            timed_out = is_timeout(e.code());
            out.failure = timed_out ? service.name + " did not answer within " +
                                          std::to_string(service.timeout.count()) + " ms"
                                    : service.name + " could not be reached (" + e.code().message() + ")";
        } catch (const boost::system::system_error&) {
            out.failure = "the " + service.name + " URL is not usable";
            co_return out;
        }
        if (res) {
            if (res->status == 200) {
                out.body = std::move(res->body);
                out.failure.clear();
            } else {
                out.failure = status_failure(service, *res);
            }
            co_return out;
        }
        if (timed_out || attempt >= 2) co_return out;
    }
}

}  // namespace promotebot::net
