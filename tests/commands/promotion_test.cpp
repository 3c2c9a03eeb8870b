// The promotion state machine, rule by rule, with a fixed clock.
#include <catch2/catch.hpp>

#include "commands/promotion/promotion.hpp"
#include "commands/promotion/promotion_json.hpp"
#include "commands/promotion/promotion_view.hpp"

using namespace promotebot::commands;
using namespace std::chrono_literals;
using w = event::pressed::what;

namespace {

const sys_seconds t0 = date::sys_days{date::year{2026} / 11 / 10} + 9h;

const std::string requester = "U0RM00001";  // a Release Manager opens it
const std::string rm2 = "U0RM00002";
const std::string de = "U0DE00001";
const std::string biz = "U0BIZ00001";
const std::string vp = "U0VP00001";
const std::string oncall = "U0ONC00001";
const std::string eng = "U0ENG00001";

promotion_policy prod_policy() {
    promotion_policy p;
    p.gates = {"freeze", "soak", "change_record", "incidents"};
    p.gate_titles = {{"freeze", "Not in a change freeze"},
                     {"soak", "Soaked 24 h in int"},
                     {"change_record", "Change Record approved"},
                     {"incidents", "No open P1/P2 incident"}};
    p.signoffs = {signoff_kind::technical, signoff_kind::data_quality};
    p.rollback_plan_required = true;
    p.emergency_overrides = {"soak"};
    p.app_steps = {{"docker build", step_kind::command},
                   {"docker push", step_kind::push},
                   {"kubectl set image", step_kind::set_image},
                   {"verify", step_kind::verify_jobs}};
    p.infra_steps = {{"terraform init", step_kind::command},
                     {"terraform plan", step_kind::terraform_plan},
                     {"terraform apply", step_kind::terraform_apply}};
    p.release_managers = {user_mention("U0RM00001"), user_mention("U0RM00002")};
    return p;
}

role_set roles_of(const std::string& u) {
    if (u == requester || u == rm2) return {role::release_manager, role::engineer};
    if (u == de) return {role::data_engineering, role::engineer};
    if (u == biz) return {role::business_stakeholder};
    if (u == vp) return {role::vp};
    if (u == oncall) return {role::on_call, role::engineer};
    if (u == eng) return {role::engineer};
    return {};
}

struct fixture {
    promotion_policy policy = prod_policy();
    promotion p;
    sys_seconds now = t0;

    explicit fixture(bool emergency = false, std::string plan = "kubectl set image back to v1.2.2") {
        promote_request r;
        r.version = "v1.2.3";
        r.emergency = emergency;
        p = new_promotion(7, r, requester, "C0RELEASE01", {"CHG0012345"}, std::move(plan), deploy_option::app,
                          emergency ? "trades are being dropped" : "", policy, now);
        feed(event::opened{});
    }
    transition feed(const promotion_event& e) { return on(p, e, policy, now); }
    transition answer(const std::string& id, gate_state s, std::string evidence = "evidence") {
        return feed(event::gate_answered{p.gate_round, gate_answer(id, "", s, std::move(evidence))});
    }
    void all_gates(gate_state s = gate_state::pass) {
        for (const auto& id : policy.gates) answer(id, s);
    }
    transition press(w what, const std::string& user, signoff_kind k = signoff_kind::technical) {
        event::pressed e;
        e.button = what;
        e.signoff = k;
        e.user = user;
        e.roles = roles_of(user);
        return feed(e);
    }
    transition signoff(signoff_kind k, const std::string& user) {
        auto t = press(w::signoff, user, k);
        all_gates();  // every sign-off runs the gates again
        return t;
    }
    void make_ready() {
        all_gates();
        signoff(signoff_kind::technical, de);
        signoff(signoff_kind::data_quality, biz);
    }
};

template <class T>
const T* find_effect(const transition& t) {
    for (const auto& e : t.effects)
        if (const auto* x = std::get_if<T>(&e)) return x;
    return nullptr;
}

std::string told(const transition& t) {
    const auto* x = find_effect<effect::tell>(t);
    return x ? x->text.readable() : std::string{};
}

bool refused(const transition& t) {
    for (const auto& e : t.effects)
        if (const auto* r = std::get_if<effect::record>(&e); r && r->outcome == "refused") return true;
    return false;
}

}  // namespace

