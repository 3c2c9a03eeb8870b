// Several replicas on one PostgreSQL store: two promotebot processes (the
// binary, as deployed) against one fake Slack, which spreads envelopes over
// the links of both, and a real PostgreSQL 15 server. A request opened on one
// replica is clicked on the other; duplicate clicks and redeliveries across
// replicas run a deploy once; the replica holding a deploy is killed with
// SIGKILL and the other reports it interrupted once its lease ended; inbox
// entries and outbox rows a dead replica held are taken over. And a replica
// maps libpq where a bot on SQLite does not (it is loaded only for a
// PostgreSQL store).
#include <fstream>
#include <set>
#include <string>

#include "commands/promotion/promotion_json.hpp"
#include "integrations/store/postgresql/postgresql_store.hpp"
#include "tests/e2e/bot_process.hpp"
#include "tests/support/postgresql_server.hpp"

using namespace promotebot;
using namespace promotebot::e2e_process;
using namespace std::chrono_literals;

namespace {

struct replica_world {
    testing::fake_slack fake;
    temp_dir dir;
    std::filesystem::path stubs = dir.path / "stubs";
    std::string uri = testing::postgresql_server::instance().create_database_uri();
    std::string config;
    std::vector<std::string> env;
    std::unique_ptr<postgresql::postgresql_store> st = postgresql::open_postgresql_store(uri);
    std::map<std::string, child> bots;

    replica_world() {
        config = write_promotion_config(dir);
        std::string text = read_file(config);
        const std::string store_line = "store: " + (dir.path / "bot.db").string();
        REQUIRE(text.find(store_line) != std::string::npos);
        text.replace(text.find(store_line), store_line.size(), "store: \"" + uri + "\"");
        // The shortest lease the configuration allows: a dead replica is taken over within seconds.
        replace_all(text, "lease_s: 30", "lease_s: 5");
        std::ofstream(config) << text;
        std::filesystem::create_directories(stubs);
        env = {"SLACK_APP_TOKEN=" + fake.options().app_token, "SLACK_BOT_TOKEN=" + fake.options().bot_token,
               "SLACK_API_URL=" + fake.api_url(), "SSL_CERT_FILE=" + fake.ca_file(),
               "PROMOTEBOT_STUB_DIR=" + stubs.string()};
    }

    ~replica_world() {
        for (auto& [name, c] : bots) {
            if (c.pid <= 0) continue;
            kill(c.pid, SIGTERM);
            c.wait_exit(10s);
        }
    }

    // Starts replica `name` (its PROMOTEBOT_REPLICA_ID) and waits for its link; answers the link's ID.
    int start(const std::string& name) {
        const int before = fake.connections_opened();
        auto e = env;
        e.push_back("PROMOTEBOT_REPLICA_ID=" + name);
        bots[name] = spawn_bot({"--config", config}, e, dir.path / (name + ".log"));
        REQUIRE(eventually([&] { return fake.connections_opened() > before; }, 20s));
        return fake.connections().back();
    }

    void kill_now(const std::string& name) {
        auto& c = bots.at(name);
        kill(c.pid, SIGKILL);
        waitpid(c.pid, &c.status, 0);
        c.pid = -1;
    }

    [[nodiscard]] std::string log_of(const std::string& name) const { return read_file(dir.path / (name + ".log")); }

    std::string state(std::int64_t id) {
        const auto p = st->promotion(id);
        return p ? p->state : std::string{};
    }

    bool wait_state(std::int64_t id, const std::string& s, std::chrono::seconds timeout) {
        return eventually([&] { return state(id) == s; }, timeout);
    }

    nlohmann::json slash_payload(const std::string& user, const std::string& command, const std::string& text) {
        return {{"command", command},           {"text", text},
                {"user_id", user},              {"channel_id", "C0RELEASE01"},
                {"response_url", fake.make_response_url()}, {"trigger_id", fake.issue_trigger()}};
    }

    nlohmann::json click_payload(const std::string& user, const std::string& action) {
        return {{"type", "block_actions"},
                {"user", {{"id", user}}},
                {"channel", {{"id", "C0RELEASE01"}}},
                {"message", {{"ts", "1700000000.000100"}}},
                {"response_url", fake.make_response_url()},
                {"trigger_id", fake.issue_trigger()},
                {"actions", {{{"action_id", action}, {"value", "1"}, {"type", "button"}}}}};
    }

    std::size_t calls(const std::string& part) {
        std::istringstream lines{read_file(stubs / "calls.log")};
        std::size_t n = 0;
        for (std::string l; std::getline(lines, l);) n += l.find(part) != std::string::npos;
        return n;
    }

