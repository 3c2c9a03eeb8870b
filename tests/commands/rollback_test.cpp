// The rollback state machine, its target choice, plans and views, rule by
// rule with a fixed clock, named like the runbook's Rollback Procedure.
#include <catch2/catch.hpp>

#include <set>

#include "commands/grammar/grammar.hpp"
#include "commands/rollback/rollback.hpp"
#include "commands/rollback/rollback_json.hpp"
#include "commands/rollback/rollback_view.hpp"

using namespace promotebot::commands;
using namespace std::chrono_literals;
namespace ev = rollback_events;
namespace fx = rollback_effects;

namespace {

const sys_seconds t0 = date::sys_days{date::year{2026} / 11 / 10} + 9h;

const std::string rm = "U0RM00001";
const std::string rm2 = "U0RM00002";
const std::string oncall = "U0ONC00001";
const std::string eng = "U0ENG00001";

const std::string vp = "U0VP00001";

role_set roles_of(const std::string& u) {
    if (u == rm || u == rm2) return {role::release_manager, role::engineer};
    if (u == vp) return {role::vp, role::engineer};
    if (u == oncall) return {role::on_call, role::engineer};
    if (u == eng) return {role::engineer};
    return {};
}

// prod, newest first: v1.2.3 now, v1.2.2 before it, v1.2.1 before that.
std::vector<deployment_entry> prod_history() {
    return {{"v1.2.3", t0 - 2h, rm2, "succeeded"},
            {"v1.2.2", t0 - 48h, rm, "succeeded"},
            {"v1.2.1", t0 - 240h, rm, "succeeded"}};
}

std::vector<registry_tag> prod_tags() {
    return {{"v1.2.4", t0 - 1h}, {"v1.2.3", t0 - 26h}, {"v1.2.3-rc.1", t0 - 50h}, {"v1.2.2", t0 - 72h},
            {"v1.2.1", t0 - 300h}, {"latest", t0 - 1h}};
}

template <class T>
const T* find_effect(const rollback_transition& t) {
    for (const auto& e : t.effects)
        if (const auto* x = std::get_if<T>(&e)) return x;
    return nullptr;
}

template <class T>
std::size_t count_effects(const rollback_transition& t) {
    std::size_t n = 0;
    for (const auto& e : t.effects) n += std::holds_alternative<T>(e) ? 1 : 0;
    return n;
}

std::string told(const rollback_transition& t) {
    const auto* x = find_effect<fx::tell>(t);
    return x ? x->text.readable() : std::string{};
}

std::string noted(const rollback_transition& t) {
    std::string all;
    for (const auto& e : t.effects)
        if (const auto* n = std::get_if<fx::note>(&e)) all += n->text.readable() + "\n";
    return all;
}

bool refused(const rollback_transition& t) {
    for (const auto& e : t.effects)
        if (const auto* r = std::get_if<fx::record>(&e); r && r->outcome == "refused") return true;
    return false;
}

struct fixture {
    rollback_policy policy;
    rollback r;
    sys_seconds now = t0;

    explicit fixture(rollback_kind k = rollback_kind::image, std::int64_t deploying_promotion = 0) {
        rollback_proposal p;
        p.id = 3;
        p.request.what = k;
        p.request.target = environment::prod;
        p.requester = oncall;
        p.channel = "C0RELEASE01";
        p.deploying_promotion = deploying_promotion;
        if (k == rollback_kind::image) {
            p.current_version = "v1.2.3";
            p.target = previous_good("v1.2.3", prod_history(), prod_tags()).target;
        } else if (k == rollback_kind::dbt) {
            p.request.dbt_models = {"fct_orders", "dim_customers"};
        }
        auto made = new_rollback(p, policy, now);
        REQUIRE(made.refusal.empty());
        r = *made.value;
    }
    rollback_transition feed(const rollback_event& e) { return on(r, e, policy, now); }
    rollback_transition confirm(const std::string& user, bool frozen = false) {
        ev::confirmed c;
        c.user = user;
        c.roles = roles_of(user);
        c.frozen = frozen;
        return feed(c);
    }
    rollback_transition step(int index, bool ok, std::string summary = "exit 0") {
        return feed(ev::step_ended{index, ok, std::move(summary), {}, {}, false});
    }
};

}  // namespace

