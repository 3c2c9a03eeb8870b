#pragma once
// Reading a JSON API of an outside service (a change system, a monitoring
// tool) for a gate: one GET over http_client, sent once more after a
// transport failure that provably did not time out (a GET is safe to
// repeat; a timeout already used the time the gate has), and every outcome
// that is not a 200 told as a short evidence text for a person. The texts
// name the service and what it calls its credentials, as the caller passes
// them; never the credentials, the path or the query (both may be secrets).
// Also the pieces every such adapter needs: its base URL checked and
// normalised, percent-encoding, an environment lookup.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "integrations/net/http_client.hpp"

namespace promotebot::net {

// Looks a variable up; empty when unset.
using environment_lookup = std::function<std::string(const char* name)>;
// The process environment, as an environment_lookup.
std::string process_environment(const char* name);

// An https:// base URL (https://example.service-now.com, or with a path
// such as /e/<id>) without credentials, query or fragment, without its
// trailing slashes; nullopt when it is not one.
[[nodiscard]] std::optional<std::string> normalized_https_url(std::string_view url);

// `s` percent-encoded except for RFC 3986 unreserved characters: safe as a
// query parameter's value.
[[nodiscard]] std::string percent_encoded(std::string_view s);

// "\"key\" what", for a text on why a field of an answer cannot be read.
[[nodiscard]] std::string field_says(const char* key, const char* what);

struct service_description {
    std::string name;         // "ServiceNow": the first word of every evidence text
    std::string credentials;  // "the credentials", "the API token": what an HTTP 401 or 403 refused
    std::chrono::milliseconds timeout{10000};  // as given to the http_client: told when it ran out
};

// The body of a 200 answer, or why there is none.
struct service_answer {
    std::optional<std::string> body;
    std::string failure;  // set when there is no body
};

// Why an answer that is not a 200 cannot be used: "<name> refused
// <credentials> (HTTP 401)", "<name> answered HTTP 500", or "<name>
// answered HTTP 404: <the service's own error.message, printable, short>".
[[nodiscard]] std::string status_failure(const service_description& service, const http_response& res);

// "<name>'s answer could not be read: <why>"
[[nodiscard]] std::string unreadable_answer(const service_description& service, std::string_view why);

// GETs `url` with Accept: application/json and the given Authorization
// header value. Never throws on an outside failure: a timeout, an
// unreachable service, an unusable URL or an answer other than 200 come
// back as `failure`. `client` must outlive the returned awaitable.
boost::asio::awaitable<service_answer> get_from_service(http_client& client, service_description service,
                                                         std::string url, std::string authorization);

}  // namespace promotebot::net
