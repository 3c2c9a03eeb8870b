#pragma once
// The outside world of a promotion or a rollback, and the bot running
// against it: the in-process fake Slack, ServiceNow and Dynatrace over TLS,
// and stand-ins for docker, kubectl, gcloud and bq on the tools' paths (they
// record their argv and print what the real tools print; files in the stub
// folder steer them).
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

namespace promotebot::e2e {

using namespace std::chrono_literals;


const std::string rm = "U0RM00001";
const std::string rm2 = "U0RM00002";
const std::string eng = "U0ENG00001";
const std::string de = "U0DE00001";
const std::string biz = "U0BIZ00001";
const std::string vp = "U0VP00001";
const std::string oncall = "U0ONC00001";

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in{p};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::string servicenow_time(std::chrono::system_clock::time_point t) {
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

    void command(const std::string& user, const std::string& text) { slash(user, "/promote", text); }

    void slash(const std::string& user, const std::string& command, const std::string& text) {
        fake.send_envelope("slash_commands", {{"command", command},
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


}  // namespace promotebot::e2e
