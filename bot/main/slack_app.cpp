#include "bot/main/slack_app.hpp"

#include <cstdlib>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "bot/ports/chat_port.hpp"
#include "bot/services/command_router.hpp"
#include "bot/services/role_resolver.hpp"
#include "integrations/slack/block_kit.hpp"
#include "integrations/slack/socket_mode_client.hpp"
#include "integrations/slack/update_coalescer.hpp"
#include "integrations/slack/web_api.hpp"

namespace promotebot::bot {

namespace asio = boost::asio;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string{v} : fallback;
}

std::string text_of(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

nlohmann::json response_body(const commands::reply& r) {
    auto body = slack::to_chat_payload(r.body);
    body["response_type"] = r.audience == commands::visibility::ephemeral ? "ephemeral" : "in_channel";
    return body;
}

// Answers through Slack: response_url for the person who acted, the Web API
// for channel posts, and the coalescer for progress updates.
class slack_chat : public chat_port {
public:
    slack_chat(slack::web_api& api, slack::update_coalescer& coalescer) : api_(api), coalescer_(coalescer) {}

    asio::awaitable<void> reply(const reply_target& to, const commands::reply& r) override {
        if (!to.response_url.empty()) {
            auto res = co_await api_.post_response_url(to.response_url, response_body(r));
            if (res.ok()) co_return;
            spdlog::warn("slack: response_url failed ({}); answering through the Web API", res.error);
        }
        auto payload = slack::to_chat_payload(r.body);
        payload["channel"] = to.channel_id;
        if (r.audience == commands::visibility::ephemeral) {
            payload["user"] = to.user_id;
            auto res = co_await api_.call("chat.postEphemeral", payload);
            if (!res.ok()) spdlog::error("slack: chat.postEphemeral failed: {}", res.error);
        } else {
            auto res = co_await api_.call("chat.postMessage", payload);
            if (!res.ok()) spdlog::error("slack: chat.postMessage failed: {}", res.error);
        }
    }

    asio::awaitable<std::string> post(const std::string& channel, const commands::message& m) override {
        auto payload = slack::to_chat_payload(m);
        payload["channel"] = channel;
        auto res = co_await api_.call("chat.postMessage", payload);
        if (!res.ok()) {
            spdlog::error("slack: chat.postMessage to {} failed: {}", channel, res.error);
            co_return std::string{};
        }
        co_return text_of(res.body, "ts");
    }

    asio::awaitable<void> update(const std::string& channel, const std::string& ts,
                                 const commands::message& m) override {
        coalescer_.update(channel, ts, slack::to_chat_payload(m));
        co_return;
    }

private:
    slack::web_api& api_;
    slack::update_coalescer& coalescer_;
};

std::optional<commands::slash_command> slash_command_of(const nlohmann::json& p) {
    commands::slash_command c{text_of(p, "command"), text_of(p, "text"),         text_of(p, "user_id"),
                              text_of(p, "channel_id"), text_of(p, "response_url"), text_of(p, "trigger_id")};
    if (c.command.empty() || c.user_id.empty()) return std::nullopt;
    return c;
}

std::vector<commands::button_press> button_presses_of(const nlohmann::json& p) {
    std::vector<commands::button_press> out;
    if (text_of(p, "type") != "block_actions") return out;
    const auto user = p.contains("user") ? text_of(p["user"], "id") : std::string{};
    const auto channel = p.contains("channel") ? text_of(p["channel"], "id") : std::string{};
    const auto ts = p.contains("message") ? text_of(p["message"], "ts") : std::string{};
    if (user.empty() || !p.contains("actions") || !p["actions"].is_array()) return out;
    for (const auto& a : p["actions"]) {
        out.push_back({text_of(a, "action_id"), text_of(a, "value"), user, channel, ts, text_of(p, "response_url"),
                       text_of(p, "trigger_id")});
    }
    return out;
}

}  // namespace

slack_environment slack_environment_from_env(const config& cfg) {
    slack_environment env;
    env.app_token = env_or("SLACK_APP_TOKEN", "");
    env.bot_token = env_or("SLACK_BOT_TOKEN", "");
    env.api_url = env_or("SLACK_API_URL", env.api_url);
    if (!env.api_url.empty() && env.api_url.back() != '/') env.api_url += '/';
    env.ca_file = env_or("SSL_CERT_FILE", cfg.slack.ca_file);
    return env;
}

