#include "commands/rollback/rollback_view.hpp"

#include <charconv>

#include "commands/message/text.hpp"
#include "commands/promotion/promotion_view.hpp"

namespace promotebot::commands {

namespace {

// Slack refuses a confirm dialog's text over 300 characters.
constexpr std::size_t max_dialog_chars = 300;

std::string bounded(std::string s, std::size_t n) {
    if (s.size() <= n) return s;
    std::size_t cut = n;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
    return s.substr(0, cut) + "…";
}

std::string short_time(sys_seconds t, const date::time_zone* zone) {
    if (zone == nullptr) return date::format("%d %b %H:%M UTC", t);
    return date::format("%d %b %H:%M", date::zoned_time{zone, t});
}

std::string env_name(const rollback& r) { return std::string(to_string(r.env)); }

rich_text status_sentence(const rollback& r, const rollback_policy& policy) {
    switch (r.ph) {
    case rollback_phase::proposed: {
        rich_text t{"Nothing has changed yet. Press Roll back to start."};
        if (r.cancels_promotion != 0)
            t.append(" Promotion #" + std::to_string(r.cancels_promotion) +
                     " is deploying: rolling back cancels it.");
        return t;
    }
    case rollback_phase::running: {
        for (const auto& s : r.steps)
            if (s.state == line_state::running && s.kind == step_kind::verify_jobs)
                return "Verifying: waiting for the first pipeline run after the change.";
        return "Rolling back…";
    }
    case rollback_phase::awaiting_apply: return "The Terraform plan waits for a Release Manager's Apply.";
    case rollback_phase::done:
        switch (r.what) {
        case rollback_kind::image: return "Done: " + env_name(r) + " runs " + r.target_version + " again.";
        case rollback_kind::dbt: return "Done: the dbt models are rebuilt.";
        case rollback_kind::infra: return "Done: the Terraform of " + env_name(r) + " is back at " + r.infra_ref + ".";
        }
        return "Done.";
    case rollback_phase::failed: return "Failed: " + r.outcome + ". Check " + env_name(r) + " now.";
    case rollback_phase::cancelled: return "Cancelled (" + r.outcome + ").";
    case rollback_phase::expired:
        return "Expired: not confirmed within " +
               std::to_string(std::chrono::duration_cast<std::chrono::minutes>(policy.proposal_ttl).count()) +
               " minutes. Nothing was changed.";
    case rollback_phase::interrupted:
        return "Interrupted: promotebot stopped while rolling back (" + r.outcome + "). Nothing was re-run. Check " +
               env_name(r) + ".";
    }
    return std::string(to_string(r.ph));
}

button make_button(std::string label, std::string_view action_id, std::string value,
                   button_style style = button_style::normal) {
    button b;
    b.label = std::move(label);
    b.action_id = std::string(action_id);
    b.value = std::move(value);
    b.style = style;
    return b;
}

button confirmed(button b, std::string title, std::string text, std::string confirm_label) {
    b.confirm = confirm_dialog{std::move(title), bounded(std::move(text), max_dialog_chars), std::move(confirm_label),
                               "Cancel"};
    return b;
}

}  // namespace

bool is_rollback_action(std::string_view action_id) { return action_id.rfind("rollback.", 0) == 0; }

std::optional<rollback_button> rollback_button_of(std::string_view action_id, std::string_view value) {
    rollback_button b;
    if (value.empty() || value.size() > 18) return std::nullopt;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), b.rollback_id);
    if (ec != std::errc{} || end != value.data() + value.size() || b.rollback_id <= 0) return std::nullopt;
    namespace rb = rollback_buttons;
    if (action_id == rb::confirm) b.button = rollback_button::what::confirm;
    else if (action_id == rb::apply) b.button = rollback_button::what::apply;
    else if (action_id == rb::cancel) b.button = rollback_button::what::cancel;
    else if (action_id == rb::emergency) b.button = rollback_button::what::emergency;
    else if (action_id == rb::on_call) b.button = rollback_button::what::on_call;
    else return std::nullopt;
    return b;
}