TEST_CASE("previous good from history is the last successful deployment before the current one") {
    const auto c = previous_good("v1.2.3", prod_history(), prod_tags());
    REQUIRE(c.target);
    CHECK(c.target->version == "v1.2.2");
    CHECK(c.target->known_good);
    CHECK(c.target->deployed_by == rm);
    CHECK(c.target->why == "v1.2.2, deployed by @U0RM00001 on 08 Nov 2026 09:00 UTC");

    // A failed deploy and the current version's earlier records are passed over.
    auto h = prod_history();
    h.insert(h.begin() + 1, {"v1.2.2-hotfix", t0 - 3h, rm, "failed"});
    h.insert(h.begin() + 2, {"v1.2.3", t0 - 4h, rm, "succeeded"});
    CHECK(previous_good("v1.2.3", h, prod_tags()).target->version == "v1.2.2");

    // v1.2.4 ran after v1.2.3 and was rolled back from (marked bad): not "previous", not good.
    std::vector<deployment_entry> after{{"v1.2.3", t0 - 1h, oncall, "succeeded"},
                                        {"v1.2.4", t0 - 3h, rm, "succeeded"},
                                        {"v1.2.3", t0 - 30h, rm, "succeeded"},
                                        {"v1.2.2", t0 - 60h, rm, "succeeded"}};
    CHECK(previous_good("v1.2.3", after, prod_tags(), {"v1.2.4"}).target->version == "v1.2.2");
    // A bad version further back is skipped too.
    CHECK(previous_good("v1.2.3", prod_history(), prod_tags(), {"v1.2.2"}).target->version == "v1.2.1");
}

TEST_CASE("previous good from the registry when history is empty skips the current and bad versions") {
    auto c = previous_good("v1.2.3", {}, prod_tags());
    REQUIRE(c.target);
    // Newer tags than the current one and the pre-release of the current one are not "previous good".
    CHECK(c.target->version == "v1.2.2");
    CHECK_FALSE(c.target->known_good);
    CHECK(c.target->why == "v1.2.2, the newest image before v1.2.3 in the registry; never deployed by promotebot");

    CHECK(previous_good("v1.2.3", {}, prod_tags(), {"v1.2.2"}).target->version == "v1.2.1");
    // History with only failures counts as none, and the failed version is not chosen.
    const std::vector<deployment_entry> failed{{"v1.2.2", t0 - 5h, rm, "failed"}};
    CHECK(previous_good("v1.2.3", failed, prod_tags()).target->version == "v1.2.1");

    const auto none = previous_good("v1.2.1", {}, prod_tags(), {"v1.2.2"});
    CHECK_FALSE(none.target);
    CHECK(none.refusal.find("no previous good version") == 0);
}

TEST_CASE("an explicit version unknown to the registry and the history is refused") {
    const auto c = explicit_target("v1.2.3", "v9.9.9", prod_history(), prod_tags());
    CHECK_FALSE(c.target);
    CHECK(c.refusal == "no image v9.9.9 in the registry");

    auto ok = explicit_target("v1.2.3", "v1.2.1", prod_history(), prod_tags());
    REQUIRE(ok.target);
    CHECK(ok.target->known_good);
    ok = explicit_target("v1.2.3", "v1.2.4", prod_history(), prod_tags());
    REQUIRE(ok.target);
    CHECK_FALSE(ok.target->known_good);
    CHECK(ok.target->why.find("never deployed by promotebot") != std::string::npos);

    CHECK(explicit_target("v1.2.3", "v1.2.3", prod_history(), prod_tags()).refusal.find("running now") !=
          std::string::npos);
    CHECK(explicit_target("v1.2.3", "v1.2.2", prod_history(), prod_tags(), {"v1.2.2"})
              .refusal.find("override-bad") != std::string::npos);
}