TEST_CASE("a new prod request checks every gate at once and shows each as checking") {
    fixture f;
    REQUIRE(f.p.gate_round == 1);
    REQUIRE(f.p.gates.size() == 4);
    for (const auto& g : f.p.gates) REQUIRE(g.state == gate_state::checking);
    CHECK(status_of(f.p, f.policy, f.now) == "checking");
    const auto m = promotion_message(f.p, f.policy, f.now, date::locate_zone("Europe/London"));
    CHECK(m.header == "Promotion #7: v1.2.3 → prod");
    CHECK(m.checklist.front().evidence.readable() == "checking…");
}

TEST_CASE("gates passing and both sign-offs from second persons make the request ready and notify the Release Managers") {
    fixture f;
    f.all_gates();
    CHECK(status_of(f.p, f.policy, f.now) == "awaiting_signoffs");
    f.signoff(signoff_kind::technical, de);
    f.press(w::signoff, biz, signoff_kind::data_quality);
    transition last;
    for (const auto& id : f.policy.gates) last = f.answer(id, gate_state::pass);
    CHECK(status_of(f.p, f.policy, f.now) == "ready");
    const auto* n = find_effect<effect::note>(last);
    REQUIRE(n);
    CHECK(n->text.readable().find("Release Manager notified: @U0RM00001 @U0RM00002") != std::string::npos);
    CHECK(f.p.release_managers_notified);
}

TEST_CASE("an unknown gate blocks a promotion exactly like a failed one") {
    fixture f;
    f.make_ready();
    f.press(w::recheck, requester);
    f.answer("freeze", gate_state::pass);
    f.answer("soak", gate_state::pass);
    f.answer("change_record", gate_state::unknown, "ServiceNow did not answer within 10 s");
    f.answer("incidents", gate_state::pass);
    CHECK(status_of(f.p, f.policy, f.now) == "blocked");
    const auto t = f.press(w::deploy, requester);
    CHECK(refused(t));
    CHECK(told(t).find("Change Record approved: unknown (ServiceNow did not answer within 10 s)") != std::string::npos);
    CHECK(f.p.ph == phase::open);
}

TEST_CASE("every gate failing alone blocks the deploy and names that gate") {
    for (const auto& failing : prod_policy().gates) {
        fixture f;
        f.make_ready();
        f.press(w::recheck, requester);
        for (const auto& id : f.policy.gates)
            f.answer(id, id == failing ? gate_state::fail : gate_state::pass, "red: " + id);
        const auto t = f.press(w::deploy, requester);
        INFO(failing);
        CHECK(refused(t));
        CHECK(told(t).find("red: " + failing) != std::string::npos);
    }
}

TEST_CASE("nobody can sign off their own request") {
    promotion_policy policy = prod_policy();
    promote_request r;
    r.version = "v1.2.3";
    // A data engineer opens the request, then tries to sign it off.
    auto p = new_promotion(8, r, de, "C0RELEASE01", {"CHG0012345"}, "plan", deploy_option::app, "", policy, t0);
    on(p, event::opened{}, policy, t0);
    event::pressed e;
    e.button = w::signoff;
    e.signoff = signoff_kind::technical;
    e.user = de;
    e.roles = roles_of(de);
    const auto t = on(p, e, policy, t0);
    CHECK(refused(t));
    CHECK(told(t) == "You cannot sign off your own request.");
    CHECK(p.approvals.empty());
}

