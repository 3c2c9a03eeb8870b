// /rollback end to end: the real bot against the fake Slack, with the stub
// kubectl and gcloud (the cluster and the registry) and, for the Terraform
// revert, the real git and terraform on an offline working copy.
#include <csignal>

#include "commands/rollback/rollback_json.hpp"
#include "tests/e2e/e2e_world.hpp"

using namespace promotebot;
using namespace promotebot::e2e;
using namespace std::chrono_literals;

namespace {

// A deployment the bot made earlier, as its record keeps it.
void deployed(world& w, const std::string& version, const std::string& by, std::chrono::hours ago,
              const std::string& result = "succeeded") {
    const auto t = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()) - ago;
    bot::deployment_record d;
    d.environment = "prod";
    d.version = version;
    d.option = "app";
    d.requested_by = by;
    d.started_at = t - std::chrono::minutes{5};
    d.detail = {{"deployer", by}};
    const auto id = w.st->start_deployment(d);
    w.st->finish_deployment(id, result, "", t, d.detail);
}

std::int64_t latest_rollback(world& w) {
    std::int64_t id = 0;
    for (const auto& r : w.st->rollbacks_in_states(
             {"proposed", "running", "awaiting_apply", "done", "failed", "cancelled", "expired", "interrupted"}))
        id = std::max(id, r.id);
    return id;
}

commands::rollback rollback_of(world& w, std::int64_t id) { return commands::rollback_from_json(w.st->rollback(id)->doc); }

std::string rollback_state(world& w, std::int64_t id) {
    const auto r = w.st->rollback(id);
    return r ? r->state : std::string{};
}

bool rollback_reaches(world& w, std::int64_t id, const std::string& s, std::chrono::milliseconds timeout = 20s) {
    const bool ok = eventually([&] { return rollback_state(w, id) == s; }, timeout);
    if (!ok) {
        UNSCOPED_INFO("rollback #" << id << " is " << rollback_state(w, id) << ", not " << s);
        for (const auto& r : w.st->audit_since(std::chrono::sys_seconds{}))
            UNSCOPED_INFO(r.entry.actor << " " << r.entry.action << " " << r.entry.subject << " " << r.entry.outcome
                                        << " " << r.entry.detail.dump());
    }
    return ok;
}

// /rollback …, then the proposal's ID once it is posted.
std::int64_t propose(world& w, const std::string& user, const std::string& text) {
    const auto before = latest_rollback(w);
    w.slash(user, "/rollback", text);
    std::int64_t id = 0;
    REQUIRE(eventually([&] {
        id = latest_rollback(w);
        return id > before;
    }));
    REQUIRE(eventually([&] { return w.channel_text().find("Rollback #" + std::to_string(id)) != std::string::npos; }));
    return id;
}

std::size_t calls_with(world& w, const std::string& tool, const std::string& part) {
    std::size_t n = 0;
    for (const auto& c : w.calls(tool)) n += c.find(part) != std::string::npos;
    return n;
}

const std::string set_image_v122 =
    "kubectl [--context] [gke_markets-prod-12345_europe-west2_markets] [set] [image] [-n] [markets] "
    "[cronjob/markets-pipeline] [orchestrator=gcr.io/markets-prod-12345/markets-orchestrator:v1.2.2]";

bool refused_privately(world& w, const std::string& text) {
    return eventually([&] { return w.private_answers().find(text) != std::string::npos; });
}

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