TEST_CASE("a proposal shows current and target and runs nothing until confirmed") {
    fixture f;
    CHECK(f.r.ph == rollback_phase::proposed);
    CHECK(f.r.current_version == "v1.2.3");
    CHECK(f.r.target_version == "v1.2.2");
    REQUIRE(f.r.steps.size() == 2);
    CHECK(f.r.steps[0].kind == step_kind::set_image);
    CHECK(f.r.steps[1].kind == step_kind::verify_jobs);

    const auto m = rollback_message(f.r, f.policy, f.now, nullptr);
    CHECK(m.header == "Rollback #3: prod v1.2.3 → v1.2.2");
    CHECK(m.text.readable() == "Nothing has changed yet. Press Roll back to start.");
    REQUIRE(m.buttons.size() == 2);
    CHECK(m.buttons[0].action_id == "rollback.confirm");
    CHECK(m.buttons[0].value == "3");
    CHECK(m.buttons[0].style == button_style::danger);
    REQUIRE(m.buttons[0].confirm);
    CHECK(m.buttons[0].confirm->text.find("from v1.2.3 to v1.2.2") != std::string::npos);
    CHECK(m.buttons[1].action_id == "rollback.cancel");
    bool last_deployed = false;
    for (const auto& fl : m.fields)
        if (fl.label == "Last deployed") {
            last_deployed = true;
            CHECK(fl.value.readable() == "by @U0RM00001 on 08 Nov 09:00 UTC");
        }
    CHECK(last_deployed);
}

TEST_CASE("an unauthorised confirm is refused (engineer)") {
    fixture f;
    const auto t = f.confirm(eng);
    CHECK(refused(t));
    CHECK(told(t).find("On-call") != std::string::npos);
    CHECK(told(t).find("roll back") != std::string::npos);
    CHECK(f.r.ph == rollback_phase::proposed);
    CHECK_FALSE(find_effect<fx::run_step>(t));
    CHECK_FALSE(find_effect<fx::take_lock>(t));
}

TEST_CASE("a confirm by on-call takes the lock, opens the record and runs the first step") {
    fixture f;
    const auto t = f.confirm(oncall);
    CHECK_FALSE(refused(t));
    CHECK(f.r.ph == rollback_phase::running);
    CHECK(f.r.confirmed_by == oncall);
    REQUIRE(find_effect<fx::take_lock>(t));
    CHECK(find_effect<fx::take_lock>(t)->holder == oncall);
    CHECK(find_effect<fx::start_record>(t));
    REQUIRE(find_effect<fx::run_step>(t));
    CHECK(find_effect<fx::run_step>(t)->index == 0);
    CHECK_FALSE(find_effect<fx::cancel_promotion>(t));

    f.now += 40s;
    const auto s0 = f.step(0, true);
    CHECK(find_effect<fx::run_step>(s0)->index == 1);
    CHECK(rollback_message(f.r, f.policy, f.now, nullptr).text.readable().find("Verifying") == 0);
    f.now += 20min;
    const auto s1 = f.step(1, true, "markets-pipeline-29931000 succeeded");
    CHECK(f.r.ph == rollback_phase::done);
    REQUIRE(find_effect<fx::finish_record>(s1));
    CHECK(find_effect<fx::finish_record>(s1)->result == "succeeded");
    CHECK(find_effect<fx::release_lock>(s1));
    const auto m = rollback_message(f.r, f.policy, f.now, nullptr);
    CHECK(m.text.readable() == "Done: prod runs v1.2.2 again.");
    CHECK(m.checklist[0].evidence.readable() == "40 s, exit 0");
    CHECK(m.buttons.empty());
}

TEST_CASE("the version rolled back from is marked bad") {
    fixture f;
    const auto t = f.confirm(rm);
    REQUIRE(count_effects<fx::mark_bad>(t) == 1);
    CHECK(find_effect<fx::mark_bad>(t)->version == "v1.2.3");
    CHECK(noted(t).find("v1.2.3 is marked bad") != std::string::npos);
    // …and a later choice of target passes over it.
    std::vector<deployment_entry> h{{"v1.2.2", t0, rm, "succeeded"}, {"v1.2.3", t0 - 2h, rm2, "succeeded"},
                                    {"v1.2.2", t0 - 48h, rm, "succeeded"}, {"v1.2.1", t0 - 240h, rm, "succeeded"}};
    CHECK(previous_good("v1.2.2", h, prod_tags(), {"v1.2.3"}).target->version == "v1.2.1");
}