struct slack_app::impl {
    impl(const config& cfg, store& st, slack_environment env)
        : cfg(cfg),
          st(st),
          env(std::move(env)),
          api(io.get_executor(), web_options()),
          coalescer(io.get_executor(),
                    [this](nlohmann::json args) { return api.call("chat.update", std::move(args)); }),
          chat(api, coalescer),
          roles(cfg,
                [this](std::string group) -> asio::awaitable<std::optional<std::vector<std::string>>> {
                    nlohmann::json args = nlohmann::json::object();
                    args["usergroup"] = group;
                    auto res = co_await api.call("usergroups.users.list", std::move(args));
                    if (!res.ok() || !res.body.contains("users")) {
                        spdlog::warn("slack: usergroups.users.list {} failed: {}", group, res.error);
                        co_return std::nullopt;
                    }
                    co_return res.body["users"].get<std::vector<std::string>>();
                },
                std::chrono::steady_clock::now),
          router(cfg, st, roles, chat),
          client(io.get_executor(), api, client_options(), handlers()) {}

    slack::web_api_options web_options() const {
        slack::web_api_options o;
        o.base_url = env.api_url;
        o.bot_token = env.bot_token;
        o.app_token = env.app_token;
        o.ca_file = env.ca_file;
        return o;
    }

    slack::socket_mode_client_options client_options() const {
        slack::socket_mode_client_options o;
        o.session.connections = cfg.slack.connections;
        o.session.ping_interval = cfg.slack.ping_interval;
        o.session.dead_after = cfg.slack.dead_after;
        o.ca_file = env.ca_file;
        return o;
    }

    slack::socket_mode_handlers handlers() {
        slack::socket_mode_handlers h;
        h.ack_payload = [](const slack::envelope& e) -> std::optional<nlohmann::json> {
            if (e.type != "slash_commands") return std::nullopt;
            auto c = slash_command_of(e.payload);
            if (!c) return std::nullopt;
            auto r = command_router::immediate_reply(*c);
            if (!r) return std::nullopt;
            return response_body(*r);
        };
        h.on_envelope = [this](slack::envelope e) { handle(std::move(e)); };
        h.journal = [this](const slack::envelope& e) {
            if (e.type != "slash_commands" && e.type != "interactive") return true;
            try {
                return st.journal_inbound({slack::envelope_identity(e), e.type, e.payload, wall_now()});
            } catch (const std::exception& x) {
                // Handling it unjournaled beats dropping it.
                spdlog::error("inbox: could not journal envelope {}: {}", e.envelope_id, x.what());
                return true;
            }
        };
        return h;
    }

    static std::chrono::sys_seconds wall_now() {
        return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    }