TEST_CASE("a sign-off needs the sign-off's role") {
    fixture f;
    const auto t = f.press(w::signoff, eng, signoff_kind::data_quality);
    CHECK(refused(t));
    CHECK(told(t) == "Only a Business stakeholder can give the data quality sign-off.");
    CHECK(f.p.approvals.empty());
}

TEST_CASE("every sign-off runs all gates again") {
    fixture f;
    f.all_gates();
    const int before = f.p.gate_round;
    const auto t = f.press(w::signoff, de, signoff_kind::technical);
    CHECK(f.p.gate_round == before + 1);
    REQUIRE(find_effect<effect::run_gates>(t));
    CHECK(find_effect<effect::run_gates>(t)->round == f.p.gate_round);
    CHECK(status_of(f.p, f.policy, f.now) == "checking");
}

TEST_CASE("answers from an older round of gate checks are ignored") {
    fixture f;
    f.all_gates();
    f.press(w::recheck, requester);
    const auto t = f.feed(event::gate_answered{f.p.gate_round - 1, gate_answer("soak", "", gate_state::fail, "old")});
    CHECK_FALSE(t.changed);
    CHECK(f.p.gates[1].state == gate_state::checking);
}

TEST_CASE("an engineer pressing Deploy for prod is refused and audited") {
    fixture f;
    f.make_ready();
    const auto t = f.press(w::deploy, eng);
    CHECK(refused(t));
    CHECK(told(t) == "Only a Release Manager can deploy to prod.");
    CHECK(f.p.ph == phase::open);
}

TEST_CASE("Deploy runs the gates once more and starts the first step only when all pass") {
    fixture f;
    f.make_ready();
    const auto t = f.press(w::deploy, requester);
    CHECK(f.p.ph == phase::pre_deploy);
    CHECK(find_effect<effect::take_lock>(t));
    CHECK(find_effect<effect::run_gates>(t));
    CHECK_FALSE(find_effect<effect::run_step>(t));
    transition last;
    for (const auto& id : f.policy.gates) last = f.answer(id, gate_state::pass);
    CHECK(f.p.ph == phase::deploying);
    REQUIRE(find_effect<effect::run_step>(last));
    CHECK(find_effect<effect::run_step>(last)->index == 0);
    CHECK(find_effect<effect::start_record>(last));
    CHECK(f.p.steps[0].state == line_state::running);
}

TEST_CASE("a gate turning red between approval and deploy stops the deploy before any step") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    f.answer("freeze", gate_state::pass);
    f.answer("soak", gate_state::pass);
    f.answer("change_record", gate_state::pass);
    const auto t = f.answer("incidents", gate_state::fail, "INC0010001 (P1) open");
    CHECK(f.p.ph == phase::open);
    CHECK(find_effect<effect::release_lock>(t));
    CHECK_FALSE(find_effect<effect::run_step>(t));
    REQUIRE(find_effect<effect::note>(t));
    CHECK(find_effect<effect::note>(t)->text.readable().find("INC0010001") != std::string::npos);
}

TEST_CASE("a second Deploy press while the first deploy runs is refused, so no step runs twice") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    const auto again = f.press(w::deploy, requester);
    CHECK(refused(again));
    CHECK_FALSE(find_effect<effect::run_gates>(again));
    f.all_gates();
    const auto third = f.press(w::deploy, rm2);
    CHECK(refused(third));
    CHECK_FALSE(find_effect<effect::run_step>(third));
}

TEST_CASE("another promotion holding the environment's lock refuses Deploy and names the holder") {
    fixture f;
    f.make_ready();
    event::pressed e;
    e.button = w::deploy;
    e.user = requester;
    e.roles = roles_of(requester);
    e.lock_held_by = rm2;
    e.lock_held_for = 3;
    const auto t = f.feed(e);
    CHECK(refused(t));
    CHECK(told(t).find("being deployed by @U0RM00002 (promotion #3)") != std::string::npos);
    CHECK(f.p.ph == phase::open);
    // A rollback holds the lock under its negated ID.
    e.lock_held_for = -7;
    CHECK(told(f.feed(e)).find("(rollback #7)") != std::string::npos);
}