TEST_CASE("a confirm during a freeze is allowed for a known-good version and recorded") {
    fixture f;
    const auto t = f.confirm(oncall, true);
    CHECK_FALSE(refused(t));
    CHECK(f.r.ph == rollback_phase::running);
    CHECK(f.r.frozen_at_confirm);
    const auto* rec = find_effect<fx::record>(t);
    REQUIRE(rec);
    CHECK(rec->action == "rollback.confirm");
    CHECK(rec->detail.at("during_freeze") == true);
    CHECK(rec->detail.at("rule") == "known_good_during_freeze");
    CHECK(noted(t).find("change freeze is in force") != std::string::npos);
    CHECK(rollback_message(f.r, f.policy, f.now, nullptr).context.front().readable().find("change freeze") !=
          std::string::npos);
}

TEST_CASE("a confirm during a freeze needs the emergency override when the switch is off or the version never ran") {
    SECTION("switch off") {
        fixture f;
        f.policy.allow_known_good_during_freeze = false;
        const auto t = f.confirm(oncall, true);
        CHECK(refused(t));
        CHECK(told(t).find("needs the emergency override") != std::string::npos);
        CHECK(find_effect<fx::record>(t)->detail.at("needs") == "emergency_override");
        CHECK(f.r.ph == rollback_phase::proposed);
    }
    SECTION("never ran here") {
        fixture f;
        rollback_proposal p;
        p.id = 4;
        p.requester = oncall;
        p.current_version = "v1.2.3";
        p.target = previous_good("v1.2.3", {}, prod_tags()).target;
        f.r = *new_rollback(p, f.policy, f.now).value;
        const auto t = f.confirm(oncall, true);
        CHECK(refused(t));
        CHECK(told(t) == "prod is in a change freeze. Rolling back to v1.2.2, which never ran in prod, needs the "
                         "emergency override: a VP presses Approve emergency and an on-call engineer presses "
                         "On-call present on the rollback's message, then Roll back again.");
        CHECK(f.r.override_needed);
        CHECK_FALSE(find_effect<fx::mark_bad>(t));
        // Without a freeze the same rollback goes ahead.
        CHECK_FALSE(refused(f.confirm(oncall, false)));
    }
    SECTION("a dbt rebuild") {
        fixture f(rollback_kind::dbt);
        CHECK(told(f.confirm(oncall, true)).find("A dbt rebuild needs the emergency override") != std::string::npos);
    }
}

TEST_CASE("a running promotion is cancelled only after the confirm") {
    fixture f(rollback_kind::image, 7);
    const auto m = rollback_message(f.r, f.policy, f.now, nullptr);
    REQUIRE(m.buttons[0].confirm);
    CHECK(m.buttons[0].confirm->text.find("Promotion #7 is deploying and will be cancelled.") != std::string::npos);

    ev::confirmed c;
    c.user = oncall;
    c.roles = roles_of(oncall);
    c.lock_holder = rm;
    c.lock_promotion = 7;
    c.running_promotion_phase = phase::deploying;
    // Proposing cancelled nothing; the confirm does, before it takes the lock.
    const auto t = f.feed(c);
    REQUIRE(find_effect<fx::cancel_promotion>(t));
    CHECK(find_effect<fx::cancel_promotion>(t)->promotion_id == 7);
    std::size_t cancel_at = 0, lock_at = 0;
    for (std::size_t i = 0; i < t.effects.size(); ++i) {
        if (std::holds_alternative<fx::cancel_promotion>(t.effects[i])) cancel_at = i;
        if (std::holds_alternative<fx::take_lock>(t.effects[i])) lock_at = i;
    }
    CHECK(cancel_at < lock_at);
    CHECK(f.r.cancels_promotion == 7);
}

TEST_CASE("a promotion that began deploying after the proposal is not cancelled by a confirm that did not say so") {
    fixture f;
    ev::confirmed c;
    c.user = oncall;
    c.roles = roles_of(oncall);
    c.lock_holder = rm;
    c.lock_promotion = 8;
    c.running_promotion_phase = phase::deploying;
    auto t = f.feed(c);
    CHECK(refused(t));
    CHECK_FALSE(find_effect<fx::cancel_promotion>(t));
    CHECK(t.changed);  // the dialog now says so
    CHECK(confirm_text(f.r).find("Promotion #8 is deploying and will be cancelled.") != std::string::npos);
    t = f.feed(c);
    REQUIRE(find_effect<fx::cancel_promotion>(t));
    CHECK(find_effect<fx::cancel_promotion>(t)->promotion_id == 8);

    // A lock held by something other than a promotion is never taken over.
    fixture g;
    c.lock_promotion = 0;
    c.running_promotion_phase.reset();
    t = g.feed(c);
    CHECK(refused(t));
    CHECK(told(t).find("one change per environment at a time") != std::string::npos);
}

