#pragma once
// An in-process fake of Dynatrace's problems API v2 (GET /api/v2/problems)
// over HTTPS on loopback. Problems are JSON objects shaped like the API's
// (problemId, displayId, title, status OPEN|CLOSED, severityLevel,
// startTime in ms, managementZones [{id, name}], ...). It evaluates the
// problemSelector it is sent (status, managementZones, managementZoneIds,
// severityLevel, impactLevel, displayId, problemId; comma-separated, quoted
// values), honours pageSize, and refuses a request without the right
// "Api-Token" with Dynatrace's 401 body; a selector it does not understand is
// answered 400 with Dynatrace's constraint violation. Every public member is
// thread-safe.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/fake_services/https_server.hpp"

namespace promotebot::testing {

struct fake_dynatrace_options {
    std::string api_token = "dt0c01.FAKEFAKEFAKE.fake-dynatrace-secret";
};

class fake_dynatrace {
public:
    explicit fake_dynatrace(fake_dynatrace_options options = {});
    ~fake_dynatrace();
    fake_dynatrace(const fake_dynatrace&) = delete;
    fake_dynatrace& operator=(const fake_dynatrace&) = delete;

    [[nodiscard]] std::string url() const;      // "https://127.0.0.1:<port>": the environment URL
    [[nodiscard]] std::string ca_file() const;
    [[nodiscard]] const fake_dynatrace_options& options() const;

    // Adds a problem; missing problemId, displayId, startTime and endTime are made up.
    void add_problem(nlohmann::json problem);
    void clear_problems();

    void set_failure(failure_mode f);
    [[nodiscard]] std::vector<recorded_request> requests() const;
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace promotebot::testing
