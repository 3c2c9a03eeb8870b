#include "bot/main/gate_wiring.hpp"

#include "bot/services/command_gates.hpp"
#include "integrations/dynatrace/dynatrace_gate.hpp"
#include "integrations/servicenow/servicenow_client.hpp"
#include "integrations/servicenow/servicenow_gates.hpp"

namespace promotebot::bot {

gate_checkers real_gate_checkers(boost::asio::any_io_executor ex, const config& cfg, process_runner& runner,
                                 const commands::redactor& redact, const std::string& ca_file) {
    gate_checkers out;
    out["soak"] = make_soak_gate(cfg, runner, redact);
    out["pipeline_cycles"] = make_cycles_gate(cfg, runner, redact);
    for (const auto& c : cfg.promotion.checks) out[c.id] = make_command_check(cfg, c, runner, redact);

    servicenow::servicenow_options sn;
    sn.url = cfg.servicenow.url;
    sn.incident_query = cfg.servicenow.incident_query;
    sn.timeout = cfg.servicenow.timeout;
    sn.ca_file = ca_file;
    const bool sn_credentials = servicenow::read_servicenow_secrets(sn);
    if (sn.url.empty()) {
        out["incidents"] = make_unconfigured_gate("incidents", gate_title(cfg, "incidents"), "servicenow.url is not set");
        out["change_record"] =
            make_unconfigured_gate("change_record", gate_title(cfg, "change_record"), "servicenow.url is not set");
    } else if (!sn_credentials) {
        const std::string why = "no ServiceNow credentials: set SERVICENOW_USERNAME and SERVICENOW_PASSWORD, or SERVICENOW_TOKEN";
        out["incidents"] = make_unconfigured_gate("incidents", gate_title(cfg, "incidents"), why);
        out["change_record"] = make_unconfigured_gate("change_record", gate_title(cfg, "change_record"), why);
    } else {
        auto client = std::make_shared<servicenow::servicenow_client>(ex, sn);
        out["incidents"] = std::make_shared<servicenow::servicenow_incident_gate>(client);
        out["change_record"] = std::make_shared<servicenow::servicenow_change_gate>(client);
    }

    dynatrace::dynatrace_options dt;
    dt.url = cfg.dynatrace.url;
    dt.problem_selector = cfg.dynatrace.problem_selector;
    dt.timeout = cfg.dynatrace.timeout;
    dt.ca_file = ca_file;
    const bool dt_token = dynatrace::read_dynatrace_secrets(dt);
    if (dt.url.empty())
        out["performance"] = make_unconfigured_gate("performance", gate_title(cfg, "performance"), "dynatrace.url is not set");
    else if (!dt_token)
        out["performance"] = make_unconfigured_gate("performance", gate_title(cfg, "performance"),
                                                    "no Dynatrace token: set DYNATRACE_API_TOKEN");
    else
        out["performance"] = std::make_shared<dynatrace::dynatrace_gate>(ex, dt);
    return out;
}

gate_checkers simulated_gate_checkers(const config& cfg, std::shared_ptr<gate_fixtures> fixtures) {
    gate_checkers out;
    std::set<std::string> ids{"soak", "pipeline_cycles", "incidents", "change_record", "performance"};
    for (const auto& c : cfg.promotion.checks) ids.insert(c.id);
    for (const auto& id : ids) out[id] = make_simulated_gate(id, gate_title(cfg, id), fixtures);
    return out;
}

}  // namespace promotebot::bot