TEST_CASE("steps run one after another and the last one ends the promotion as done") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    f.all_gates();
    f.now += 60s;
    f.feed(event::step_ended{0, true, "built", {}, "", false});
    const auto pushed = f.feed(event::step_ended{1, true, "pushed", {}, "sha256:" + std::string(64, 'a'), false});
    CHECK(f.p.pushed_digest == "sha256:" + std::string(64, 'a'));
    REQUIRE(find_effect<effect::run_step>(pushed));
    CHECK(find_effect<effect::run_step>(pushed)->index == 2);
    f.feed(event::step_ended{2, true, "image set", {}, "", false});
    CHECK(status_of(f.p, f.policy, f.now) == "verifying");
    const auto t = f.feed(event::step_ended{3, true, "markets-pipeline-29012 succeeded", {}, "", false});
    CHECK(f.p.ph == phase::done);
    REQUIRE(find_effect<effect::finish_record>(t));
    CHECK(find_effect<effect::finish_record>(t)->result == "succeeded");
    CHECK(find_effect<effect::release_lock>(t));
}

TEST_CASE("a failed step fails the promotion, releases the lock and offers a rollback") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    f.all_gates();
    const auto t = f.feed(event::step_ended{0, false, "exit 1", {"error: no space left"}, "", false});
    CHECK(f.p.ph == phase::failed);
    CHECK(find_effect<effect::finish_record>(t)->result == "failed");
    const auto m = promotion_message(f.p, f.policy, f.now, date::locate_zone("Europe/London"));
    REQUIRE(m.buttons.size() == 1);
    CHECK(m.buttons[0].action_id == "promotion.rollback");
    CHECK(m.context.front().readable().find("error: no space left") != std::string::npos);
}

TEST_CASE("a step's end that is not the running step is ignored") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    f.all_gates();
    const auto t = f.feed(event::step_ended{2, true, "", {}, "", false});
    CHECK_FALSE(t.changed);
    CHECK(f.p.steps[0].state == line_state::running);
}

TEST_CASE("a freeze beginning during a deploy lets the running steps finish and says so once") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    f.all_gates();
    const auto t = f.feed(event::step_ended{0, true, "", {}, "", true});
    CHECK(f.p.freeze_began_during_deploy);
    CHECK(find_effect<effect::note>(t));
    CHECK(find_effect<effect::run_step>(t));
    const auto t2 = f.feed(event::step_ended{1, true, "", {}, "", true});
    CHECK_FALSE(find_effect<effect::note>(t2));
}

TEST_CASE("approvals are voided when the Change Records change") {
    fixture f;
    f.make_ready();
    const auto t = f.feed(event::details_changed{requester, {"CHG0099999"}, "new plan"});
    CHECK(f.p.approvals.empty());
    int voided = 0;
    for (const auto& e : t.effects)
        if (const auto* r = std::get_if<effect::record>(&e); r && r->outcome == "voided") ++voided;
    CHECK(voided == 2);
    f.all_gates();
    CHECK(status_of(f.p, f.policy, f.now) == "awaiting_signoffs");
}

TEST_CASE("only the requester may edit an open request") {
    fixture f;
    const auto t = f.feed(event::details_changed{eng, {"CHG0099999"}, "plan"});
    CHECK(refused(t));
    CHECK(f.p.change_records == std::vector<std::string>{"CHG0012345"});
}

TEST_CASE("approvals expire after 24 hours and are needed again") {
    fixture f;
    f.make_ready();
    f.now += 24h;
    CHECK(status_of(f.p, f.policy, f.now) == "awaiting_signoffs");
    const auto t = f.press(w::deploy, requester);
    CHECK(refused(t));
    CHECK(told(t).find("no longer valid") != std::string::npos);
    const auto tick = f.feed(event::tick{});
    CHECK(tick.changed);
    CHECK(f.p.approvals.empty());
}

