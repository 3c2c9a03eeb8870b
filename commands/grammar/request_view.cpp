#include "commands/grammar/request_view.hpp"

#include "commands/message/text.hpp"

namespace promotebot::commands {

message describe_request(const promote_request& r) {
    message m;
    m.header = "Promotion request understood: " + r.version + " to " + std::string{to_string(r.target)};
    m.fields.push_back({"Version", r.version});
    m.fields.push_back({"Target", std::string{to_string(r.target)}});
    m.fields.push_back({"Change records", r.change_records.empty() ? "none given" : join(r.change_records, ", ")});
    m.fields.push_back({"Terraform changes", r.infra ? "yes (Option A: plan and apply)" : "no (Option B: image)"});
    m.fields.push_back({"Emergency", r.emergency ? "yes (VP approval, on-call present, rollback plan)" : "no"});
    if (!r.override_bad_reason.empty())
        m.fields.push_back({"Promoted although marked bad", r.override_bad_reason});
    m.text = "The `/promote` workflow (gates, sign-offs and deployment) is not available yet: nothing was "
             "started. Follow the runbook by hand for now.";
    return m;
}

message describe_request(const rollback_request& r) {
    message m;
    switch (r.what) {
    case rollback_request::kind::image:
        m.header = "Rollback request understood: " + std::string{to_string(r.target)} + " image to " +
                   (r.to_version ? *r.to_version : std::string{"the previous good version"});
        break;
    case rollback_request::kind::dbt:
        m.header = std::string{r.dbt_models.size() == 1 ? "Rollback request understood: dbt model "
                                                        : "Rollback request understood: dbt models "} +
                   join(r.dbt_models, ", ") + " with --full-refresh";
        break;
    case rollback_request::kind::infra:
        m.header = "Rollback request understood: Terraform revert in " + std::string{to_string(r.target)};
        break;
    }
    m.text = "The `/rollback` workflow is not available yet: nothing was started. Follow the runbook's Rollback "
             "Procedure by hand for now.";
    return m;
}

message help_message(const help_request& h) {
    message m;
    m.header = "Help for " + h.command;
    m.text = h.text;
    return m;
}

message refusal_message(const std::string& reason) {
    message m;
    m.header = ":no_entry_sign: Not allowed";
    m.text = reason;
    return m;
}

}  // namespace promotebot::commands
