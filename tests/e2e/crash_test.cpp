// Crash safety: the binary is killed with SIGKILL at seeded random points of
// promotion and rollback runs and started again. Every run must end in a
// consistent state: no step ran twice, every announcement is in the channel
// exactly once, the lock is free, the audit chain verifies.
#include <map>
#include <random>
#include <set>

#include "commands/promotion/promotion_json.hpp"
#include "tests/e2e/bot_process.hpp"

using namespace promotebot;
using namespace promotebot::e2e_process;
using namespace std::chrono_literals;

namespace {

struct crash_run {
    testing::fake_slack fake;
    temp_dir dir;
    std::filesystem::path stubs = dir.path / "stubs";
    std::string config;
    std::vector<std::string> env;
    std::unique_ptr<sqlite::sqlite_store> st;

    crash_run() {
        config = write_promotion_config(dir);
        std::filesystem::create_directories(stubs);
        // Steps that take a moment, so that kills land inside them too.
        std::ofstream(stubs / "set_image_delay") << "0.3";
        std::ofstream(stubs / "get_jobs_delay") << "0.3";
        env = {"SLACK_APP_TOKEN=" + fake.options().app_token, "SLACK_BOT_TOKEN=" + fake.options().bot_token,
               "SLACK_API_URL=" + fake.api_url(), "SSL_CERT_FILE=" + fake.ca_file(),
               "PROMOTEBOT_STUB_DIR=" + stubs.string()};
    }