TEST_CASE("a quick rollback goes back to the last good deployment from the history, marks the version bad, records it") {
    world w;
    deployed(w, "v1.2.1", rm2, std::chrono::hours{24 * 20});
    deployed(w, "v1.2.2", rm2, std::chrono::hours{24 * 9});
    deployed(w, "v1.2.3", rm, std::chrono::hours{2});
    const auto id = propose(w, oncall, "");
    auto r = rollback_of(w, id);
    CHECK(r.current_version == "v1.2.3");
    CHECK(r.target_version == "v1.2.2");
    CHECK(r.target_known_good);
    CHECK(r.target_deployed_by == rm2);
    // The message says what will happen, with a danger button behind a confirm dialog.
    const auto text = w.channel_text();
    CHECK(text.find("v1.2.3 → v1.2.2") != std::string::npos);
    CHECK(text.find("<@" + rm2 + ">") != std::string::npos);
    CHECK(text.find("\"style\":\"danger\"") != std::string::npos);
    CHECK(text.find("v1.2.3 will be marked bad") != std::string::npos);
    CHECK(w.calls("kubectl").size() == 1);  // only the running image was read

    w.click(oncall, "rollback.confirm", id);
    REQUIRE(rollback_reaches(w, id, "done", 30s));
    CHECK(calls_with(w, "kubectl", "[set] [image]") == 1);
    bool exact = false;
    for (const auto& c : w.calls("kubectl")) exact |= c == set_image_v122;
    CHECK(exact);
    const auto bad = w.st->bad_version_of("prod", "v1.2.3");
    REQUIRE(bad);
    CHECK(bad->marked_by == oncall);
    CHECK(bad->rollback_id == id);
    r = rollback_of(w, id);
    REQUIRE(r.deployment_id != 0);
    const auto d = w.st->deployment(r.deployment_id);
    REQUIRE(d);
    CHECK(d->version == "v1.2.2");
    CHECK(d->option == "rollback:image");
    CHECK(d->result == "succeeded");
    CHECK(w.st->deploy_lock_of("prod") == std::nullopt);
    CHECK(eventually([&] { return w.channel_text().find("prod runs v1.2.2 again") != std::string::npos; }));
    CHECK(w.st->verify_audit().ok);

    // A rollback stays rolled back: /rollback again passes over the bad version, /promote of it is refused.
    w.stub("prod_image", "gcr.io/markets-prod-12345/markets-orchestrator:v1.2.2");
    const auto again = propose(w, oncall, "");
    CHECK(rollback_of(w, again).target_version == "v1.2.1");
    w.command(rm, "v1.2.3 change CHG0012345");
    CHECK(refused_privately(w, "was rolled back from in prod"));
}

TEST_CASE("with no history the rollback target comes from the registry, newest before the running tag") {
    world w;
    const auto id = propose(w, oncall, "");
    const auto r = rollback_of(w, id);
    CHECK(r.current_version == "v1.2.3");
    CHECK(r.target_version == "v1.2.2");
    CHECK_FALSE(r.target_known_good);
    CHECK(r.target_why.find("never deployed by promotebot") != std::string::npos);
    bool listed = false;
    for (const auto& c : w.calls("gcloud"))
        listed |= c.find("[--sort-by=~TIMESTAMP] [--format=json]") != std::string::npos;
    CHECK(listed);
}

TEST_CASE("an explicit rollback version is used, and one with no image is refused before anything runs") {
    world w;
    const auto id = propose(w, oncall, "to v1.2.1");
    CHECK(rollback_of(w, id).target_version == "v1.2.1");

    w.slash(oncall, "/rollback", "to v9.9.9");
    CHECK(refused_privately(w, "no image v9.9.9 in the registry"));
    CHECK(latest_rollback(w) == id);
    CHECK(calls_with(w, "kubectl", "[set] [image]") == 0);
    bool audited = false;
    for (const auto& a : w.audit("rollback.propose")) audited |= a.entry.outcome == "refused";
    CHECK(audited);
}

TEST_CASE("an engineer without on-call or Release Manager pressing Roll back is refused privately and audited") {
    world w;
    const auto id = propose(w, eng, "");
    w.click(eng, "rollback.confirm", id);
    REQUIRE(eventually([&] {
        for (const auto& a : w.audit("rollback.confirm"))
            if (a.entry.actor == eng && a.entry.outcome == "refused") return true;
        return false;
    }));
    CHECK(refused_privately(w, "Only"));
    CHECK(rollback_state(w, id) == "proposed");
    CHECK(calls_with(w, "kubectl", "[set] [image]") == 0);
    // A Release Manager may.
    w.click(rm, "rollback.confirm", id);
    CHECK(rollback_reaches(w, id, "done", 30s));
}