TEST_CASE("an open request expires after its time to live") {
    fixture f;
    f.now += std::chrono::days(7);
    f.feed(event::tick{});
    CHECK(f.p.ph == phase::expired);
}

TEST_CASE("a finished, failed or cancelled request cannot be deployed again from its old buttons") {
    fixture f;
    f.make_ready();
    f.press(w::cancel, requester);
    CHECK(f.p.ph == phase::cancelled);
    const auto t = f.press(w::deploy, requester);
    CHECK(refused(t));
    CHECK(told(t).find("is cancelled") != std::string::npos);
    CHECK(promotion_message(f.p, f.policy, f.now, date::locate_zone("Europe/London")).buttons.empty());
}

TEST_CASE("cancel while steps run is refused because stopping halfway is worse") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    f.all_gates();
    const auto t = f.press(w::cancel, requester);
    CHECK(refused(t));
    CHECK(f.p.ph == phase::deploying);
}

TEST_CASE("prod is blocked during a freeze unless the request is an emergency") {
    fixture f;
    f.answer("freeze", gate_state::fail, "frozen: month-end close until 1 Dec 00:00");
    for (const auto& id : {"soak", "change_record", "incidents"}) f.answer(id, gate_state::pass);
    f.signoff(signoff_kind::technical, de);
    f.press(w::signoff, biz, signoff_kind::data_quality);
    f.answer("freeze", gate_state::fail, "frozen: month-end close");
    for (const auto& id : {"soak", "change_record", "incidents"}) f.answer(id, gate_state::pass);
    CHECK(status_of(f.p, f.policy, f.now) == "blocked");
    const auto vp_press = f.press(w::signoff, vp, signoff_kind::emergency);
    CHECK(refused(vp_press));
    CHECK(told(vp_press).find("not an emergency request") != std::string::npos);
}

TEST_CASE("the emergency path needs a VP, an on-call engineer present and a rollback plan, all recorded") {
    fixture f(true);
    auto freeze_red = [&] {
        f.answer("freeze", gate_state::fail, "frozen: year-end close");
        f.answer("soak", gate_state::fail, "int has run v1.2.3 for 2 h of the 24 h required");
        f.answer("change_record", gate_state::pass);
        f.answer("incidents", gate_state::pass);
    };
    freeze_red();
    f.press(w::signoff, de, signoff_kind::technical);
    freeze_red();
    f.press(w::signoff, biz, signoff_kind::data_quality);
    freeze_red();
    CHECK(emergency_active(f.p));
    CHECK(status_of(f.p, f.policy, f.now) == "blocked");
    auto m = promotion_message(f.p, f.policy, f.now, date::locate_zone("Europe/London"));
    bool has_vp_button = false;
    for (const auto& b : m.buttons) has_vp_button |= b.action_id == "promotion.signoff.emergency";
    CHECK(has_vp_button);

    f.press(w::signoff, vp, signoff_kind::emergency);
    freeze_red();
    CHECK(status_of(f.p, f.policy, f.now) == "blocked");
    const auto present = f.press(w::signoff, oncall, signoff_kind::on_call);
    CHECK_FALSE(refused(present));
    freeze_red();
    CHECK(emergency_complete(f.p, f.policy, f.now));
    CHECK(status_of(f.p, f.policy, f.now) == "ready");
    m = promotion_message(f.p, f.policy, f.now, date::locate_zone("Europe/London"));
    CHECK(m.checklist[0].text.readable() == "Not in a change freeze (overridden by the emergency)");
    CHECK(m.checklist[1].text.readable() == "Soaked 24 h in int (overridden by the emergency)");
}

