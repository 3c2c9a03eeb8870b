// /promote end to end: the real bot against the in-process fake Slack,
// ServiceNow and Dynatrace over TLS, with stand-ins for docker, kubectl,
// gcloud and bq on the tools' paths (they record their argv and print what
// the real tools print) and the real terraform for Option A.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "bot/config/config.hpp"
#include "bot/main/slack_app.hpp"
#include "bot/ports/store.hpp"
#include "commands/promotion/promotion_json.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/fake_services/fake_dynatrace.hpp"
#include "tests/fake_services/fake_servicenow.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;
using namespace std::chrono_literals;

namespace {

const std::string rm = "U0RM00001";
const std::string rm2 = "U0RM00002";
const std::string eng = "U0ENG00001";
const std::string de = "U0DE00001";
const std::string biz = "U0BIZ00001";
const std::string vp = "U0VP00001";
const std::string oncall = "U0ONC00001";

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in{p};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string servicenow_time(std::chrono::system_clock::time_point t) {
    return date::format("%Y-%m-%d %H:%M:%S", date::floor<std::chrono::seconds>(t));
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// The outside world of a promotion, and the bot running against it.
struct world {
    testing::fake_slack fake;
    testing::fake_servicenow servicenow;
    testing::fake_dynatrace dynatrace;
    testing::temp_dir dir;
    std::filesystem::path stubs;
    bot::config cfg;
    bot::slack_environment env;
    std::unique_ptr<sqlite::sqlite_store> st;
    std::unique_ptr<bot::slack_app> app;
    std::thread thread;
    int triggers = 0;
    int views = 0;

    world() {
        stubs = dir.path / "stubs";
        std::filesystem::create_directories(stubs);
        ::setenv("PROMOTEBOT_STUB_DIR", stubs.c_str(), 1);
        ::setenv("SERVICENOW_TOKEN", servicenow.options().token.c_str(), 1);
        ::unsetenv("SERVICENOW_USERNAME");
        ::unsetenv("SERVICENOW_PASSWORD");
        ::setenv("DYNATRACE_API_TOKEN", dynatrace.options().api_token.c_str(), 1);

        cfg = bot::embedded_default_config();
        cfg.store = dir.file();
        cfg.slack.connections = 1;
        cfg.http.port = 0;  // tests run side by side: the OS picks a free port
        cfg.servicenow.url = servicenow.url();
        cfg.dynatrace.url = dynatrace.url();
        // Whatever today is, it is no freeze unless a test makes one.
        cfg.freeze.rules.month_end_enabled = false;
        cfg.freeze.rules.year_end_enabled = false;
        cfg.freeze.rules.bank_holidays_enabled = false;
        cfg.freeze.rules.regulatory.clear();
        cfg.promotion.verify_poll = 1s;
        cfg.promotion.gate_timeout = 15s;
        const std::string tools = std::string{PROMOTEBOT_SOURCE_DIR} + "/tests/e2e/tools/";
        for (const char* t : {"docker", "kubectl", "gcloud", "bq"}) cfg.tools[t] = tools + t;

        const auto now = std::chrono::system_clock::now();
        servicenow.add_record("change_request", {{"number", "CHG0012345"},
                                                 {"type", "normal"},
                                                 {"approval", "approved"},
                                                 {"state", "-1"},
                                                 {"start_date", servicenow_time(now - 1h)},
                                                 {"end_date", servicenow_time(now + 3h)}});
        // One CA bundle for every loopback service.
        const auto bundle = dir.path / "ca.pem";
        std::ofstream out{bundle};
        for (const auto& ca : {fake.ca_file(), servicenow.ca_file(), dynatrace.ca_file()}) out << read_file(ca);
        out.close();
        env.app_token = fake.options().app_token;
        env.bot_token = fake.options().bot_token;
        env.api_url = fake.api_url();
        env.ca_file = bundle.string();
        start();
    }

    ~world() { stop(); }

    void start() {
        st = sqlite::open_sqlite_store(cfg.store);
        app = std::make_unique<bot::slack_app>(cfg, *st, env);
        thread = std::thread([this] { app->run(false); });
        REQUIRE(fake.wait_for_connections(1, 10s));
    }

    void stop() {
        if (!app) return;
        app->stop();
        if (thread.joinable()) thread.join();
        app.reset();
        st.reset();
    }

    void stub(const std::string& name, const std::string& value) {
        std::ofstream{stubs / name} << value;
    }

    std::vector<std::string> calls(const std::string& tool) {
        std::vector<std::string> out;
        std::istringstream lines{read_file(stubs / "calls.log")};
        for (std::string l; std::getline(lines, l);)
            if (l.rfind(tool + " ", 0) == 0) out.push_back(l);
        return out;
    }

    void command(const std::string& user, const std::string& text) {
        fake.send_envelope("slash_commands", {{"command", "/promote"},
                                              {"text", text},
                                              {"user_id", user},
                                              {"channel_id", cfg.slack.release_channel},
                                              {"response_url", fake.make_response_url()},
                                              {"trigger_id", fake.issue_trigger()}});
    }

    // /promote, then the form as the person fills it in; returns the promotion's ID.
    std::int64_t open(const std::string& user, const std::string& text,
                      std::map<std::string, std::string> values = {}) {
        const auto before = fake.calls("views.open").size();
        command(user, text);
        REQUIRE(fake.wait_for_calls("views.open", before + 1, 10s));
        char id[16];
        std::snprintf(id, sizeof id, "V%08d", ++views);
        if (!values.count("rollback_plan")) values["rollback_plan"] = "kubectl set image back to v1.2.2";
        if (!values.count("option")) values["option"] = "app";
        REQUIRE(eventually([&] { return !fake.view(id).is_null(); }));
        const auto known = promotions();
        fake.submit_view(id, user, values);
        std::int64_t found = 0;
        const bool opened = eventually([&] {
            const auto now = promotions();
            if (now > known) found = now;
            return found != 0;
        });
        if (!opened)
            for (const auto& r : st->audit_since(std::chrono::sys_seconds{}))
                UNSCOPED_INFO(r.entry.actor << " " << r.entry.action << " " << r.entry.subject << " "
                                            << r.entry.outcome << " " << r.entry.detail.dump());
        REQUIRE(opened);
        return found;
    }

    std::int64_t promotions() {
        const auto rows = st->recent_promotions(1);
        return rows.empty() ? 0 : rows.front().id;
    }

    std::string state(std::int64_t id) {
        const auto p = st->promotion(id);
        return p ? p->state : std::string{};
    }

    bool reaches(std::int64_t id, const std::string& s, std::chrono::milliseconds timeout = 20s) {
        const bool ok = eventually([&] { return state(id) == s; }, timeout);
        if (!ok) {
            UNSCOPED_INFO("promotion #" << id << " is " << state(id) << ", not " << s << "; ServiceNow saw "
                                        << servicenow.requests().size() << " request(s), Dynatrace "
                                        << dynatrace.requests().size());
            if (st->promotion(id))
                for (const auto& g : request(id).gates)
                    UNSCOPED_INFO("  " << g.id << ": " << commands::to_string(g.state) << " " << g.evidence);
        }
        return ok;
    }

    commands::promotion request(std::int64_t id) { return commands::promotion_from_json(st->promotion(id)->doc); }

    void click(const std::string& user, const std::string& action, std::int64_t id) {
        fake.send_envelope("interactive",
                           {{"type", "block_actions"},
                            {"user", {{"id", user}}},
                            {"channel", {{"id", cfg.slack.release_channel}}},
                            {"message", {{"ts", "1700000000.000100"}}},
                            {"response_url", fake.make_response_url()},
                            {"trigger_id", fake.issue_trigger()},
                            {"actions", {{{"action_id", action}, {"value", std::to_string(id)}, {"type", "button"}}}}});
    }

    // Signs off both ways and waits for the gates to be green again.
    void approve(std::int64_t id) {
        click(de, "promotion.signoff.technical", id);
        REQUIRE(eventually([&] { return request(id).approvals.size() == 1; }));
        click(biz, "promotion.signoff.data_quality", id);
        REQUIRE(reaches(id, "ready"));
    }

    std::vector<commands::audit_record> audit(const std::string& action) {
        std::vector<commands::audit_record> out;
        for (const auto& r : st->audit_since(std::chrono::sys_seconds{}))
            if (r.entry.action == action) out.push_back(r);
        return out;
    }

    // Everything the bot said privately or through response URLs, as text.
    std::string private_answers() {
        std::string all;
        for (const auto& c : fake.calls("response_url")) all += c.body.dump();
        for (const auto& c : fake.calls("chat.postEphemeral")) all += c.body.dump();
        return all;
    }

    std::string channel_text() {
        std::string all;
        for (const auto& m : {"chat.postMessage", "chat.update"})
            for (const auto& c : fake.calls(m)) all += c.body.dump();
        return all;
    }
};

}  // namespace

TEST_CASE("Option B end to end: gates with evidence, two sign-offs, Deploy, the runbook's commands and the record") {
    world w;
    const auto id = w.open(rm, "v1.2.3 change CHG0012345");
    REQUIRE(w.reaches(id, "awaiting_signoffs"));
    auto p = w.request(id);
    for (const auto& g : p.gates) {
        INFO(g.id << ": " << g.evidence);
        CHECK(g.state == commands::gate_state::pass);
        CHECK_FALSE(g.evidence.empty());
    }
    // The ServiceNow query carried the CR as a value of the encoded query.
    bool asked_for_cr = false;
    for (const auto& r : w.servicenow.requests())
        if (const auto q = r.params.find("sysparm_query"); q != r.params.end())
            asked_for_cr |= q->second == "numberINCHG0012345";
    CHECK(asked_for_cr);

    w.approve(id);
    CHECK(eventually([&] { return w.channel_text().find("Release Manager notified") != std::string::npos; }));

    w.click(rm, "promotion.deploy", id);
    REQUIRE(w.reaches(id, "done", 30s));
    p = w.request(id);
    CHECK(p.pushed_digest == "sha256:" + std::string(64, '1'));

    const auto kubectl = w.calls("kubectl");
    bool set_image = false;
    for (const auto& c : kubectl)
        set_image |= c == "kubectl [--context] [gke_markets-prod-12345_europe-west2_markets] [set] [image] [-n] [markets] "
                          "[cronjob/markets-pipeline] [orchestrator=gcr.io/markets-prod-12345/markets-orchestrator:v1.2.3]";
    CHECK(set_image);
    CHECK(w.calls("docker").size() == 2);
    const auto d = w.st->deployment_of_promotion(id);
    REQUIRE(d);
    CHECK(d->result == "succeeded");
    CHECK(d->image_digest == "sha256:" + std::string(64, '1'));
    CHECK(d->approved_by.size() == 3);
    CHECK(w.st->deploy_lock_of("prod") == std::nullopt);
    CHECK(w.st->verify_audit().ok);
    CHECK(!w.st->step_output(id).empty());
}

TEST_CASE("an engineer pressing Deploy for prod is refused privately and audited") {
    world w;
    const auto id = w.open(rm, "v1.2.3 change CHG0012345");
    w.approve(id);
    w.click(eng, "promotion.deploy", id);
    REQUIRE(eventually([&] {
        for (const auto& r : w.audit("promotion.deploy"))
            if (r.entry.actor == eng && r.entry.outcome == "refused") return true;
        return false;
    }));
    CHECK(eventually([&] { return w.private_answers().find("Only a Release Manager can deploy to prod") != std::string::npos; }));
    CHECK(w.state(id) == "ready");
    CHECK(w.calls("docker").empty());
}

TEST_CASE("nobody signs off their own request in Slack either") {
    world w;
    const auto id = w.open(de, "v1.2.3 change CHG0012345");
    REQUIRE(w.reaches(id, "awaiting_signoffs"));
    w.click(de, "promotion.signoff.technical", id);
    CHECK(eventually([&] { return w.private_answers().find("You cannot sign off your own request") != std::string::npos; }));
    CHECK(w.request(id).approvals.empty());
}

TEST_CASE("a Change Record that is not approved blocks the request with its evidence") {
    world w;
    const auto now = std::chrono::system_clock::now();
    w.servicenow.add_record("change_request", {{"number", "CHG0099999"},
                                               {"type", "normal"},
                                               {"approval", "requested"},
                                               {"state", "-3"},
                                               {"start_date", servicenow_time(now - 1h)},
                                               {"end_date", servicenow_time(now + 3h)}});
    const auto id = w.open(rm, "v1.2.3 change CHG0099999");
    REQUIRE(w.reaches(id, "blocked"));
    for (const auto& g : w.request(id).gates)
        if (g.id == "change_record") {
            CHECK(g.state == commands::gate_state::fail);
            CHECK(g.evidence.find("CHG0099999") != std::string::npos);
        }
}

TEST_CASE("a gate turning red between approval and Deploy stops the deploy before any step") {
    world w;
    const auto id = w.open(rm, "v1.2.3 change CHG0012345");
    w.approve(id);
    w.servicenow.add_record("incident", {{"number", "INC0010001"},
                                         {"priority", "1"},
                                         {"state", "2"},
                                         {"active", "true"},
                                         {"cmdb_ci.name", "markets-pipeline"},
                                         {"short_description", "trade feed down"}});
    w.click(rm, "promotion.deploy", id);
    REQUIRE(w.reaches(id, "blocked"));
    CHECK(w.calls("docker").empty());
    CHECK(w.st->deploy_lock_of("prod") == std::nullopt);
    CHECK(eventually([&] { return w.channel_text().find("Deploy stopped before the first step") != std::string::npos; }));
}

TEST_CASE("the same Deploy click delivered five times at once runs the steps once") {
    world w;
    const auto id = w.open(rm, "v1.2.3 change CHG0012345");
    w.approve(id);
    for (int i = 0; i < 5; ++i) w.click(rm, "promotion.deploy", id);
    REQUIRE(w.reaches(id, "done", 30s));
    CHECK(w.calls("docker").size() == 2);
    int sets = 0;
    for (const auto& c : w.calls("kubectl")) sets += c.find("[set] [image]") != std::string::npos;
    CHECK(sets == 1);
}

TEST_CASE("a failing verification run fails the promotion with the job's last log lines and a Rollback button") {
    world w;
    w.stub("job_state", "failed");
    const auto id = w.open(rm, "v1.2.3 change CHG0012345");
    w.approve(id);
    w.click(rm, "promotion.deploy", id);
    REQUIRE(w.reaches(id, "failed", 30s));
    const auto p = w.request(id);
    CHECK(p.steps.back().summary.find("failed") != std::string::npos);
    CHECK(eventually([&] { return w.channel_text().find("division by zero") != std::string::npos; }));
    CHECK(eventually([&] { return w.channel_text().find("promotion.rollback") != std::string::npos; }));
    CHECK(w.st->deployment_of_promotion(id)->result == "failed");
}

TEST_CASE("a moved tag stops the deploy before kubectl set image") {
    world w;
    w.stub("registry_digest", "sha256:" + std::string(64, '2'));
    const auto id = w.open(rm, "v1.2.3 change CHG0012345");
    w.approve(id);
    w.click(rm, "promotion.deploy", id);
    REQUIRE(w.reaches(id, "failed", 30s));
    for (const auto& c : w.calls("kubectl")) CHECK(c.find("[set] [image]") == std::string::npos);
    CHECK(w.request(id).outcome.find("check the pushed digest") != std::string::npos);
}

TEST_CASE("a restart while the deploy runs marks it interrupted and never re-runs a step") {
    world w;
    w.stub("job_state", "running");
    const auto id = w.open(rm, "v1.2.3 change CHG0012345");
    w.approve(id);
    w.click(rm, "promotion.deploy", id);
    REQUIRE(w.reaches(id, "verifying", 30s));
    w.stop();
    const auto docker_before = w.calls("docker").size();
    w.start();
    REQUIRE(w.reaches(id, "interrupted"));
    CHECK(w.calls("docker").size() == docker_before);
    CHECK(eventually([&] { return w.channel_text().find("Nothing is re-run automatically") != std::string::npos; }));
    CHECK(w.st->deployment_of_promotion(id)->result == "interrupted");
    CHECK(w.st->deploy_lock_of("prod") == std::nullopt);
}

TEST_CASE("during a freeze a prod request is blocked unless it is an emergency") {
    world w;
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    w.st->add_freeze_window(now - 1h, now + 2h, "warehouse migration", rm, now);
    const auto id = w.open(rm, "v1.2.3 change CHG0012345");
    REQUIRE(w.reaches(id, "blocked"));
    const auto p = w.request(id);
    CHECK(p.gates.front().state == commands::gate_state::fail);
    CHECK(p.gates.front().evidence.find("warehouse migration") != std::string::npos);
    w.click(de, "promotion.signoff.technical", id);
    REQUIRE(eventually([&] { return w.request(id).approvals.size() == 1; }));
    w.click(biz, "promotion.signoff.data_quality", id);
    REQUIRE(eventually([&] { return w.request(id).approvals.size() == 2; }));
    REQUIRE(w.reaches(id, "blocked"));
    w.click(rm, "promotion.deploy", id);
    CHECK(eventually([&] { return w.private_answers().find("Not ready to deploy") != std::string::npos; }));
    CHECK(w.calls("docker").empty());
    // The emergency buttons do nothing on a request that is not an emergency.
    w.click(vp, "promotion.signoff.emergency", id);
    CHECK(eventually([&] { return w.private_answers().find("not an emergency request") != std::string::npos; }));
}

TEST_CASE("the emergency path needs a VP, an on-call engineer present and a rollback plan, three different people") {
    world w;
    // One person who is both VP and on call may fill only one of the two roles.
    w.stop();
    w.cfg.roles[commands::role::on_call].users.push_back(vp);
    w.start();
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    w.st->add_freeze_window(now - 1h, now + 2h, "month-end close (test)", rm, now);
    const auto id = w.open(rm, "v1.2.4 emergency change CHG0012345",
                           {{"emergency_reason", "trades from the new venue are dropped"}});
    REQUIRE(w.reaches(id, "blocked"));
    w.click(de, "promotion.signoff.technical", id);
    REQUIRE(eventually([&] { return w.request(id).approvals.size() == 1; }));
    w.click(biz, "promotion.signoff.data_quality", id);
    REQUIRE(eventually([&] { return w.request(id).approvals.size() == 2; }));
    w.click(vp, "promotion.signoff.emergency", id);
    REQUIRE(eventually([&] { return w.request(id).approvals.size() == 3; }));
    w.click(vp, "promotion.signoff.on_call", id);
    CHECK(eventually([&] { return w.private_answers().find("a different person for each role") != std::string::npos; }));
    CHECK(w.request(id).approvals.size() == 3);
    w.click(oncall, "promotion.signoff.on_call", id);
    REQUIRE(w.reaches(id, "ready"));
    const auto p = w.request(id);
    CHECK(p.gates.front().state == commands::gate_state::fail);  // still frozen, shown as overridden
    CHECK(p.emergency_reason == "trades from the new venue are dropped");
    w.click(rm, "promotion.deploy", id);
    REQUIRE(w.reaches(id, "done", 30s));
    bool reason_audited = false;
    for (const auto& r : w.audit("promotion.open")) reason_audited |= r.entry.detail.dump().find("new venue") != std::string::npos;
    CHECK(reason_audited);
    CHECK(w.audit("promotion.signoff.emergency").size() == 1);
    CHECK(w.audit("promotion.signoff.on_call").size() == 2);  // one refused, one given
}

TEST_CASE("Option A runs the real terraform: the plan waits for a Release Manager's Apply, then applies") {
    // terraform runs for real here, offline: terraform_data needs no provider download.
    const char* path = std::getenv("PATH");
    bool terraform_found = false;
    for (std::string dirs = path ? path : ""; !dirs.empty();) {
        const auto colon = dirs.find(':');
        const auto dir = dirs.substr(0, colon);
        if (!dir.empty() && ::access((std::filesystem::path(dir) / "terraform").c_str(), X_OK) == 0) terraform_found = true;
        dirs = colon == std::string::npos ? "" : dirs.substr(colon + 1);
    }
    INFO("this test needs the terraform binary on PATH");
    REQUIRE(terraform_found);
    world w;
    w.stop();
    const auto tf = w.dir.path / "terraform" / "prod";
    std::filesystem::create_directories(tf);
    std::ofstream{tf / "main.tf"} << "resource \"terraform_data\" \"markets\" {\n  input = \"v1.2.3\"\n}\n";
    ::setenv("CHECKPOINT_DISABLE", "1", 1);
    w.cfg.environments["prod"].terraform_dir = tf.string();
    w.start();
    const auto id = w.open(rm, "v1.2.3 infra change CHG0012345", {{"option", "infra"}});
    w.approve(id);
    w.click(rm, "promotion.deploy", id);
    REQUIRE(w.reaches(id, "awaiting_apply", 60s));
    const auto p = w.request(id);
    CHECK(p.plan_summary == "Plan: 1 to add, 0 to change, 0 to destroy.");
    CHECK(eventually([&] { return w.channel_text().find("terraform_data.markets will be created") != std::string::npos; }));
    CHECK_FALSE(std::filesystem::exists(tf / "terraform.tfstate"));
    w.click(eng, "promotion.apply", id);
    CHECK(eventually([&] { return w.private_answers().find("Only a Release Manager") != std::string::npos; }));
    w.click(rm2, "promotion.apply", id);
    REQUIRE(w.reaches(id, "done", 60s));
    CHECK(std::filesystem::exists(tf / "terraform.tfstate"));
    CHECK(w.request(id).apply_approved_by == rm2);
    CHECK(w.st->deployment_of_promotion(id)->detail["apply_approved_by"] == rm2);
}

TEST_CASE("approvals are voided when the requester changes the Change Records") {
    world w;
    const auto now = std::chrono::system_clock::now();
    w.servicenow.add_record("change_request", {{"number", "CHG0012346"},
                                               {"type", "normal"},
                                               {"approval", "approved"},
                                               {"state", "-2"},
                                               {"start_date", servicenow_time(now - 1h)},
                                               {"end_date", servicenow_time(now + 3h)}});
    const auto id = w.open(rm, "v1.2.3 change CHG0012345");
    w.approve(id);
    // Only the requester may edit.
    w.click(rm2, "promotion.edit", id);
    CHECK(eventually([&] { return w.private_answers().find("Only the requester can change") != std::string::npos; }));
    const auto before = w.fake.calls("views.open").size();
    w.click(rm, "promotion.edit", id);
    REQUIRE(w.fake.wait_for_calls("views.open", before + 1, 10s));
    char view[16];
    std::snprintf(view, sizeof view, "V%08d", ++w.views);
    REQUIRE(eventually([&] { return !w.fake.view(view).is_null(); }));
    w.fake.submit_view(view, rm, {{"change_records", "CHG0012346"}});
    REQUIRE(eventually([&] { return w.request(id).change_records == std::vector<std::string>{"CHG0012346"}; }));
    CHECK(w.request(id).approvals.empty());
    REQUIRE(w.reaches(id, "awaiting_signoffs"));
    int voided = 0;
    for (const auto& r : w.audit("promotion.signoff.technical")) voided += r.entry.outcome == "voided";
    for (const auto& r : w.audit("promotion.signoff.data_quality")) voided += r.entry.outcome == "voided";
    CHECK(voided == 2);
    w.click(rm, "promotion.deploy", id);
    CHECK(eventually([&] { return w.private_answers().find("sign-off (Data Engineering) missing") != std::string::npos; }));
}

TEST_CASE("every gate failing alone blocks the request with that gate's evidence") {
    struct failing {
        std::string gate;
        std::function<void(world&)> make_it_fail;
        std::string evidence;
    };
    const std::vector<failing> cases{
        {"soak", [](world& w) { w.stub("int_image", "gcr.io/markets-int-12345/markets-orchestrator:v1.2.2"); },
         "int runs v1.2.2, not v1.2.3"},
        {"pipeline_cycles", [](world& w) { w.stub("cycles", "1"); }, "1 successful pipeline cycle"},
        {"quarantine", [](world& w) { w.stub("quarantine_exit", "1"); }, "exit"},
        {"performance",
         [](world& w) {
             w.dynatrace.add_problem({{"title", "Response time degradation"},
                                      {"status", "OPEN"},
                                      {"managementZones", {{{"name", "markets-prod"}}}}});
         },
         "Response time degradation"},
        {"incidents",
         [](world& w) {
             w.servicenow.add_record("incident", {{"number", "INC0010002"},
                                                  {"priority", "2"},
                                                  {"state", "2"},
                                                  {"active", "true"},
                                                  {"cmdb_ci.name", "markets-pipeline"},
                                                  {"short_description", "late prices"}});
         },
         "INC0010002"},
    };
    for (const auto& c : cases) {
        DYNAMIC_SECTION(c.gate) {
            world w;
            c.make_it_fail(w);
            const auto id = w.open(rm, "v1.2.3 change CHG0012345");
            REQUIRE(w.reaches(id, "blocked"));
            for (const auto& g : w.request(id).gates) {
                INFO(g.id << ": " << g.evidence);
                if (g.id == c.gate) {
                    CHECK(g.state == commands::gate_state::fail);
                    CHECK(g.evidence.find(c.evidence) != std::string::npos);
                } else {
                    CHECK(g.state == commands::gate_state::pass);
                }
            }
        }
    }
}

TEST_CASE("a version rolled back from is refused by /promote unless the request says why, and the override is audited") {
    world w;
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    w.st->transaction([&](bot::store_session& s) { s.mark_bad_version({"prod", "v1.2.3", oncall, 4, now}); });
    const auto before = w.fake.calls("views.open").size();
    w.command(rm, "v1.2.3 change CHG0012345");
    CHECK(eventually([&] { return w.private_answers().find("v1.2.3 was rolled back from in prod") != std::string::npos; }));
    CHECK(w.private_answers().find("override-bad") != std::string::npos);
    CHECK(w.fake.calls("views.open").size() == before);
    const auto id = w.open(rm, "v1.2.3 change CHG0012345 override-bad the fix is in the data, not the image");
    REQUIRE(w.reaches(id, "awaiting_signoffs"));
    const auto overrides = w.audit("promotion.override_bad");
    REQUIRE(overrides.size() == 1);
    CHECK(overrides[0].entry.detail["reason"] == "the fix is in the data, not the image");
    bool carried = false;
    for (const auto& r : w.audit("promotion.open"))
        carried |= r.entry.detail.value("override_bad_reason", "") == "the fix is in the data, not the image";
    CHECK(carried);
}
