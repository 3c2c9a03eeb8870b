#include "commands/promotion/promotion_view.hpp"

#include <charconv>

#include "commands/freeze/freeze_view.hpp"
#include "commands/message/text.hpp"

namespace promotebot::commands {

namespace {

line_state line_of(gate_state s) {
    switch (s) {
    case gate_state::checking: return line_state::running;
    case gate_state::pass: return line_state::passed;
    case gate_state::fail: return line_state::failed;
    case gate_state::unknown: return line_state::unknown;
    }
    return line_state::unknown;
}

std::string bounded(std::string s, std::size_t n) {
    if (s.size() <= n) return s;
    std::size_t cut = n;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
    return s.substr(0, cut) + "…";
}

std::string status_sentence(const promotion& p, const promotion_policy& policy, sys_seconds now) {
    const auto status = status_of(p, policy, now);
    if (status == "checking") return "Checking the gates…";
    if (status == "ready") return "Ready to deploy: a Release Manager presses Deploy.";
    if (status == "blocked" || status == "awaiting_signoffs") {
        const auto missing = missing_for_deploy(p, policy, now);
        return std::string(status == "blocked" ? "Blocked" : "Waiting for sign-offs") + ": " +
               bounded(join(missing, "; "), 600) + ".";
    }
    if (status == "pre_deploy") return "Deploy pressed: checking every gate once more before the first step.";
    if (status == "deploying") return "Deploying…";
    if (status == "verifying") return "Verifying: waiting for the first pipeline run after the change.";
    if (status == "awaiting_apply") return "The Terraform plan waits for a Release Manager's Apply.";
    if (status == "done") return p.version + " is deployed to " + std::string(to_string(p.env)) + ".";
    if (status == "failed") return "Failed: " + p.outcome + ". Roll back if prod is affected.";
    if (status == "cancelled") return "Cancelled (" + p.outcome + ").";
    if (status == "expired") return "Expired without a deploy.";
    if (status == "interrupted")
        return "Interrupted: promotebot stopped while deploying (" + p.outcome + "). Nothing was re-run.";
    return status;
}

std::string short_time(sys_seconds t, const date::time_zone* zone) {
    return date::format("%d %b %H:%M", date::zoned_time{zone, t});
}

checklist_line approval_line(const promotion& p, signoff_kind k, const promotion_policy& policy, sys_seconds now,
                             const date::time_zone* zone) {
    checklist_line l;
    l.text = std::string(display_name(k));
    const auto it = p.approvals.find(k);
    if (it == p.approvals.end()) {
        l.state = line_state::pending;
        l.evidence = "waiting";
        return l;
    }
    const auto& a = it->second;
    const bool valid = approval_valid(p, a, policy, now);
    l.state = valid ? line_state::passed : line_state::failed;
    l.evidence = rich_text{"by "}.append(user_mention(a.user)).append(" at " + short_time(a.at, zone));
    if (!valid) l.evidence.append(now - a.at >= policy.approval_ttl ? " (expired)" : " (for other details: void)");
    return l;
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
    b.confirm = confirm_dialog{std::move(title), std::move(text), std::move(confirm_label), "Cancel"};
    return b;
}

}  // namespace

std::string elapsed_text(std::chrono::seconds d) {
    const auto s = d.count();
    if (s < 60) return std::to_string(s) + " s";
    if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
    return std::to_string(s / 3600) + " h " + std::to_string((s % 3600) / 60) + " min";
}

void add_step_lines(message& m, const std::vector<step_run>& steps, sys_seconds now, bool ended_badly) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto& s = steps[i];
        checklist_line l;
        l.state = s.state;
        l.text = "Step " + std::to_string(i + 1) + ": " + s.name;
        std::string ev;
        if (s.started && s.ended) ev = elapsed_text(*s.ended - *s.started);
        else if (s.started) ev = "running for " + elapsed_text(now - *s.started);
        if (!s.summary.empty()) ev += (ev.empty() ? "" : ", ") + bounded(s.summary, 300);
        l.evidence = ev;
        m.checklist.push_back(std::move(l));
    }
    if (!ended_badly) return;
    for (const auto& s : steps)
        if ((s.state == line_state::failed || s.state == line_state::unknown) && !s.tail.empty())
            m.context.push_back("Last lines of " + s.name + ":\n" + bounded(join(s.tail, "\n"), 1200));
}

bool is_promotion_action(std::string_view action_id) { return action_id.rfind("promotion.", 0) == 0; }

std::optional<promotion_button> promotion_button_of(std::string_view action_id, std::string_view value) {
    promotion_button b;
    if (value.empty() || value.size() > 18) return std::nullopt;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), b.promotion_id);
    if (ec != std::errc{} || end != value.data() + value.size() || b.promotion_id <= 0) return std::nullopt;
    using w = event::pressed::what;
    namespace pb = promotion_buttons;
    if (action_id == pb::signoff_technical) b = {w::signoff, signoff_kind::technical, b.promotion_id};
    else if (action_id == pb::signoff_data_quality) b = {w::signoff, signoff_kind::data_quality, b.promotion_id};
    else if (action_id == pb::approve_emergency) b = {w::signoff, signoff_kind::emergency, b.promotion_id};
    else if (action_id == pb::on_call_present) b = {w::signoff, signoff_kind::on_call, b.promotion_id};
    else if (action_id == pb::deploy) b.what = w::deploy;
    else if (action_id == pb::apply) b.what = w::apply;
    else if (action_id == pb::recheck) b.what = w::recheck;
    else if (action_id == pb::cancel) b.what = w::cancel;
    else if (action_id == pb::rollback) b.rollback = true;
    else if (action_id == pb::edit) b.edit = true;
    else return std::nullopt;
    return b;
}