TEST_CASE("the emergency override covers only the configured gates") {
    fixture f(true);
    f.press(w::signoff, de, signoff_kind::technical);
    f.press(w::signoff, biz, signoff_kind::data_quality);
    f.press(w::signoff, vp, signoff_kind::emergency);
    f.press(w::signoff, oncall, signoff_kind::on_call);
    f.answer("freeze", gate_state::fail, "frozen");
    f.answer("soak", gate_state::pass);
    f.answer("change_record", gate_state::pass);
    f.answer("incidents", gate_state::fail, "INC0010001 (P1) open");
    CHECK(status_of(f.p, f.policy, f.now) == "blocked");
    const auto t = f.press(w::deploy, requester);
    CHECK(told(t).find("No open P1/P2 incident: fail") != std::string::npos);
}

TEST_CASE("no person may fill two emergency roles or be the requester") {
    fixture f(true);
    f.answer("freeze", gate_state::fail, "frozen");
    // The requester is a Release Manager; even holding the VP role they could not approve their own request.
    event::pressed self;
    self.button = w::signoff;
    self.signoff = signoff_kind::emergency;
    self.user = requester;
    self.roles = {role::vp, role::release_manager};
    CHECK(refused(f.feed(self)));

    // One person who is both VP and on-call gives one of the two, never both.
    event::pressed both;
    both.button = w::signoff;
    both.signoff = signoff_kind::emergency;
    both.user = "U0VPONC001";
    both.roles = {role::vp, role::on_call};
    CHECK_FALSE(refused(f.feed(both)));
    both.signoff = signoff_kind::on_call;
    const auto t = f.feed(both);
    CHECK(refused(t));
    CHECK(told(t).find("a different person for each role") != std::string::npos);
}

TEST_CASE("an emergency without a rollback plan cannot deploy") {
    fixture f(true, "");
    f.press(w::signoff, de, signoff_kind::technical);
    f.press(w::signoff, biz, signoff_kind::data_quality);
    f.press(w::signoff, vp, signoff_kind::emergency);
    f.press(w::signoff, oncall, signoff_kind::on_call);
    f.answer("freeze", gate_state::fail, "frozen");
    for (const auto& id : {"soak", "change_record", "incidents"}) f.answer(id, gate_state::pass);
    CHECK_FALSE(emergency_complete(f.p, f.policy, f.now));
    const auto t = f.press(w::deploy, requester);
    CHECK(refused(t));
    CHECK(told(t).find("a documented rollback plan") != std::string::npos);
}

TEST_CASE("outside a freeze the emergency flag changes nothing") {
    fixture f(true);
    f.make_ready();
    CHECK_FALSE(emergency_active(f.p));
    CHECK(status_of(f.p, f.policy, f.now) == "ready");
}

TEST_CASE("Option A waits after the Terraform plan for a Release Manager's Apply") {
    fixture f;
    f.p.option = deploy_option::infra;
    f.make_ready();
    f.press(w::deploy, requester);
    f.all_gates();
    f.feed(event::step_ended{0, true, "initialised", {}, "", false});
    f.feed(event::step_ended{1, true, "Plan: 1 to add, 0 to change, 0 to destroy.", {}, "", false});
    CHECK(f.p.ph == phase::awaiting_apply);
    CHECK(refused(f.press(w::apply, eng)));
    const auto t = f.press(w::apply, rm2);
    CHECK(f.p.ph == phase::deploying);
    CHECK(f.p.apply_approved_by == rm2);
    REQUIRE(find_effect<effect::run_step>(t));
    CHECK(find_effect<effect::run_step>(t)->index == 2);
}

TEST_CASE("a restart during a deploy marks it interrupted and never re-runs a step") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    f.all_gates();
    f.feed(event::step_ended{0, true, "", {}, "", false});
    const auto t = f.feed(event::restarted{});
    CHECK(f.p.ph == phase::interrupted);
    CHECK_FALSE(find_effect<effect::run_step>(t));
    CHECK(find_effect<effect::finish_record>(t)->result == "interrupted");
    CHECK(f.p.steps[1].state == line_state::unknown);
    REQUIRE(find_effect<effect::note>(t));
    CHECK(find_effect<effect::note>(t)->text.readable().find("Completed: docker build") != std::string::npos);
}