TEST_CASE("a double confirm runs once") {
    fixture f;
    const auto first = f.confirm(oncall);
    CHECK(count_effects<fx::run_step>(first) == 1);
    const auto second = f.confirm(rm);
    CHECK(refused(second));
    CHECK(told(second).find("already running") != std::string::npos);
    CHECK(count_effects<fx::run_step>(second) == 0);
    CHECK(count_effects<fx::take_lock>(second) == 0);
    CHECK(f.r.confirmed_by == oncall);
}

TEST_CASE("a terminal rollback refuses its buttons") {
    fixture f;
    f.confirm(oncall);
    f.step(0, false, "exit 1");
    CHECK(f.r.ph == rollback_phase::failed);
    const std::vector<rollback_transition> presses{f.confirm(oncall),
                                                   f.feed(ev::cancel_pressed{oncall, roles_of(oncall)}),
                                                   f.feed(ev::apply_pressed{rm, roles_of(rm)})};
    for (const auto& t : presses) {
        CHECK(refused(t));
        CHECK(told(t).find("Rollback #3 is failed: its buttons no longer do anything") == 0);
        CHECK_FALSE(find_effect<fx::run_step>(t));
    }
}

TEST_CASE("a dbt bad model name is refused by the grammar and never reaches argv") {
    CHECK(std::holds_alternative<parse_error>(parse_command("/rollback", "dbt fct_orders --select=all")));
    CHECK(std::holds_alternative<parse_error>(parse_command("/rollback", "dbt \"fct\"")));

    fixture f(rollback_kind::dbt);
    const auto a = rollback_argv(f.r, 0, f.policy, {});
    REQUIRE(a.ok());
    CHECK(a.argv == std::vector<std::string>{"kubectl", "exec", "-n", "markets", "deploy/markets-pipeline", "--", "dbt",
                                             "run", "--select", "fct_orders", "dim_customers", "--full-refresh"});
    // A model that bypassed the grammar (a hand-edited store) fails expansion.
    f.r.dbt_models.push_back("-x");
    CHECK(rollback_argv(f.r, 0, f.policy, {}).error == "{models}: a value is not a dbt model name");

    rollback_proposal p;
    p.request.what = rollback_kind::dbt;
    p.request.dbt_models = {"ok", "not ok"};
    CHECK_FALSE(new_rollback(p, f.policy, f.now).value);
}

TEST_CASE("the image plan sets the image and verifies like a promotion") {
    fixture f;
    const auto a = rollback_argv(f.r, 0, f.policy, {{"project_id", "markets-prod-12345"}});
    REQUIRE(a.ok());
    CHECK(a.argv == std::vector<std::string>{"kubectl", "set", "image", "-n", "markets", "cronjob/markets-pipeline",
                                             "orchestrator=gcr.io/markets-prod-12345/markets-orchestrator:v1.2.2"});
    CHECK(rollback_argv(f.r, 0, f.policy, {}).error == "{project_id}: no value is known here");
    CHECK_FALSE(rollback_argv(f.r, 2, f.policy, {}).ok());
    CHECK(rollback_template_problems(rollback_kind::dbt, runbook_dbt_rollback_steps()[0].argv, {}).empty());
    CHECK(rollback_template_problems(rollback_kind::infra, runbook_infra_rollback_steps()[0].argv, {"ref"}).empty());
    CHECK_FALSE(rollback_template_problems(rollback_kind::image, {"x", "{models}"}, {"version"}).empty());
}

