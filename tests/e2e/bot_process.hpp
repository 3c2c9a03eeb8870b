#pragma once
// The promotebot binary as an operator runs it, for the tests that start,
// kill and restart it: the example configuration pointed at a temporary
// store, the stand-in tools, spawning with a clean environment, and waiting
// on the store.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include "bot/config/config.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/fake_slack/fake_slack.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace promotebot::e2e_process {

using namespace std::chrono_literals;
using promotebot::testing::temp_dir;



// The example configuration with the store in `dir`.
inline std::string write_config(const temp_dir& dir) {
    std::string text = bot::embedded_default_config_text();
    const std::string store_line = "store: promotebot.db";
    text.replace(text.find(store_line), store_line.size(), "store: " + (dir.path / "bot.db").string());
    const std::string links = "connections: 2";
    text.replace(text.find(links), links.size(), "connections: 1");
    // Tests run side by side: the OS picks a free port for the health and metrics listener.
    const std::string listen = "listen: 127.0.0.1:9090";
    text.replace(text.find(listen), listen.size(), "listen: 127.0.0.1:0");
    std::filesystem::create_directories(dir.path / "holidays");
    std::filesystem::copy_file(
        std::filesystem::path(PROMOTEBOT_SOURCE_DIR) / "deploy/holidays/england-and-wales-2026-2027.json",
        dir.path / "holidays/england-and-wales-2026-2027.json");
    const auto path = dir.path / "promotebot.yaml";
    std::ofstream(path) << text;
    return path.string();
}

struct child {
    pid_t pid = -1;
    int status = 0;

    bool wait_exit(std::chrono::milliseconds timeout) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < until) {
            if (waitpid(pid, &status, WNOHANG) == pid) return true;
            std::this_thread::sleep_for(10ms);
        }
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return false;
    }
};

inline child spawn_bot(const std::vector<std::string>& args, const std::vector<std::string>& env,
                const std::filesystem::path& log) {
    std::vector<std::string> environment = env;
    for (char** e = environ; *e; ++e) {
        std::string entry = *e;
        if (entry.rfind("SLACK_", 0) != 0 && entry.rfind("SSL_CERT_FILE=", 0) != 0 &&
            entry.rfind("PROMOTEBOT_AUDIT_KEY=", 0) != 0)
            environment.push_back(entry);
    }
    std::vector<char*> argv, envp;
    std::string binary = PROMOTEBOT_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> owned_args = args;
    for (auto& a : owned_args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    child c;
    const int rc = posix_spawn(&c.pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    return c;
}

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}



inline void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// The example configuration for a promotion run by the binary: no freeze
// today, the gates that need no outside service, the stand-in tools.
inline std::string write_promotion_config(const temp_dir& dir) {
    const auto path = write_config(dir);
    std::string text = read_file(path);
    replace_all(text, "    enabled: true", "    enabled: false");
    replace_all(text, "gates: [freeze, soak, pipeline_cycles, incidents, change_record, performance, quarantine]",
                "gates: [freeze, soak, pipeline_cycles, quarantine]");
    replace_all(text, "verify_poll_s: 30", "verify_poll_s: 1");
    const std::string tools = std::string{PROMOTEBOT_SOURCE_DIR} + "/tests/e2e/tools/";
    replace_all(text, "tools: {}", "tools:\n  docker: " + tools + "docker\n  kubectl: " + tools +
                                       "kubectl\n  gcloud: " + tools + "gcloud\n  bq: " + tools + "bq");
    std::ofstream(path) << text;
    return path;
}

inline std::string state_of(sqlite::sqlite_store& st, std::int64_t id) {
    const auto p = st.promotion(id);
    return p ? p->state : std::string{};
}

inline bool wait_state(sqlite::sqlite_store& st, std::int64_t id, const std::string& state, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (state_of(st, id) != state) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

inline void click(testing::fake_slack& fake, const std::string& user, const std::string& action) {
    fake.send_envelope("interactive", {{"type", "block_actions"},
                                       {"user", {{"id", user}}},
                                       {"channel", {{"id", "C0RELEASE01"}}},
                                       {"message", {{"ts", "1700000000.000100"}}},
                                       {"response_url", fake.make_response_url()},
                                       {"trigger_id", fake.issue_trigger()},
                                       {"actions", {{{"action_id", action}, {"value", "1"}, {"type", "button"}}}}});
}

// Waits for `pred` until `timeout`; false when it never held.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// Once the outbox is empty: every post is in the channel once (no outbox ID
// twice), and `header` heads exactly one top-level message.
inline void check_posted_once(const bot::store_session& st, const testing::fake_slack& fake, const std::string& header) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (st.outbox_pending() != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
    REQUIRE(st.outbox_pending() == 0);
    std::set<std::string> ids;
    int headers = 0;
    for (const auto& m : fake.channel_history("C0RELEASE01")) {
        if (m.contains("metadata")) {
            const auto id = m["metadata"]["event_payload"]["outbox_id"].dump();
            INFO("outbox ID " << id << " posted twice");
            CHECK(ids.insert(id).second);
        }
        if (!m.contains("thread_ts") && m.dump().find(header) != std::string::npos) ++headers;
    }
    CHECK(headers == 1);
}

}  // namespace promotebot::e2e_process
