// deploy/slack-app-manifest.yaml asks for exactly the bot scopes the code
// needs: the Web API methods the sources call, the events the manifest
// subscribes to and the slash commands, each mapped to its scopes by the
// tables below (Slack's method and event reference pages list them).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/deploy/manifest_checks.hpp"

using namespace promotebot::deploy_checks;

namespace {

const std::filesystem::path source_dir{PROMOTEBOT_SOURCE_DIR};

// Web API method -> the bot scopes it needs. A method the code calls that is
// missing here fails the test: add it with its scopes from
// https://api.slack.com/methods/<method>.
const std::map<std::string, std::set<std::string>> method_scopes{
    {"chat.postMessage", {"chat:write"}},
    {"chat.update", {"chat:write"}},
    {"chat.postEphemeral", {"chat:write"}},
    {"chat.delete", {"chat:write"}},
    // The release channel may be public (C...) or private (G...).
    {"conversations.history", {"channels:history", "groups:history"}},
    {"conversations.replies", {"channels:history", "groups:history"}},
    {"conversations.info", {"channels:read", "groups:read"}},
    {"conversations.open", {"im:write"}},
    {"usergroups.users.list", {"usergroups:read"}},
    {"usergroups.list", {"usergroups:read"}},
    {"users.info", {"users:read"}},
    {"reactions.add", {"reactions:write"}},
    {"views.open", {}},
    {"views.update", {}},
    {"views.push", {}},
    {"views.publish", {}},
    {"auth.test", {}},
    // Called with the app-level token (connections:write on that token, not a bot scope).
    {"apps.connections.open", {}},
};

// Event subscription -> the bot scopes it needs.
const std::map<std::string, std::set<std::string>> event_scopes{
    {"app_home_opened", {}},
    {"app_mention", {"app_mentions:read"}},
    {"message.im", {"im:history"}},
    {"message.channels", {"channels:history"}},
    {"message.groups", {"groups:history"}},
};

struct code_usage {
    std::set<std::string> methods;
    std::vector<std::string> unreadable_calls;  // "file: call(...)" whose method is not a literal
    bool handles_slash_commands = false;
};

// The Web API calls in the application's sources (not the tests): every
// web_api call(), call_once() or call_until_answered() names its method as a
// string literal, so the scan sees them all.
code_usage scan_sources() {
    static const std::regex call_site(R"re(\.(call|call_once|call_until_answered)\(\s*("([A-Za-z.]+)")?)re");
    code_usage out;
    for (const auto* folder : {"bot", "integrations", "commands"})
        for (const auto& entry : std::filesystem::recursive_directory_iterator(source_dir / folder)) {
            const auto ext = entry.path().extension();
            if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
            std::ifstream in(entry.path());
            std::stringstream s;
            s << in.rdbuf();
            const auto code = s.str();
            for (auto it = std::sregex_iterator(code.begin(), code.end(), call_site); it != std::sregex_iterator();
                 ++it) {
                if ((*it)[3].matched) out.methods.insert((*it)[3].str());
                else
                    out.unreadable_calls.push_back(
                        std::filesystem::relative(entry.path(), source_dir).string() + ": " + it->str());
            }
            if (code.find("\"slash_commands\"") != std::string::npos) out.handles_slash_commands = true;
        }
    return out;
}

std::set<std::string> texts_of(const YAML::Node& seq) {
    std::set<std::string> out;
    if (seq.IsDefined() && seq.IsSequence())
        for (const auto& item : seq) out.insert(text(item));
    return out;
}

// Every difference between the scopes the manifest asks for and those the
// code's methods, the manifest's events and its slash commands need.
std::vector<std::string> scope_problems(const code_usage& code, const YAML::Node& manifest) {
    std::vector<std::string> problems;
    std::map<std::string, std::string> needed;  // scope -> why
    for (const auto& m : code.methods) {
        const auto it = method_scopes.find(m);
        if (it == method_scopes.end()) {
            problems.push_back("the code calls " + m + ", which the method table does not know: add it with its scopes");
            continue;
        }
        for (const auto& s : it->second) needed.emplace(s, "method " + m);
    }
    for (const auto& e : texts_of(path(manifest, {"settings", "event_subscriptions", "bot_events"}))) {
        const auto it = event_scopes.find(e);
        if (it == event_scopes.end()) {
            problems.push_back("the manifest subscribes to " + e + ", which the event table does not know");
            continue;
        }
        for (const auto& s : it->second) needed.emplace(s, "event " + e);
    }
    const auto commands = path(manifest, {"features", "slash_commands"});
    const bool declares_commands = commands.IsDefined() && commands.IsSequence() && commands.size() > 0;
    if (declares_commands != code.handles_slash_commands)
        problems.push_back(declares_commands ? "the manifest declares slash commands the code does not handle"
                                             : "the code handles slash commands the manifest does not declare");
    if (declares_commands) needed.emplace("commands", "slash commands");

    const auto asked = texts_of(path(manifest, {"oauth_config", "scopes", "bot"}));
    for (const auto& [scope, why] : needed)
        if (!asked.count(scope)) problems.push_back("the manifest lacks " + scope + ", needed by " + why);
    for (const auto& scope : asked)
        if (!needed.count(scope)) problems.push_back("the manifest asks for " + scope + ", which nothing uses");
    if (!texts_of(path(manifest, {"oauth_config", "scopes", "user"})).empty())
        problems.push_back("the manifest asks for user scopes; the bot acts only as itself");
    return problems;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
}

YAML::Node manifest() { return YAML::LoadFile((source_dir / "deploy/slack-app-manifest.yaml").string()); }

}  // namespace

