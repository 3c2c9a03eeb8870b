#pragma once
// The app's Home tab in Slack: the state of releases at a glance, built fresh
// each time someone opens it. Freeze status now and the next window, the open
// promotion requests with their gates, the last deployments per environment,
// and the deploy locks held. Pure: the service reads the store and passes in
// what it found; every list is bounded here so that the view stays within
// Slack's limits however much the store holds.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <date/tz.h>

#include "commands/freeze/freeze_calendar.hpp"
#include "commands/message/message.hpp"
#include "commands/promotion/gate.hpp"

namespace promotebot::commands {

struct home_request {
    std::int64_t id = 0;
    std::string environment;   // "prod"
    std::string version;       // "v1.4.2"
    std::string status;        // the stored state name: "awaiting_signoffs", "deploying", …
    std::string requested_by;  // a Slack user ID
    sys_seconds created_at{};
    // In checklist order. nullopt when the stored request could not be read:
    // it is listed all the same, its gates as unreadable.
    std::optional<std::vector<gate_result>> gates;
};

struct home_deployment {
    std::int64_t id = 0;
    std::string version;
    std::string result;        // running, succeeded, failed, interrupted, cancelled
    std::string requested_by;  // a Slack user ID
    sys_seconds started_at{};
    std::optional<sys_seconds> ended_at;
};

struct home_environment {
    std::string name;                          // "prod"
    std::vector<home_deployment> deployments;  // newest first
};

struct home_lock {
    std::string environment;
    std::int64_t promotion_id = 0;
    std::string holder;  // a Slack user ID
    sys_seconds acquired_at{};
};

struct home_overview {
    freeze_status freeze;                      // at the time the view is built
    std::vector<home_request> open_requests;   // oldest first
    std::vector<home_environment> environments;
    std::vector<home_lock> locks;
};

// What the view shows at most; the rest is counted.
inline constexpr std::size_t max_home_requests = 20;
inline constexpr std::size_t max_home_deployments = 10;  // per environment
inline constexpr std::size_t max_home_gates = 15;        // per request
inline constexpr std::size_t max_home_evidence_chars = 120;

// The stored states of a request that has not ended (promotion.hpp's
// status_of names them): the requests the Home tab lists.
const std::vector<std::string>& open_request_states();

// The Home tab as a message: a header, then one body whose parts are
// titled in bold, then when it was built.
message home_message(const home_overview& o, sys_seconds now, const date::time_zone* zone);

}  // namespace promotebot::commands
