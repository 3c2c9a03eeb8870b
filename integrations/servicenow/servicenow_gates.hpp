#pragma once
// The two gates ServiceNow answers, on one shared client: the Change Record
// (every CR named in the request approved, in state and in its window) and
// open incidents (no active P1/P2 within the configured scope). The rules
// are commands/promotion/external_gates.hpp; these only fetch the facts. An
// outside failure answers gate_state::unknown with the reason as evidence.
#include <memory>
#include <string>

#include "bot/ports/gate_checker.hpp"
#include "integrations/servicenow/servicenow_client.hpp"

namespace promotebot::servicenow {

class servicenow_change_gate final : public bot::gate_checker {
public:
    explicit servicenow_change_gate(std::shared_ptr<servicenow_client> client);
    [[nodiscard]] std::string id() const override;     // "change_record"
    [[nodiscard]] std::string title() const override;  // "Change Record approved"
    boost::asio::awaitable<commands::gate_result> check(const bot::gate_subject& subject) override;

private:
    std::shared_ptr<servicenow_client> client_;
};

class servicenow_incident_gate final : public bot::gate_checker {
public:
    explicit servicenow_incident_gate(std::shared_ptr<servicenow_client> client);
    [[nodiscard]] std::string id() const override;     // "incidents"
    [[nodiscard]] std::string title() const override;  // "No open P1/P2 incident"
    boost::asio::awaitable<commands::gate_result> check(const bot::gate_subject& subject) override;

private:
    std::shared_ptr<servicenow_client> client_;
};

}  // namespace promotebot::servicenow