TEST_CASE("during a freeze a rollback to a version that ran before goes ahead and is recorded as such") {
    world w;
    deployed(w, "v1.2.2", rm2, std::chrono::hours{24 * 9});
    deployed(w, "v1.2.3", rm, std::chrono::hours{2});
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    w.st->add_freeze_window(now - 1h, now + 2h, "incident freeze (test)", rm, now);
    const auto id = propose(w, oncall, "");
    w.click(oncall, "rollback.confirm", id);
    REQUIRE(rollback_reaches(w, id, "done", 30s));
    CHECK(rollback_of(w, id).frozen_at_confirm);
    bool recorded = false;
    for (const auto& a : w.audit("rollback.confirm"))
        recorded |= a.entry.outcome == "accepted" && a.entry.detail.value("rule", "") == "known_good_during_freeze";
    CHECK(recorded);
}

TEST_CASE("with the freeze switch off a rollback during a freeze needs the emergency override") {
    world w;
    w.stop();
    w.cfg.rollback.allow_known_good_during_freeze = false;
    w.start();
    deployed(w, "v1.2.2", rm2, std::chrono::hours{24 * 9});
    deployed(w, "v1.2.3", rm, std::chrono::hours{2});
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    w.st->add_freeze_window(now - 1h, now + 2h, "incident freeze (test)", rm, now);
    const auto id = propose(w, oncall, "");
    w.click(oncall, "rollback.confirm", id);
    CHECK(refused_privately(w, "needs the emergency override"));
    CHECK(rollback_state(w, id) == "proposed");
    REQUIRE(eventually([&] { return rollback_of(w, id).override_needed; }));
    CHECK(eventually([&] { return w.channel_text().find("Approve emergency (VP)") != std::string::npos; }));

    // An engineer cannot approve; the VP and the on-call engineer can, then Roll back goes ahead.
    w.click(eng, "rollback.emergency", id);
    CHECK(refused_privately(w, "VP"));
    w.click(vp, "rollback.emergency", id);
    w.click(oncall, "rollback.on_call", id);
    REQUIRE(eventually([&] {
        const auto r = rollback_of(w, id);
        return r.emergency_approved_by == vp && r.on_call_present == oncall;
    }));
    CHECK(calls_with(w, "kubectl", "[set] [image]") == 0);
    w.click(oncall, "rollback.confirm", id);
    REQUIRE(rollback_reaches(w, id, "done", 30s));
    bool recorded = false;
    for (const auto& a : w.audit("rollback.confirm"))
        recorded |= a.entry.outcome == "accepted" && a.entry.detail.value("rule", "") == "emergency_override";
    CHECK(recorded);
}

TEST_CASE("a promotion mid-deploy is cancelled only after the rollback is confirmed, its process group killed") {
    world w;
    deployed(w, "v1.2.2", rm2, std::chrono::hours{24 * 9});
    deployed(w, "v1.2.3", rm, std::chrono::hours{2});
    w.stub("int_image", "gcr.io/markets-int-12345/markets-orchestrator:v1.2.4");
    const auto pid = w.open(rm, "v1.2.4 change CHG0012345");
    w.approve(pid);
    w.stub("set_image_sleep", "1");
    w.click(rm, "promotion.deploy", pid);
    REQUIRE(eventually([&] { return std::filesystem::exists(w.stubs / "set_image_pid"); }));
    const auto hung = static_cast<pid_t>(std::stol(read_file(w.stubs / "set_image_pid")));

    const auto id = propose(w, oncall, "");
    CHECK(rollback_of(w, id).cancels_promotion == pid);
    CHECK(eventually([&] { return w.channel_text().find("is deploying: rolling back cancels it") != std::string::npos; }));
    // Proposing cancels nothing.
    CHECK(w.state(pid) == "deploying");
    CHECK_FALSE(process_gone(hung));

    w.click(oncall, "rollback.confirm", id);
    REQUIRE(w.reaches(pid, "cancelled"));
    CHECK(eventually([&] { return process_gone(hung); }));
    REQUIRE(rollback_reaches(w, id, "done", 30s));
    CHECK(w.request(pid).outcome == "cancelled by rollback #" + std::to_string(id));
    CHECK(w.st->deployment_of_promotion(pid)->result == "cancelled");
    CHECK(w.st->deploy_lock_of("prod") == std::nullopt);
    bool audited = false;
    for (const auto& a : w.audit("promotion.cancel")) audited |= a.entry.outcome == "taken_over";
    CHECK(audited);
}

