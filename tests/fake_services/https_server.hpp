#pragma once
// The HTTPS server under the fakes of ServiceNow and Dynatrace: loopback, a
// port the OS chooses, a throwaway CA, its own thread. It records every
// request and asks a handler for the answer; the knobs of failure_mode make
// any answer late, an error status or unreadable. Every public member is
// thread-safe.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace promotebot::testing {

struct recorded_request {
    std::string method;                         // "GET"
    std::string path;                           // "/api/now/table/incident", percent-decoded
    std::string query;                          // the query string as sent (still encoded)
    std::map<std::string, std::string> params;  // the query's parameters, decoded
    std::string authorization;                  // the Authorization header as sent
    std::string accept;
};

struct http_reply {
    unsigned status = 200;
    std::string body;
    std::map<std::string, std::string> headers;
};

// How the service misbehaves, for every request until changed.
struct failure_mode {
    unsigned status = 0;                 // not 0: answer this status with the service's own error body
    std::chrono::milliseconds delay{0};  // answer this late (the request is recorded at once)
    bool malformed_body = false;         // answer 200 with JSON cut off in the middle
};

class https_server {
public:
    // `handler` runs on the server's thread, one request at a time.
    using handler = std::function<http_reply(const recorded_request&)>;
    // The body the service sends with an error status.
    using error_body = std::function<std::string(unsigned status)>;

    https_server(handler h, error_body errors);
    ~https_server();
    https_server(const https_server&) = delete;
    https_server& operator=(const https_server&) = delete;

    [[nodiscard]] std::string url() const;      // "https://127.0.0.1:<port>"
    [[nodiscard]] std::string ca_file() const;  // PEM of the CA that signed the server certificate

    void set_failure(failure_mode f);
    [[nodiscard]] std::vector<recorded_request> requests() const;
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Percent-decodes `s` ('+' as a space when `plus_is_space`); a broken escape is kept as it is.
std::string percent_decode(const std::string& s, bool plus_is_space);
// "Basic " + base64(user ":" password), as a client sends it.
std::string basic_authorization(const std::string& user, const std::string& password);

}  // namespace promotebot::testing
