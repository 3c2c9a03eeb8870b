#include "commands/rollback/rollback_json.hpp"

#include <stdexcept>

#include "commands/promotion/document_json.hpp"

namespace promotebot::commands {

namespace {

using json = nlohmann::json;

const document_reader rd{"rollback document"};

}  // namespace

json to_json(const rollback& r) {
    return {{"id", r.id},
            {"kind", std::string(to_string(r.what))},
            {"environment", std::string(to_string(r.env))},
            {"requester", r.requester},
            {"channel", r.channel},
            {"created_at", seconds_of(r.created_at)},
            {"current_version", r.current_version},
            {"target_version", r.target_version},
            {"target_why", r.target_why},
            {"target_known_good", r.target_known_good},
            {"target_deployed_by", r.target_deployed_by},
            {"target_deployed_at", optional_time_json(r.target_deployed_at)},
            {"dbt_models", r.dbt_models},
            {"infra_ref", r.infra_ref},
            {"cancels_promotion", r.cancels_promotion},
            {"last_promotion", r.last_promotion},
            {"last_promotion_version", r.last_promotion_version},
            {"deployment_id", r.deployment_id},
            {"override_needed", r.override_needed},
            {"emergency_approved_by", r.emergency_approved_by},
            {"on_call_present", r.on_call_present},
            {"phase", std::string(to_string(r.ph))},
            {"confirmed_by", r.confirmed_by},
            {"confirmed_at", optional_time_json(r.confirmed_at)},
            {"frozen_at_confirm", r.frozen_at_confirm},
            {"steps", steps_json(r.steps)},
            {"plan_summary", r.plan_summary},
            {"apply_approved_by", r.apply_approved_by},
            {"outcome", r.outcome},
            {"ended_at", optional_time_json(r.ended_at)}};
}

rollback rollback_from_json(const json& j) {
    if (!j.is_object()) rd.bad("not an object");
    rollback r;
    r.id = rd.number(j, "id");
    const auto kind = rollback_kind_named(rd.text(j, "kind"));
    if (!kind) rd.bad("unknown kind");
    r.what = *kind;
    r.env = rd.environment_of(j, "environment");
    r.requester = rd.text(j, "requester");
    r.channel = rd.text(j, "channel");
    r.created_at = rd.time(j, "created_at");
    r.current_version = rd.text_or(j, "current_version");
    r.target_version = rd.text_or(j, "target_version");
    r.target_why = rd.text_or(j, "target_why");
    r.target_known_good = rd.flag(j, "target_known_good");
    r.target_deployed_by = rd.text_or(j, "target_deployed_by");
    r.target_deployed_at = rd.optional_time(j, "target_deployed_at");
    r.dbt_models = rd.texts(j, "dbt_models");
    r.infra_ref = rd.text_or(j, "infra_ref");
    r.cancels_promotion = rd.number(j, "cancels_promotion");
    // Added after the first rollbacks were stored: absent means none.
    r.last_promotion = j.contains("last_promotion") ? rd.number(j, "last_promotion") : 0;
    r.last_promotion_version = rd.text_or(j, "last_promotion_version");
    r.deployment_id = j.contains("deployment_id") ? rd.number(j, "deployment_id") : 0;
    r.override_needed = j.contains("override_needed") && rd.flag(j, "override_needed");
    r.emergency_approved_by = rd.text_or(j, "emergency_approved_by");
    r.on_call_present = rd.text_or(j, "on_call_present");
    const auto ph = rollback_phase_named(rd.text(j, "phase"));
    if (!ph) rd.bad("unknown phase");
    r.ph = *ph;
    r.confirmed_by = rd.text_or(j, "confirmed_by");
    r.confirmed_at = rd.optional_time(j, "confirmed_at");
    r.frozen_at_confirm = rd.flag(j, "frozen_at_confirm");
    r.steps = rd.steps(j, "steps");
    r.plan_summary = rd.text_or(j, "plan_summary");
    r.apply_approved_by = rd.text_or(j, "apply_approved_by");
    r.outcome = rd.text_or(j, "outcome");
    r.ended_at = rd.optional_time(j, "ended_at");
    return r;
}

}  // namespace promotebot::commands