TEST_CASE("a restart before the first step returns the request to open and runs nothing") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    const auto t = f.feed(event::restarted{});
    CHECK(f.p.ph == phase::open);
    CHECK(find_effect<effect::release_lock>(t));
    CHECK_FALSE(find_effect<effect::run_step>(t));
}

TEST_CASE("a restart while gates were being checked asks them again") {
    fixture f;
    f.answer("freeze", gate_state::pass);
    const int before = f.p.gate_round;
    const auto t = f.feed(event::restarted{});
    CHECK(f.p.gate_round == before + 1);
    CHECK(find_effect<effect::run_gates>(t));
}

TEST_CASE("a promotion survives the round trip through its stored document") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    f.all_gates();
    f.feed(event::step_ended{0, true, "built", {"line"}, "", false});
    const auto back = promotion_from_json(to_json(f.p));
    CHECK(back == f.p);
}

TEST_CASE("a stored document of the wrong shape is refused with the field named") {
    fixture f;
    auto j = to_json(f.p);
    j["gate_round"] = "three";
    CHECK_THROWS_WITH(promotion_from_json(j), Catch::Contains("gate_round"));
    auto k = to_json(f.p);
    k["phase"] = "teleporting";
    CHECK_THROWS_WITH(promotion_from_json(k), Catch::Contains("phase"));
}

TEST_CASE("promotion buttons decode only their own actions with a numeric ID") {
    REQUIRE(promotion_button_of("promotion.deploy", "12"));
    CHECK(promotion_button_of("promotion.deploy", "12")->promotion_id == 12);
    CHECK(promotion_button_of("promotion.signoff.data_quality", "3")->signoff == signoff_kind::data_quality);
    CHECK_FALSE(promotion_button_of("promotion.deploy", "12x"));
    CHECK_FALSE(promotion_button_of("promotion.deploy", "-1"));
    CHECK_FALSE(promotion_button_of("promotion.launch", "1"));
    CHECK_FALSE(promotion_button_of("promotion.deploy", "99999999999999999999"));
}

TEST_CASE("the gates are re-checked on request only by the requester or someone holding a role") {
    fixture f;
    f.all_gates();
    const int before = f.p.gate_round;
    const auto stranger = f.press(w::recheck, "U0STRANGER1");
    CHECK(refused(stranger));
    CHECK(f.p.gate_round == before);
    const auto engineer = f.press(w::recheck, eng);
    CHECK_FALSE(refused(engineer));
    CHECK(f.p.gate_round == before + 1);
}

TEST_CASE("a rollback confirmed during a deploy takes over: the running step is stopped and the request cancelled") {
    fixture f;
    f.make_ready();
    f.press(w::deploy, requester);
    f.all_gates();
    f.feed(event::step_ended{0, true, "built", {}, "", false});
    const auto t = f.feed(event::taken_over{4, oncall});
    CHECK(f.p.ph == phase::cancelled);
    CHECK(f.p.outcome == "cancelled by rollback #4");
    CHECK(find_effect<effect::cancel_running>(t));
    CHECK(find_effect<effect::release_lock>(t));
    REQUIRE(find_effect<effect::finish_record>(t));
    CHECK(find_effect<effect::finish_record>(t)->result == "cancelled");
    CHECK(f.p.steps[1].state == line_state::failed);
    CHECK(f.p.steps[1].summary == "stopped: rollback #4 took over");
    // A request that is not deploying is left alone.
    fixture open;
    const auto nothing = open.feed(event::taken_over{4, oncall});
    CHECK_FALSE(nothing.changed);
    CHECK(open.p.ph == phase::open);
}