    // Runs a handler; when it ends (or fails), its inbox entry is done.
    void spawn(asio::awaitable<void> task, std::string what, std::string inbox_key = {}) {
        ++in_flight;
        asio::co_spawn(io, std::move(task), [this, what = std::move(what), key = std::move(inbox_key)](std::exception_ptr e) {
            --in_flight;
            if (!key.empty()) {
                try {
                    st.mark_inbound_done(key, wall_now());
                } catch (const std::exception& x) {
                    spdlog::error("inbox: could not mark {} done: {}", key, x.what());
                }
            }
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                spdlog::error("{} failed: {}", what, x.what());
            }
        });
    }

    // Envelopes acked by an earlier run that stopped before handling them.
    void replay_unfinished() {
        const auto now = wall_now();
        for (auto& entry : st.unfinished_inbound()) {
            if (now - entry.received_at > std::chrono::minutes(30)) {
                // Too late to answer the person (response_url has expired); recorded, not run.
                spdlog::warn("inbox: {} from {} s ago was never handled and is too old to run now", entry.key,
                             (now - entry.received_at).count());
                st.append_audit({"system", "inbound.expired", entry.key, "dropped", {{"type", entry.type}}}, now);
                st.mark_inbound_done(entry.key, now);
                continue;
            }
            spdlog::info("inbox: handling {} that was acked before the last stop", entry.key);
            slack::envelope e;
            e.envelope_id = "replay:" + entry.key;
            e.type = entry.type;
            e.payload = std::move(entry.payload);
            handle(std::move(e), entry.key);
        }
        st.prune_inbound(now - std::chrono::days(7));
    }

    void handle(slack::envelope e, std::string inbox_key = {}) {
        if (inbox_key.empty() && (e.type == "slash_commands" || e.type == "interactive"))
            inbox_key = slack::envelope_identity(e);
        if (e.type == "slash_commands") {
            auto c = slash_command_of(e.payload);
            if (!c) {
                spdlog::warn("slack: slash command envelope {} without command or user", e.envelope_id);
                if (!inbox_key.empty()) st.mark_inbound_done(inbox_key, wall_now());
                return;
            }
            const bool answered = e.accepts_response_payload && command_router::immediate_reply(*c).has_value();
            spawn(router.on_command(std::move(*c), answered), "command", inbox_key);
        } else if (e.type == "interactive") {
            auto presses = button_presses_of(e.payload);
            if (presses.empty() && !inbox_key.empty()) st.mark_inbound_done(inbox_key, wall_now());
            for (std::size_t i = 0; i < presses.size(); ++i)
                spawn(router.on_button(std::move(presses[i])), "button", i + 1 == presses.size() ? inbox_key : "");
        } else {
            spdlog::debug("slack: {} envelope not handled", e.type);
        }
    }

    asio::awaitable<void> main(bool handle_signals) {
        // The bot token is checked before any link opens, so a wrong one fails fast.
        auto who = co_await api.call("auth.test", nlohmann::json::object());
        if (!who.ok()) {
            spdlog::critical("slack: auth.test with SLACK_BOT_TOKEN failed: {}", who.error);
            exit_code = 1;
            co_return;
        }
        spdlog::info("slack: connected as {} in team {}", text_of(who.body, "user_id"), text_of(who.body, "team_id"));
        asio::signal_set signals(io, SIGINT, SIGTERM);
        if (handle_signals) {
            signals.async_wait([this](boost::system::error_code ec, int sig) {
                if (ec) return;
                spdlog::info("received signal {}: stopping", sig);
                client.stop();
            });
        }
        if (roles.has_groups()) {
            spawn(roles.refresh_forever(), "user group refresh");
            background_tasks = 1;
        }
        replay_unfinished();
        auto result = co_await client.run();
        signals.cancel();
        // Let commands already acked finish their answers (bounded).
        asio::steady_timer wait(io);
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (in_flight > background_tasks && std::chrono::steady_clock::now() < give_up) {
            wait.expires_after(std::chrono::milliseconds(10));
            co_await wait.async_wait(asio::use_awaitable);
        }
        co_await coalescer.flush();
        if (result.fatal) {
            spdlog::critical("stopped: {}", result.message);
            exit_code = 1;
        } else {
            spdlog::info("stopped cleanly");
        }
        io.stop();
    }

    asio::io_context io;
    const config& cfg;
    store& st;
    slack_environment env;
    slack::web_api api;
    slack::update_coalescer coalescer;
    slack_chat chat;
    role_resolver roles;
    command_router router;
    slack::socket_mode_client client;
    int exit_code = 0;
    int in_flight = 0;         // spawned handlers still running
    int background_tasks = 0;  // of those, the ones that never end by themselves
};

slack_app::slack_app(const config& cfg, store& st, slack_environment env)
    : impl_(std::make_unique<impl>(cfg, st, std::move(env))) {}

slack_app::~slack_app() = default;

int slack_app::run(bool handle_signals) {
    auto& s = *impl_;
    asio::co_spawn(s.io, s.main(handle_signals), [&s](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            spdlog::critical("stopped: {}", x.what());
        }
        s.exit_code = 1;
        s.io.stop();
    });
    s.io.run();
    return s.exit_code;
}

void slack_app::stop() {
    asio::post(impl_->io, [this] { impl_->client.stop(); });
}

}  // namespace promotebot::bot
