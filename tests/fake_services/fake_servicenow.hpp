#pragma once
// An in-process fake of ServiceNow's Table API (GET /api/now/table/<table>)
// for the change_request and incident tables, over HTTPS on loopback. Rows
// are JSON objects of strings, as the API stores them with display values
// off. It evaluates the encoded sysparm_query it is sent (conditions joined
// by ^: field=value, field!=value, fieldINa,b), honours sysparm_fields and
// sysparm_limit, answers X-Total-Count, and refuses a request without the
// right Basic or Bearer credentials with ServiceNow's 401 body. A condition
// it does not understand is answered 400 so that a test sees it.
// Every public member is thread-safe.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fake_services/https_server.hpp"

namespace promotebot::testing {

struct fake_servicenow_options {
    std::string username = "promotebot.integration";
    std::string password = "fake-servicenow-password";
    std::string token = "fake-servicenow-oauth-token";  // accepted as "Bearer <token>"
};

class fake_servicenow {
public:
    explicit fake_servicenow(fake_servicenow_options options = {});
    ~fake_servicenow();
    fake_servicenow(const fake_servicenow&) = delete;
    fake_servicenow& operator=(const fake_servicenow&) = delete;

    [[nodiscard]] std::string url() const;      // "https://127.0.0.1:<port>": the instance URL
    [[nodiscard]] std::string ca_file() const;  // PEM of the CA that signed the server certificate
    [[nodiscard]] const fake_servicenow_options& options() const;

    // Adds a row to "change_request" or "incident"; a row without sys_id gets one.
    void add_record(const std::string& table, nlohmann::json row);
    void clear_records(const std::string& table);

    void set_failure(failure_mode f);
    [[nodiscard]] std::vector<recorded_request> requests() const;
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace promotebot::testing