TEST_CASE("a dbt rollback runs the runbook's exec once confirmed, and a bad model name is refused before any command") {
    world w;
    w.slash(oncall, "/rollback", "dbt fct_orders;rm");
    CHECK(eventually([&] { return w.private_answers().find("dbt") != std::string::npos; }));
    CHECK(latest_rollback(w) == 0);

    const auto id = propose(w, oncall, "dbt fct_orders dim_customers");
    CHECK(eventually([&] { return w.channel_text().find("revert the model code in a pull request") != std::string::npos; }));
    CHECK(calls_with(w, "kubectl", "[exec]") == 0);
    w.click(oncall, "rollback.confirm", id);
    REQUIRE(rollback_reaches(w, id, "done", 30s));
    bool exact = false;
    for (const auto& c : w.calls("kubectl"))
        exact |= c == "kubectl [--context] [gke_markets-prod-12345_europe-west2_markets] [exec] [-n] [markets] "
                      "[deploy/markets-pipeline] [--] [dbt] [run] [--select] [fct_orders] [dim_customers] "
                      "[--full-refresh]";
    CHECK(exact);
    CHECK(eventually([&] { return w.channel_text().find("Completed successfully") != std::string::npos; }));
    CHECK_FALSE(w.st->bad_version_of("prod", "v1.2.3"));
}

TEST_CASE("the same Roll back click delivered five times at once runs the rollback once") {
    world w;
    deployed(w, "v1.2.2", rm2, std::chrono::hours{24 * 9});
    deployed(w, "v1.2.3", rm, std::chrono::hours{2});
    const auto id = propose(w, oncall, "");
    for (int i = 0; i < 5; ++i) w.click(oncall, "rollback.confirm", id);
    REQUIRE(rollback_reaches(w, id, "done", 30s));
    CHECK(eventually([&] { return w.audit("rollback.confirm").size() == 5; }));
    CHECK(calls_with(w, "kubectl", "[set] [image]") == 1);
    int accepted = 0;
    for (const auto& a : w.audit("rollback.confirm")) accepted += a.entry.outcome == "accepted";
    CHECK(accepted == 1);
}

TEST_CASE("a restart while a rollback runs reports it interrupted and never re-runs a step") {
    world w;
    deployed(w, "v1.2.2", rm2, std::chrono::hours{24 * 9});
    deployed(w, "v1.2.3", rm, std::chrono::hours{2});
    const auto id = propose(w, oncall, "");
    w.stub("set_image_sleep", "1");
    w.click(oncall, "rollback.confirm", id);
    REQUIRE(eventually([&] { return std::filesystem::exists(w.stubs / "set_image_pid"); }));
    REQUIRE(rollback_state(w, id) == "running");
    const auto hung = static_cast<pid_t>(std::stol(read_file(w.stubs / "set_image_pid")));
    w.stop();
    ::kill(-hung, SIGKILL);  // what the crash left running (the test's stop is orderly)
    w.start();
    REQUIRE(rollback_reaches(w, id, "interrupted"));
    CHECK(eventually([&] { return w.channel_text().find("promotebot stopped while rolling back") != std::string::npos; }));
    CHECK(calls_with(w, "kubectl", "[set] [image]") == 1);
    CHECK(w.st->deploy_lock_of("prod") == std::nullopt);
    CHECK(w.st->deployment(rollback_of(w, id).deployment_id)->result == "interrupted");
}

TEST_CASE("the Roll back button of a failed promotion proposes going back to the version before it") {
    world w;
    deployed(w, "v1.2.2", rm2, std::chrono::hours{24 * 9});
    const auto pid = w.open(rm, "v1.2.3 change CHG0012345");
    w.approve(pid);
    w.stub("job_state", "failed");
    w.click(rm, "promotion.deploy", pid);
    REQUIRE(w.reaches(pid, "failed", 30s));
    w.stub("job_state", "succeeded");
    const auto before = latest_rollback(w);
    w.click(oncall, "promotion.rollback", pid);
    std::int64_t id = 0;
    REQUIRE(eventually([&] {
        id = latest_rollback(w);
        return id > before;
    }));
    const auto r = rollback_of(w, id);
    CHECK(r.current_version == "v1.2.3");
    CHECK(r.target_version == "v1.2.2");
    CHECK(r.target_known_good);
}