    // Opens promotion #1 through link `open_on`, submits the form and signs it off through `other`.
    void ready_request(int open_on, int other) {
        fake.send_envelope("slash_commands", slash_payload("U0RM00001", "/promote", "v1.2.3 change CHG0012345"), false,
                           open_on);
        REQUIRE(fake.wait_for_calls("views.open", 1, 20s));
        REQUIRE(eventually([&] { return !fake.view("V00000001").is_null(); }, 10s));
        fake.submit_view("V00000001", "U0RM00001", {{"rollback_plan", "set the image back to v1.2.2"}, {"option", "app"}},
                         other);
        REQUIRE(wait_state(1, "awaiting_signoffs", 30s));
        fake.send_envelope("interactive", click_payload("U0DE00001", "promotion.signoff.technical"), false, open_on);
        REQUIRE(eventually(
            [&] { return !commands::promotion_from_json(st->promotion(1)->doc).approvals.empty(); }, 30s));
        fake.send_envelope("interactive", click_payload("U0BIZ00001", "promotion.signoff.data_quality"), false, other);
        REQUIRE(wait_state(1, "ready", 30s));
    }

    void posted_once(const std::string& header) { check_posted_once(*st, fake, header); }

    std::size_t thread_notes_containing(const std::string& text) {
        std::size_t n = 0;
        for (const auto& m : fake.channel_history("C0RELEASE01"))
            n += m.contains("thread_ts") && m.dump().find(text) != std::string::npos;
        return n;
    }
};

// The files of libpq and of the libraries it brings that process `pid` maps, one a line.
std::string mapped_libpq_stack(pid_t pid) {
    std::ifstream maps{"/proc/" + std::to_string(pid) + "/maps"};
    std::set<std::string> files;
    for (std::string line; std::getline(maps, line);) {
        const auto slash = line.find('/');
        if (slash == std::string::npos) continue;
        const auto path = line.substr(slash);
        const auto name = path.substr(path.rfind('/') + 1);
        for (const char* prefix : {"libpq.so", "libldap", "libgssapi_krb5", "libgnutls"})
            if (name.rfind(prefix, 0) == 0) files.insert(path);
    }
    std::string out;
    for (const auto& f : files) out += f + "\n";
    return out;
}

}  // namespace

TEST_CASE("a replica on a PostgreSQL store maps libpq and a bot on a SQLite store does not", "[replicas]") {
    replica_world w;
    w.start("pod-a");
    CHECK_THAT(mapped_libpq_stack(w.bots.at("pod-a").pid),
               Catch::Contains("/libpq.so.5") && Catch::Contains("/libldap") && Catch::Contains("/libgnutls.so"));

    // The same configuration with its SQLite store, linked to the same fake
    // Slack: its link is opened after its store.
    temp_dir sqlite_dir;
    const auto config = write_promotion_config(sqlite_dir);
    const int before = w.fake.connections_opened();
    child sqlite_bot = spawn_bot({"--config", config}, w.env, sqlite_dir.path / "bot.log");
    REQUIRE(eventually([&] { return w.fake.connections_opened() > before; }, 20s));
    const auto mapped = mapped_libpq_stack(sqlite_bot.pid);
    kill(sqlite_bot.pid, SIGTERM);
    CHECK(sqlite_bot.wait_exit(10s));
    CHECK(mapped.empty());
}

TEST_CASE("a request opened on one replica is signed off and deployed through the other and duplicate clicks on both deploy once", "[replicas]") {
    replica_world w;
    const int a = w.start("pod-a");
    const int b = w.start("pod-b");
    w.ready_request(a, b);
    // Deploy pressed twice on each replica, and one press redelivered by Slack
    // on the other replica's link (the same envelope: the shared inbox knows it).
    const auto press = w.click_payload("U0RM00001", "promotion.deploy");
    w.fake.send_envelope("interactive", press, false, a);
    w.fake.send_envelope("interactive", press, false, b);
    w.fake.send_envelope("interactive", w.click_payload("U0RM00001", "promotion.deploy"), false, a);
    w.fake.send_envelope("interactive", w.click_payload("U0RM00001", "promotion.deploy"), false, b);
    REQUIRE(w.wait_state(1, "done", 60s));
    CHECK(w.calls("docker [build]") == 1);
    CHECK(w.calls("docker [push]") == 1);
    CHECK(w.calls("[set] [image]") == 1);
    const auto d = w.st->deployment_of_promotion(1);
    REQUIRE(d);
    CHECK(d->result == "succeeded");
    CHECK_FALSE(w.st->deploy_lock_of("prod"));
    w.posted_once("Promotion #1");
    CHECK(w.st->verify_audit().ok);
    CHECK(w.st->unfinished_inbound().empty());
}