TEST_CASE("an infra plan waits for Apply by a Release Manager") {
    fixture f(rollback_kind::infra);
    CHECK(f.r.infra_ref == "HEAD~1");
    CHECK(rollback_argv(f.r, 0, f.policy, {}).argv ==
          std::vector<std::string>{"git", "checkout", "HEAD~1", "--", "."});
    CHECK(rollback_argv(f.r, 1, f.policy, {}).argv.back() == "-out=rollback.tfplan");
    CHECK(rollback_message(f.r, f.policy, f.now, nullptr).header == "Rollback #3: prod Terraform → HEAD~1");

    f.confirm(oncall);
    f.step(0, true);
    const auto planned = f.step(1, true, "Plan: 0 to add, 1 to change, 0 to destroy.");
    CHECK(f.r.ph == rollback_phase::awaiting_apply);
    CHECK(f.r.plan_summary == "Plan: 0 to add, 1 to change, 0 to destroy.");
    CHECK_FALSE(find_effect<fx::run_step>(planned));
    auto m = rollback_message(f.r, f.policy, f.now, nullptr);
    REQUIRE(m.buttons.size() == 2);
    CHECK(m.buttons[0].action_id == "rollback.apply");

    // On-call may roll back, but only a Release Manager applies a prod plan.
    const auto by_oncall = f.feed(ev::apply_pressed{oncall, roles_of(oncall)});
    CHECK(refused(by_oncall));
    CHECK(f.r.ph == rollback_phase::awaiting_apply);
    const auto by_rm = f.feed(ev::apply_pressed{rm, roles_of(rm)});
    CHECK_FALSE(refused(by_rm));
    CHECK(f.r.apply_approved_by == rm);
    CHECK(find_effect<fx::run_step>(by_rm)->index == 2);
    f.step(2, true);
    CHECK(f.r.ph == rollback_phase::done);
}

TEST_CASE("an infra revert cancelled at Apply notes the state of the working copy") {
    fixture f(rollback_kind::infra);
    f.confirm(oncall);
    f.step(0, true);
    f.step(1, true, "Plan: 0 to add, 1 to change, 0 to destroy.");
    const auto t = f.feed(ev::cancel_pressed{oncall, roles_of(oncall)});
    CHECK(f.r.ph == rollback_phase::cancelled);
    CHECK(find_effect<fx::release_lock>(t));
    CHECK(find_effect<fx::finish_record>(t)->result == "cancelled");
    CHECK(noted(t).find("not restored. Completed: git checkout, terraform plan") != std::string::npos);
    CHECK_FALSE(new_rollback(rollback_proposal{1, rollback_request{rollback_kind::infra, environment::prod, {}, {}},
                                               oncall, "C0RELEASE01", "", std::nullopt, "--force", 0, 0, ""},
                             f.policy, f.now)
                    .value);
}

TEST_CASE("a restart while running ends as interrupted and re-runs no step") {
    fixture f;
    f.confirm(oncall);
    f.now += 30s;
    const auto t = f.feed(ev::restarted{});
    CHECK(f.r.ph == rollback_phase::interrupted);
    CHECK(f.r.steps[0].state == line_state::unknown);
    CHECK(count_effects<fx::run_step>(t) == 0);
    CHECK(find_effect<fx::finish_record>(t)->result == "interrupted");
    CHECK(find_effect<fx::release_lock>(t));
    CHECK(noted(t).find("Nothing is re-run automatically") != std::string::npos);
    // The step's late answer and a second restart change nothing.
    CHECK_FALSE(f.step(0, true).changed);
    CHECK(f.feed(ev::restarted{}).effects.empty());

    // A proposal survives a restart untouched.
    fixture g;
    CHECK(g.feed(ev::restarted{}).effects.empty());
    CHECK(g.r.ph == rollback_phase::proposed);
}

TEST_CASE("an unconfirmed proposal expires") {
    fixture f;
    f.now += 29min;
    CHECK(f.feed(ev::tick{}).effects.empty());
    f.now += 1min;
    const auto t = f.feed(ev::tick{});
    CHECK(f.r.ph == rollback_phase::expired);
    CHECK(noted(t).find("Not confirmed within 30 minutes: nothing was changed.") == 0);
    CHECK_FALSE(find_effect<fx::release_lock>(t));  // it never held the lock
    CHECK(rollback_message(f.r, f.policy, f.now, nullptr).buttons.empty());
    CHECK(refused(f.confirm(oncall)));
}

TEST_CASE("a proposal cancelled by its requester changes nothing") {
    fixture f;
    CHECK(refused(f.feed(ev::cancel_pressed{eng, roles_of(eng)})));
    const auto t = f.feed(ev::cancel_pressed{oncall, roles_of(oncall)});
    CHECK(f.r.ph == rollback_phase::cancelled);
    CHECK_FALSE(find_effect<fx::release_lock>(t));
    CHECK_FALSE(find_effect<fx::finish_record>(t));
}