message rollback_message(const rollback& r, const rollback_policy& policy, sys_seconds now,
                         const date::time_zone* zone) {
    message m;
    const auto id = std::to_string(r.id);
    const auto env = env_name(r);
    m.header = "Rollback #" + id + ": " + rollback_title(r);
    m.text = status_sentence(r, policy);

    switch (r.what) {
    case rollback_kind::image: {
        m.fields.push_back({"Running before", r.current_version});
        m.fields.push_back({"Rolling back to", r.target_version});
        if (r.target_known_good && !r.target_deployed_by.empty()) {
            rich_text last{"by "};
            last.append(user_mention(r.target_deployed_by));
            if (r.target_deployed_at) last.append(" on " + short_time(*r.target_deployed_at, zone));
            m.fields.push_back({"Last deployed", std::move(last)});
        } else {
            m.fields.push_back({"Why this version", bounded(r.target_why, 300)});
        }
        break;
    }
    case rollback_kind::dbt: m.fields.push_back({"Models", join(r.dbt_models, ", ")}); break;
    case rollback_kind::infra: m.fields.push_back({"Restore to", r.infra_ref}); break;
    }
    m.fields.push_back({"Requested by", rich_text{user_mention(r.requester)}});
    if (!r.confirmed_by.empty()) m.fields.push_back({"Confirmed by", rich_text{user_mention(r.confirmed_by)}});
    if (!r.apply_approved_by.empty())
        m.fields.push_back({"Plan applied by", rich_text{user_mention(r.apply_approved_by)}});

    add_step_lines(m, r.steps, now, r.ph == rollback_phase::failed || r.ph == rollback_phase::interrupted);
    if (r.what == rollback_kind::infra && is_terminal(r.ph) && r.ph != rollback_phase::done) {
        const auto done = completed_steps(r);
        if (!done.empty())
            m.context.push_back("The Terraform working copy is not restored. Completed: " + join(done, ", ") + ".");
    }
    if (r.what == rollback_kind::dbt && (r.ph == rollback_phase::proposed || r.ph == rollback_phase::running)) {
        std::string pr = "The runbook's first step is yours: revert the model code in a pull request, so the next "
                         "promotion does not bring it back.";
        if (r.last_promotion != 0)
            pr += " The last change to " + env + " was promotion #" + std::to_string(r.last_promotion) +
                  (r.last_promotion_version.empty() ? "" : " (" + r.last_promotion_version + ")") + ".";
        m.context.push_back(pr);
    }
    if (r.override_needed && r.ph == rollback_phase::proposed && !r.emergency_approved_by.empty() &&
        !r.on_call_present.empty()) {
        m.context.push_back(rich_text{"The emergency override is complete (VP "}
                                .append(user_mention(r.emergency_approved_by))
                                .append(", on-call ")
                                .append(user_mention(r.on_call_present))
                                .append(" present): Roll back goes ahead despite the freeze."));
    } else if (r.override_needed && r.ph == rollback_phase::proposed) {
        rich_text o{"A change freeze holds this rollback back: it needs the emergency override. VP: "};
        if (r.emergency_approved_by.empty()) o.append("waiting");
        else o.append(user_mention(r.emergency_approved_by));
        o.append(" · on-call present: ");
        if (r.on_call_present.empty()) o.append("waiting");
        else o.append(user_mention(r.on_call_present));
        m.context.push_back(std::move(o));
    }
    if (r.frozen_at_confirm && r.emergency_approved_by.empty())
        m.context.push_back("Confirmed during a change freeze: " + r.target_version + " ran in " + env +
                            " before, so the rollback was allowed and recorded.");

    namespace rb = rollback_buttons;
    switch (r.ph) {
    case rollback_phase::proposed:
        m.buttons.push_back(confirmed(make_button("Roll back", rb::confirm, id, button_style::danger),
                                      "Roll back " + env + "?", confirm_text(r), "Roll back"));
        m.buttons.push_back(make_button("Cancel", rb::cancel, id));
        if (r.override_needed) {
            if (r.emergency_approved_by.empty())
                m.buttons.push_back(confirmed(make_button("Approve emergency (VP)", rb::emergency, id),
                                              "Approve the emergency rollback?",
                                              "It lets rollback #" + id + " run during the change freeze. Recorded.",
                                              "Approve"));
            if (r.on_call_present.empty())
                m.buttons.push_back(make_button("On-call present", rb::on_call, id));
        }
        break;
    case rollback_phase::awaiting_apply:
        m.buttons.push_back(confirmed(make_button("Apply plan", rb::apply, id, button_style::primary),
                                      "Apply the Terraform plan?", r.plan_summary, "Apply"));
        m.buttons.push_back(confirmed(make_button("Cancel", rb::cancel, id, button_style::danger),
                                      "Cancel this rollback?", "Nothing is applied. The working copy stays as it is.",
                                      "Cancel rollback"));
        break;
    default: break;
    }
    std::string small = "Rollback #" + id + " · proposed " + short_time(r.created_at, zone);
    if (r.ph == rollback_phase::proposed) small += " · expires " + short_time(r.created_at + policy.proposal_ttl, zone);
    m.context.push_back(small);
    return m;
}

}  // namespace promotebot::commands