TEST_CASE("the Slack app manifest asks for exactly the scopes the code uses") {
    const auto code = scan_sources();
    // The scan finds the calls it must (a scan that finds nothing proves nothing).
    CHECK(code.methods.count("chat.postMessage") == 1);
    CHECK(code.methods.count("apps.connections.open") == 1);
    INFO("calls whose method is not a string literal:\n" << joined(code.unreadable_calls));
    CHECK(code.unreadable_calls.empty());
    const auto problems = scope_problems(code, manifest());
    INFO(joined(problems));
    CHECK(problems.empty());
}

TEST_CASE("the scope comparison catches a method without its scope and a scope nothing uses") {
    auto code = scan_sources();
    const auto m = manifest();
    SECTION("a new method needing a scope the manifest lacks") {
        code.methods.insert("users.info");
        CHECK_THAT(joined(scope_problems(code, m)), Catch::Contains("the manifest lacks users:read, needed by method "
                                                                    "users.info"));
    }
    SECTION("a method the table does not know") {
        code.methods.insert("files.upload");
        CHECK_THAT(joined(scope_problems(code, m)), Catch::Contains("the code calls files.upload"));
    }
    SECTION("a scope nothing uses") {
        auto extra = YAML::Clone(m);
        extra["oauth_config"]["scopes"]["bot"].push_back("channels:manage");
        CHECK_THAT(joined(scope_problems(code, extra)),
                   Catch::Contains("the manifest asks for channels:manage, which nothing uses"));
    }
    SECTION("an event needing a scope the manifest lacks") {
        auto extra = YAML::Clone(m);
        extra["settings"]["event_subscriptions"]["bot_events"].push_back("app_mention");
        CHECK_THAT(joined(scope_problems(code, extra)), Catch::Contains("lacks app_mentions:read"));
    }
}

TEST_CASE("the Slack app manifest enables the App Home tab and its event over Socket Mode") {
    const auto m = manifest();
    CHECK(text(path(m, {"features", "app_home", "home_tab_enabled"})) == "true");
    CHECK(texts_of(path(m, {"settings", "event_subscriptions", "bot_events"})).count("app_home_opened") == 1);
    CHECK(text(path(m, {"settings", "socket_mode_enabled"})) == "true");
    CHECK(text(path(m, {"settings", "interactivity", "is_enabled"})) == "true");
    // Socket Mode: no public URL for events or interactivity.
    CHECK_FALSE(path(m, {"settings", "event_subscriptions", "request_url"}).IsDefined());
    CHECK_FALSE(path(m, {"settings", "interactivity", "request_url"}).IsDefined());
}