    // Starts the binary and waits for its link (the `links`-th ever opened).
    child start(const std::string& name, int links) {
        auto c = spawn_bot({"--config", config}, env, dir.path / (name + ".log"));
        const auto deadline = std::chrono::steady_clock::now() + 15s;
        while (fake.connections_opened() < links && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(10ms);
        REQUIRE(fake.connections_opened() >= links);
        if (!st) st = sqlite::open_sqlite_store((dir.path / "bot.db").string());
        return c;
    }

    void slash(const std::string& user, const std::string& command, const std::string& text) {
        fake.send_envelope("slash_commands", {{"command", command},
                                              {"text", text},
                                              {"user_id", user},
                                              {"channel_id", "C0RELEASE01"},
                                              {"response_url", fake.make_response_url()},
                                              {"trigger_id", fake.issue_trigger()}});
    }

    std::size_t calls(const std::string& part) {
        std::istringstream lines{read_file(stubs / "calls.log")};
        std::size_t n = 0;
        for (std::string l; std::getline(lines, l);) n += l.find(part) != std::string::npos;
        return n;
    }

    std::string rollback_state() {
        const auto r = st->rollback(1);
        return r ? r->state : std::string{};
    }

    void posted_once(const std::string& header) { check_posted_once(*st, fake, header); }
};

void kill_now(child& c) {
    kill(c.pid, SIGKILL);
    waitpid(c.pid, &c.status, 0);
}

void stop(child& c) {
    kill(c.pid, SIGTERM);
    CHECK(c.wait_exit(10s));
}

// /rollback, Roll back, a kill within `window`, a restart; Roll back again if the confirm was lost.
void rollback_run(std::mt19937& rng, int run, std::map<std::string, int>& ends) {
    crash_run w;
    auto first = w.start("first", 1);
    w.slash("U0ONC00001", "/rollback", "");
    REQUIRE(eventually([&] { return w.rollback_state() == "proposed"; }, 20s));
    click(w.fake, "U0ONC00001", "rollback.confirm");
    const auto delay = std::uniform_int_distribution<int>(0, 900)(rng);
    INFO("run " << run << ": rollback, killed " << delay << " ms after the confirm");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    kill_now(first);

    auto second = w.start("second", 2);
    // An acked confirm is replayed from the inbox; one never recorded is pressed again, as a person would.
    if (!eventually([&] { return w.rollback_state() != "proposed"; }, 3s)) click(w.fake, "U0ONC00001", "rollback.confirm");
    REQUIRE(eventually([&] { const auto s = w.rollback_state(); return s == "done" || s == "interrupted"; }, 30s));
    const auto state = w.rollback_state();
    ++ends["rollback " + state];
    CHECK(w.calls("[set] [image]") <= 1);
    if (state == "done") CHECK(w.calls("[set] [image]") == 1);
    CHECK(w.st->bad_version_of("prod", "v1.2.3"));
    CHECK_FALSE(w.st->deploy_lock_of("prod"));
    w.posted_once("Rollback #1: prod v1.2.3");
    CHECK(w.st->verify_audit().ok);
    stop(second);
}

// /promote with its form and sign-offs, Deploy, a kill within `window`, a restart; Deploy again if lost.
void promotion_run(std::mt19937& rng, int run, std::map<std::string, int>& ends) {
    crash_run w;
    auto first = w.start("first", 1);
    w.slash("U0RM00001", "/promote", "v1.2.3 change CHG0012345");
    REQUIRE(w.fake.wait_for_calls("views.open", 1, 15s));
    REQUIRE(eventually([&] { return !w.fake.view("V00000001").is_null(); }, 10s));
    w.fake.submit_view("V00000001", "U0RM00001", {{"rollback_plan", "set the image back to v1.2.2"}, {"option", "app"}});
    REQUIRE(wait_state(*w.st, 1, "awaiting_signoffs", 30s));
    click(w.fake, "U0DE00001", "promotion.signoff.technical");
    REQUIRE(eventually([&] { return !commands::promotion_from_json(w.st->promotion(1)->doc).approvals.empty(); }, 30s));
    click(w.fake, "U0BIZ00001", "promotion.signoff.data_quality");
    REQUIRE(wait_state(*w.st, 1, "ready", 30s));
    click(w.fake, "U0RM00001", "promotion.deploy");
    // Half the kills count from the Deploy click, half from the first step.
    const bool from_steps = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    const auto delay = std::uniform_int_distribution<int>(0, from_steps ? 1200 : 2500)(rng);
    if (from_steps) eventually([&] { return state_of(*w.st, 1) == "deploying"; }, 20s);
    INFO("run " << run << ": promotion, killed " << delay << " ms after " << (from_steps ? "the first step" : "Deploy"));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    kill_now(first);

    auto second = w.start("second", 2);
    // A deploy cut short before its first step is open again after the restart (its gates are
    // asked again): once it is ready and stays so, Deploy is pressed again, as a person would.
    const auto settled = [&] {
        const auto s = state_of(*w.st, 1);
        return s == "ready" || s == "done" || s == "interrupted";
    };
    REQUIRE(eventually(settled, 30s));
    if (state_of(*w.st, 1) == "ready" && !eventually([&] { return state_of(*w.st, 1) != "ready"; }, 2s))
        click(w.fake, "U0RM00001", "promotion.deploy");
    REQUIRE(eventually([&] { const auto s = state_of(*w.st, 1); return s == "done" || s == "interrupted"; }, 40s));
    ++ends["promotion " + state_of(*w.st, 1)];
    CHECK(w.calls("docker [build]") <= 1);
    CHECK(w.calls("docker [push]") <= 1);
    CHECK(w.calls("[set] [image]") <= 1);
    if (state_of(*w.st, 1) == "done") CHECK(w.calls("[set] [image]") == 1);
    const auto d = w.st->deployment_of_promotion(1);
    REQUIRE(d);
    CHECK(d->result == (state_of(*w.st, 1) == "done" ? "succeeded" : "interrupted"));
    CHECK_FALSE(w.st->deploy_lock_of("prod"));
    w.posted_once("Promotion #1");
    CHECK(w.st->verify_audit().ok);
    stop(second);
}

// Ten runs a case, so ctest spreads the fifty over its workers. The seed is printed on failure.
void runs(unsigned seed) {
    std::mt19937 rng(seed);
    INFO("seed " << seed);
    std::map<std::string, int> ends;
    for (int run = 0; run < 10; ++run) {
        if (run % 3 == 0) promotion_run(rng, run, ends);
        else rollback_run(rng, run, ends);
    }
    // How the runs ended, for the reader of the log: both outcomes should occur over the seeds.
    std::string summary;
    for (const auto& [how, n] : ends) summary += how + ": " + std::to_string(n) + "  ";
    WARN("seed " << seed << " ends: " << summary);
}

}  // namespace

TEST_CASE("crash safety with seed 1: promotion and rollback runs killed at random points end consistent") { runs(1); }
TEST_CASE("crash safety with seed 2: promotion and rollback runs killed at random points end consistent") { runs(2); }
TEST_CASE("crash safety with seed 3: promotion and rollback runs killed at random points end consistent") { runs(3); }
TEST_CASE("crash safety with seed 4: promotion and rollback runs killed at random points end consistent") { runs(4); }
TEST_CASE("crash safety with seed 5: promotion and rollback runs killed at random points end consistent") { runs(5); }