TEST_CASE("a Terraform rollback restores the previous commit with the real git, plans, and applies after approval") {
    bool found = true;
    for (const char* tool : {"git", "terraform"}) {
        bool here = false;
        std::istringstream path{std::getenv("PATH") ? std::getenv("PATH") : ""};
        for (std::string dir; std::getline(path, dir, ':');)
            if (!dir.empty() && ::access((std::filesystem::path(dir) / tool).c_str(), X_OK) == 0) here = true;
        found &= here;
    }
    INFO("this test needs git and terraform on PATH");
    REQUIRE(found);

    world w;
    w.stop();
    const auto repo = w.dir.path / "infra";
    const auto tf = repo / "terraform" / "prod";
    std::filesystem::create_directories(tf);
    const auto sh = [&](const std::string& cmd) {
        const auto full = "cd '" + tf.string() + "' && " + cmd + " >/dev/null 2>&1";
        return std::system(full.c_str());
    };
    const std::string git = "git -c user.email=ci@example.com -c user.name=ci -c init.defaultBranch=main";
    REQUIRE(sh(git + " init -q '" + repo.string() + "'") == 0);
    std::ofstream{tf / "main.tf"} << "resource \"terraform_data\" \"markets\" {\n  input = \"v1.2.2\"\n}\n";
    std::ofstream{repo / ".gitignore"} << ".terraform/\n*.tfstate*\n*.tfplan\n.terraform.lock.hcl\n";
    REQUIRE(sh(git + " add -A && " + git + " commit -q -m 'markets v1.2.2'") == 0);
    REQUIRE(sh("terraform init -input=false -no-color && terraform apply -input=false -auto-approve -no-color") == 0);
    std::ofstream{tf / "main.tf"} << "resource \"terraform_data\" \"markets\" {\n  input = \"v1.2.3\"\n}\n";
    REQUIRE(sh(git + " commit -q -am 'markets v1.2.3'") == 0);
    REQUIRE(sh("terraform apply -input=false -auto-approve -no-color") == 0);
    w.cfg.environments["prod"].terraform_dir = tf.string();
    w.start();

    const auto id = propose(w, rm, "infra");
    CHECK(rollback_of(w, id).infra_ref == "HEAD~1");
    w.click(rm, "rollback.confirm", id);
    REQUIRE(rollback_reaches(w, id, "awaiting_apply", 60s));
    const auto r = rollback_of(w, id);
    CHECK(r.plan_summary.find("to add") != std::string::npos);
    CHECK(read_file(tf / "main.tf").find("v1.2.2") != std::string::npos);  // git restored the previous commit's file
    CHECK(read_file(tf / "terraform.tfstate").find("v1.2.3") != std::string::npos);  // nothing applied yet

    // An engineer may not apply; a Release Manager may.
    w.click(eng, "rollback.apply", id);
    CHECK(refused_privately(w, "Release Manager"));
    CHECK(rollback_state(w, id) == "awaiting_apply");
    w.click(rm, "rollback.apply", id);
    REQUIRE(rollback_reaches(w, id, "done", 60s));
    CHECK(read_file(tf / "terraform.tfstate").find("\"v1.2.2\"") != std::string::npos);
    CHECK(w.st->deploy_lock_of("prod") == std::nullopt);
    CHECK(eventually([&] { return w.channel_text().find("The Terraform of prod is back at HEAD~1") != std::string::npos; }));
}

TEST_CASE("a previous good version whose image left the registry is refused, naming the way out") {
    world w;
    deployed(w, "v1.2.2", rm2, std::chrono::hours{24 * 9});
    deployed(w, "v1.2.3", rm, std::chrono::hours{2});
    w.stub("registry_list", "[{\"digest\": \"sha256:" + std::string(64, '3') +
                                "\", \"tags\": [\"v1.2.3\"], \"timestamp\": {\"datetime\": \"2026-11-01 10:00:00+00:00\"}}]");
    w.slash(oncall, "/rollback", "");
    CHECK(refused_privately(w, "v1.2.2, the previous good version, has no image in the registry any more"));
    CHECK(latest_rollback(w) == 0);
}