message promotion_message(const promotion& p, const promotion_policy& policy, sys_seconds now,
                          const date::time_zone* zone) {
    message m;
    const std::string env{to_string(p.env)};
    m.header = "Promotion #" + std::to_string(p.id) + ": " + p.version + " → " + env +
               (p.emergency ? " (emergency)" : "");
    m.text = status_sentence(p, policy, now);
    m.fields.push_back({"Requested by", rich_text{user_mention(p.requester)}});
    m.fields.push_back({"Change Record", p.change_records.empty() ? std::string{"none"} : join(p.change_records, ", ")});
    m.fields.push_back({"Option", p.option == deploy_option::infra ? "A: Terraform, then the application"
                                                                    : "B: application only"});
    m.fields.push_back({"Rollback plan", p.rollback_plan.empty() ? std::string{"not documented"}
                                                                 : bounded(p.rollback_plan, 300)});
    if (p.emergency && !p.emergency_reason.empty())
        m.fields.push_back({"Emergency reason", bounded(p.emergency_reason, 300)});
    if (!p.deployer.empty()) m.fields.push_back({"Deployed by", rich_text{user_mention(p.deployer)}});

    for (const auto& g : p.gates) {
        checklist_line l;
        l.state = line_of(g.state);
        l.text = g.title;
        if (gate_overridden(p, g, policy, now)) {
            l.state = line_state::skipped;
            l.text.append(" (overridden by the emergency)");
        }
        std::string ev = g.state == gate_state::checking ? "checking…" : bounded(g.evidence, 400);
        if (!g.link.empty()) ev += (ev.empty() ? "" : " ") + g.link;
        l.evidence = ev;
        m.checklist.push_back(std::move(l));
    }
    for (auto k : policy.signoffs) m.checklist.push_back(approval_line(p, k, policy, now, zone));
    if (p.emergency) {
        if (emergency_active(p)) {
            m.checklist.push_back(approval_line(p, signoff_kind::emergency, policy, now, zone));
            m.checklist.push_back(approval_line(p, signoff_kind::on_call, policy, now, zone));
            std::vector<std::string> may;
            may.push_back("freeze");
            for (const auto& id : policy.emergency_overrides) may.push_back(id);
            m.context.push_back("The emergency may override: " + join(may, ", ") +
                                ". Every other gate must pass.");
        } else {
            m.context.push_back("Emergency requested, but no freeze is in force: the normal rules apply.");
        }
    }
    {
        checklist_line l;
        l.text = "Rollback plan documented";
        l.state = !p.rollback_plan.empty() ? line_state::passed
                  : policy.rollback_plan_required ? line_state::pending
                                                  : line_state::skipped;
        m.checklist.push_back(std::move(l));
    }
    if (!policy.release_managers.empty()) {
        checklist_line l;
        l.text = "Release Manager notified";
        l.state = p.release_managers_notified ? line_state::passed : line_state::pending;
        m.checklist.push_back(std::move(l));
    }
    add_step_lines(m, p.steps, now, p.ph == phase::failed || p.ph == phase::interrupted);
    if (p.freeze_began_during_deploy)
        m.context.push_back("A freeze began during the deploy: the running steps were finished.");

    const auto id = std::to_string(p.id);
    namespace pb = promotion_buttons;
    switch (p.ph) {
    case phase::open: {
        for (auto k : policy.signoffs) {
            const auto it = p.approvals.find(k);
            if (it != p.approvals.end() && approval_valid(p, it->second, policy, now)) continue;
            const auto action_id = k == signoff_kind::technical ? pb::signoff_technical : pb::signoff_data_quality;
            m.buttons.push_back(make_button(
                k == signoff_kind::technical ? "Sign off: technical" : "Sign off: data quality", action_id, id));
        }
        if (emergency_active(p)) {
            m.buttons.push_back(make_button("Approve emergency (VP)", pb::approve_emergency, id));
            m.buttons.push_back(make_button("I am present (on-call)", pb::on_call_present, id));
        }
        auto deploy = make_button("Deploy", pb::deploy, id, button_style::primary);
        if (p.env == environment::prod)
            deploy = confirmed(deploy, "Deploy to prod?", "Deploy " + p.version + " to prod now?", "Deploy");
        m.buttons.push_back(std::move(deploy));
        m.buttons.push_back(make_button("Re-check gates", pb::recheck, id));
        m.buttons.push_back(make_button("Edit details", pb::edit, id));
        m.buttons.push_back(confirmed(make_button("Cancel", pb::cancel, id, button_style::danger),
                                      "Cancel this request?", "Cancel promotion #" + id + " of " + p.version + "?",
                                      "Cancel request"));
        break;
    }
    case phase::awaiting_apply:
        m.buttons.push_back(confirmed(make_button("Apply plan", pb::apply, id, button_style::primary),
                                      "Apply the Terraform plan?", bounded(p.plan_summary, 250), "Apply"));
        m.buttons.push_back(confirmed(make_button("Cancel", pb::cancel, id, button_style::danger),
                                      "Cancel this request?", "Nothing is applied.", "Cancel request"));
        break;
    case phase::failed:
    case phase::interrupted:
        m.buttons.push_back(confirmed(make_button("Roll back", pb::rollback, id, button_style::danger),
                                      "Roll back " + env + "?",
                                      "Restore the previous good version of " + env + ".", "Roll back"));
        break;
    default: break;
    }
    m.context.push_back("Promotion #" + id + " · opened " + short_time(p.created_at, zone) +
                        " · full output: promotebot promotions show " + id);
    return m;
}

}  // namespace promotebot::commands
