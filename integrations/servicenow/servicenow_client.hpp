#pragma once
// Reads change requests and open incidents from a ServiceNow instance over
// HTTPS (Table API, display values off), with Basic or Bearer credentials.
// An outside failure never throws: unreachable, timed out, credentials
// refused, an error status or an unreadable answer come back as a short
// reason for a person, which names neither the credentials nor the query.
// A GET that failed in transport is sent once more (a GET is safe to repeat),
// unless it timed out: that already used the time the gate has.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "commands/promotion/external_gates.hpp"
#include "integrations/net/service_call.hpp"
#include "integrations/servicenow/table_api.hpp"

namespace promotebot::servicenow {

struct servicenow_options {
    std::string url;             // instance URL: https://example.service-now.com
    std::string username;        // Basic auth, with password (SERVICENOW_USERNAME, SERVICENOW_PASSWORD)
    std::string password;
    std::string token;           // Bearer token (SERVICENOW_TOKEN); preferred over username and password
    std::string ca_file;         // extra trust anchors besides the system's
    std::string incident_query;  // extra conditions on open incidents: "cmdb_ci=...^assignment_group=..."
    std::chrono::milliseconds timeout{10000};  // connect + TLS; then each of write and read
};

// Looks a variable up; empty when unset. The default reads the process environment.
using environment_lookup = net::environment_lookup;
using net::process_environment;

// Fills the credentials from SERVICENOW_TOKEN, or SERVICENOW_USERNAME and
// SERVICENOW_PASSWORD (both), leaving the options' values where a variable is
// unset. Returns whether the options then hold usable credentials.
bool read_servicenow_secrets(servicenow_options& options, const environment_lookup& env = process_environment);

class servicenow_client {
public:
    // Throws std::invalid_argument when options.url is not an https:// URL
    // without credentials, or options.incident_query could widen the query;
    // std::runtime_error when the CA file cannot be loaded.
    servicenow_client(boost::asio::any_io_executor ex, servicenow_options options);
    ~servicenow_client();
    servicenow_client(const servicenow_client&) = delete;
    servicenow_client& operator=(const servicenow_client&) = delete;

    // The change requests with these numbers (each valid_change_number);
    // the ones ServiceNow does not have are simply absent.
    boost::asio::awaitable<table_rows<commands::change_request>> change_requests(std::vector<std::string> numbers);
    // Active incidents of priority 1 or 2 that match options.incident_query.
    boost::asio::awaitable<table_rows<commands::incident>> open_p1_p2_incidents();

    // The instance URL without trailing slash: for links.
    [[nodiscard]] const std::string& instance_url() const;
    [[nodiscard]] const servicenow_options& options() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace promotebot::servicenow
