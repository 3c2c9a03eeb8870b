#include "integrations/servicenow/servicenow_gates.hpp"

#include "integrations/net/service_call.hpp"

namespace promotebot::servicenow {

namespace asio = boost::asio;
using commands::gate_state;

servicenow_change_gate::servicenow_change_gate(std::shared_ptr<servicenow_client> client)
    : client_(std::move(client)) {}

std::string servicenow_change_gate::id() const { return std::string(commands::gate_ids::change_record); }
std::string servicenow_change_gate::title() const { return std::string(commands::gate_titles::change_record); }

asio::awaitable<commands::gate_result> servicenow_change_gate::check(const bot::gate_subject& subject) {
    // The subject is copied before the first suspension: the caller's may not outlive it.
    const std::vector<std::string> numbers = subject.change_records;
    const auto now = subject.now;
    const bool emergency = subject.emergency;
    if (numbers.empty()) co_return commands::change_record_verdict({}, {}, now, emergency);
    for (const auto& n : numbers) {
        if (!valid_change_number(n)) {
            co_return commands::gate_answer(id(), title(), gate_state::fail,
                                            "not a Change Record number (CHG and 7 to 10 digits)");
        }
    }
    // Made before co_await: g++ 12 may destroy an owning temporary inside a co_await expression twice.
    auto lookup = client_->change_requests(numbers);
    table_rows<commands::change_request> found = co_await std::move(lookup);
    if (!found.ok()) co_return commands::gate_answer(id(), title(), gate_state::unknown, found.error);
    co_return commands::change_record_verdict(numbers, found.rows, now, emergency);
}

servicenow_incident_gate::servicenow_incident_gate(std::shared_ptr<servicenow_client> client)
    : client_(std::move(client)) {}

std::string servicenow_incident_gate::id() const { return std::string(commands::gate_ids::incidents); }
std::string servicenow_incident_gate::title() const { return std::string(commands::gate_titles::incidents); }

asio::awaitable<commands::gate_result> servicenow_incident_gate::check(const bot::gate_subject&) {
    auto lookup = client_->open_p1_p2_incidents();
    table_rows<commands::incident> open = co_await std::move(lookup);
    if (!open.ok()) co_return commands::gate_answer(id(), title(), gate_state::unknown, open.error);
    commands::gate_result r = commands::incident_verdict(open.rows);
    if (r.link.empty()) {
        // Where a person sees the same list: the incidents the query covers.
        std::string query = "active=true^priorityIN1,2";
        if (!client_->options().incident_query.empty()) query += "^" + client_->options().incident_query;
        r.link = client_->instance_url() + "/incident_list.do?sysparm_query=" +
                 net::percent_encoded(query);
    }
    co_return r;
}

}  // namespace promotebot::servicenow