TEST_CASE("a rollback survives the JSON round trip and a wrong document is refused") {
    fixture f(rollback_kind::infra, 7);
    f.confirm(rm, false);
    f.step(0, true);
    f.step(1, true, "Plan: 0 to add, 1 to change, 0 to destroy.");
    f.r.steps[0].tail = {"Updated 3 paths from the index"};
    CHECK(rollback_from_json(to_json(f.r)) == f.r);

    fixture g;
    g.confirm(oncall, true);
    g.step(0, false, "exit 1");
    CHECK(rollback_from_json(to_json(g.r)) == g.r);

    auto j = to_json(g.r);
    j["phase"] = "sideways";
    CHECK_THROWS_WITH(rollback_from_json(j), "rollback document: unknown phase");
    j = to_json(g.r);
    j["dbt_models"] = {1};
    CHECK_THROWS_WITH(rollback_from_json(j), "rollback document: dbt_models holds a non-text");
    j = to_json(g.r);
    j.erase("cancels_promotion");
    CHECK_THROWS_WITH(rollback_from_json(j), "rollback document: missing cancels_promotion");
    j = to_json(g.r);
    j["steps"] = {1};
    CHECK_THROWS(rollback_from_json(j));
    CHECK_THROWS(rollback_from_json(nlohmann::json::array()));
}

TEST_CASE("rollback buttons decode to their press and the rollback ID") {
    CHECK(rollback_button_of("rollback.confirm", "3") == rollback_button{rollback_button::what::confirm, 3});
    CHECK(rollback_button_of("rollback.apply", "12") == rollback_button{rollback_button::what::apply, 12});
    CHECK(rollback_button_of("rollback.cancel", "1") == rollback_button{rollback_button::what::cancel, 1});
    CHECK_FALSE(rollback_button_of("rollback.delete", "3"));
    CHECK_FALSE(rollback_button_of("promotion.deploy", "3"));
    for (const char* v : {"", "0", "-3", "3x", " 3", "1234567890123456789"})
        CHECK_FALSE(rollback_button_of("rollback.confirm", v));
    CHECK(is_rollback_action("rollback.confirm"));
    CHECK_FALSE(is_rollback_action("promotion.rollback"));
}

TEST_CASE("the emergency override lets a frozen rollback through: a VP and a different on-call engineer") {
    fixture f;
    f.policy.allow_known_good_during_freeze = false;
    CHECK(refused(f.confirm(oncall, true)));
    REQUIRE(f.r.override_needed);
    auto shown = rollback_message(f.r, f.policy, f.now, nullptr);
    std::set<std::string> ids;
    for (const auto& b : shown.buttons) ids.insert(b.action_id);
    CHECK(ids.count(std::string(rollback_buttons::emergency)) == 1);
    CHECK(ids.count(std::string(rollback_buttons::on_call)) == 1);

    // Only a VP approves, only on-call is present, and they are two people.
    CHECK(refused(f.feed(ev::emergency_approved{eng, roles_of(eng)})));
    CHECK(refused(f.feed(ev::on_call_present{rm, roles_of(rm)})));
    auto t = f.feed(ev::emergency_approved{vp, roles_of(vp)});
    CHECK_FALSE(refused(t));
    CHECK(t.changed);
    CHECK(f.r.emergency_approved_by == vp);
    CHECK(refused(f.feed(ev::on_call_present{vp, {role::vp, role::on_call}})));
    // Half an override is no override.
    CHECK(refused(f.confirm(oncall, true)));
    t = f.feed(ev::on_call_present{oncall, roles_of(oncall)});
    CHECK_FALSE(refused(t));
    CHECK(noted(t).find("The override is complete") != std::string::npos);

    t = f.confirm(oncall, true);
    CHECK_FALSE(refused(t));
    CHECK(f.r.ph == rollback_phase::running);
    bool recorded = false;
    for (const auto& e : t.effects)
        if (const auto* r = std::get_if<fx::record>(&e); r && r->action == "rollback.confirm")
            recorded = r->detail.at("rule") == "emergency_override" && r->detail.at("emergency_approved_by") == vp;
    CHECK(recorded);
    // The override is part of the stored document.
    CHECK(rollback_from_json(to_json(f.r)) == f.r);
    // Once running, the override's buttons refuse.
    CHECK(refused(f.feed(ev::emergency_approved{vp, roles_of(vp)})));
}