TEST_CASE("the replica running a deploy is killed with SIGKILL and the other reports it interrupted once its lease ended", "[replicas]") {
    replica_world w;
    const int a = w.start("pod-a");
    const int b = w.start("pod-b");
    w.ready_request(a, b);
    // The image step hangs until its process is killed.
    std::ofstream(w.stubs / "set_image_sleep") << "1";
    w.fake.send_envelope("interactive", w.click_payload("U0RM00001", "promotion.deploy"), false, a);
    REQUIRE(eventually([&] { return std::filesystem::exists(w.stubs / "set_image_pid"); }, 60s));
    REQUIRE(w.state(1) == "deploying");
    const auto lease = w.st->lease("promotion:1");
    REQUIRE(lease);
    const std::string holder = lease->holder.substr(0, lease->holder.find('/'));
    const std::string survivor = holder == "pod-a" ? "pod-b" : "pod-a";
    INFO("the deploy ran on " << holder);
    w.kill_now(holder);
    REQUIRE(w.wait_state(1, "interrupted", 30s));
    CHECK(w.calls("[set] [image]") == 1);
    const auto d = w.st->deployment_of_promotion(1);
    REQUIRE(d);
    CHECK(d->result == "interrupted");
    CHECK_FALSE(w.st->deploy_lock_of("prod"));
    CHECK_FALSE(w.st->lease("promotion:1"));
    w.posted_once("Promotion #1");
    CHECK(w.thread_notes_containing("stopped while deploying") == 1);
    CHECK(w.log_of(survivor).find("promotion:1: its work was left by a replica that stopped; taken over") !=
          std::string::npos);
    CHECK(w.st->verify_audit().ok);
}

TEST_CASE("an inbound event journaled by a replica that died is handled by the other once its claim ended", "[replicas]") {
    replica_world w;
    w.start("pod-b");
    // pod-a journaled (and acked) /freeze status, then died before handling it.
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    auto payload = w.slash_payload("U0ENG00001", "/freeze", "status");
    bot::inbox_entry e{"trigger:" + payload["trigger_id"].get<std::string>(), bot::inbound_kind::slash_command, payload,
                       now, "pod-a/run1", bot::sys_millis{now} + 2s};
    REQUIRE(w.st->journal_inbound(e));
    REQUIRE(w.fake.wait_for_calls("response_url", 1, 20s));
    REQUIRE(eventually([&] { return w.st->unfinished_inbound().empty(); }, 10s));
    CHECK(w.fake.calls("response_url").size() == 1);
    CHECK(w.fake.calls("response_url")[0].body.dump().find("frozen") != std::string::npos);
}

TEST_CASE("a message claimed by a replica that died mid-post is posted by the other once its claim ended", "[replicas]") {
    replica_world w;
    w.start("pod-b");
    // pod-a claimed the row for its attempt (in doubt: the post may have left), then died.
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    bot::outbox_message m;
    m.kind = bot::outbox_kind::post;
    m.channel = "C0RELEASE01";
    m.body.text = commands::rich_text{"left behind by pod-a"};
    const auto id = w.st->enqueue_outbox(m, now);
    REQUIRE(w.st->outbox_attempt(id, true, bot::sys_millis{now}, bot::sys_millis{now} + 3s, "pod-a/run1"));
    REQUIRE(eventually([&] { return w.st->outbox_state_of(id) == bot::outbox_state::delivered; }, 30s));
    int copies = 0;
    for (const auto& msg : w.fake.channel_history("C0RELEASE01"))
        copies += msg.dump().find("left behind by pod-a") != std::string::npos;
    CHECK(copies == 1);
    // The post was in doubt: the channel was looked up before posting.
    CHECK_FALSE(w.fake.calls("conversations.history").empty());
}

TEST_CASE("a replica starting while another deploys leaves the deploy to it", "[replicas]") {
    replica_world w;
    const int a = w.start("pod-a");
    w.ready_request(a, a);
    // The image step takes a few seconds: long enough for a second replica to start meanwhile.
    std::ofstream(w.stubs / "set_image_delay") << "4";
    w.fake.send_envelope("interactive", w.click_payload("U0RM00001", "promotion.deploy"), false, a);
    REQUIRE(eventually([&] { return w.calls("[set] [image]") == 1; }, 60s));
    const auto lease = w.st->lease("promotion:1");
    REQUIRE(lease);
    CHECK(lease->holder.rfind("pod-a/", 0) == 0);
    w.start("pod-b");  // a rolling update's new pod: its start-up sweep finds the lease alive
    REQUIRE(eventually([&] { const auto s = w.state(1); return s == "done" || s == "interrupted"; }, 60s));
    CHECK(w.state(1) == "done");
    CHECK(w.calls("[set] [image]") == 1);
    CHECK(w.thread_notes_containing("stopped while deploying") == 0);
    CHECK_FALSE(w.st->lease("promotion:1"));
    w.posted_once("Promotion #1");
}
