#pragma once
// One gate of the checklist, asked about one promotion. Checkers that talk to
// outside systems (ServiceNow, Dynatrace, command checks) implement this in
// integrations/; the promotion service runs them concurrently, each with its
// own timeout, and feeds their answers to the state machine.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "commands/promotion/gate.hpp"

namespace promotebot::bot {

// What a gate is asked about.
struct gate_subject {
    std::int64_t promotion_id = 0;
    std::string version;                      // validated: "v1.2.3"
    std::string environment;                  // "int" / "prod"
    std::vector<std::string> change_records;  // validated: "CHG0012345"
    bool emergency = false;                   // an emergency request during a freeze
    // When this version started running in int, if the bot deployed it there.
    std::optional<std::chrono::sys_seconds> int_deployed_at;
    std::chrono::sys_seconds now{};
};

class gate_checker {
public:
    virtual ~gate_checker() = default;
    [[nodiscard]] virtual std::string id() const = 0;     // "change_record"
    [[nodiscard]] virtual std::string title() const = 0;  // "Change Record approved"
    // Never throws for an outside failure: an unreachable or unreadable
    // source answers gate_state::unknown with the reason as evidence.
    virtual boost::asio::awaitable<commands::gate_result> check(const gate_subject& subject) = 0;
};

}  // namespace promotebot::bot
