#include "bot/main/slack_app.hpp"

#include <cstdlib>
#include <random>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "bot/services/audit_anchor_service.hpp"
#include "bot/services/command_router.hpp"
#include "bot/services/freeze_service.hpp"
#include "bot/services/home_service.hpp"
#include "bot/main/gate_wiring.hpp"
#include "bot/main/http_wiring.hpp"
#include "bot/services/lease_keeper.hpp"
#include "bot/services/outbox_dispatcher.hpp"
#include "bot/services/promotion_service.hpp"
#include "bot/services/rollback_service.hpp"
#include "bot/services/tool_commands.hpp"
#include "integrations/process/child_process_runner.hpp"
#include "integrations/process/dry_run_runner.hpp"
#include "bot/services/role_resolver.hpp"
#include "integrations/net/backoff.hpp"
#include "integrations/slack/block_kit.hpp"
#include "integrations/slack/inbound.hpp"
#include "integrations/slack/slack_chat.hpp"
#include "integrations/slack/socket_mode_client.hpp"
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

std::optional<inbound_kind> inbound_kind_of(const std::string& envelope_type) {
    if (envelope_type == "slash_commands") return inbound_kind::slash_command;
    if (envelope_type == "interactive") return inbound_kind::interactive;
    return std::nullopt;
}

std::string envelope_type_of(inbound_kind k) {
    switch (k) {
    case inbound_kind::slash_command: return "slash_commands";
    case inbound_kind::interactive: return "interactive";
    case inbound_kind::event: return "events_api";
    }
    return "events_api";
}

sys_seconds wall_now() { return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()); }

}  // namespace

slack_environment slack_environment_from_env(const config& cfg) {
    slack_environment env;
    env.app_token = env_or("SLACK_APP_TOKEN", "");
    env.bot_token = env_or("SLACK_BOT_TOKEN", "");
    env.api_url = env_or("SLACK_API_URL", env.api_url);
    if (!env.api_url.empty() && env.api_url.back() != '/') env.api_url += '/';
    env.ca_file = env_or("SSL_CERT_FILE", cfg.slack.ca_file);
    env.replica = default_replica_name();
    return env;
}

struct slack_app::impl {
    impl(const config& cfg, storage::synchronous_store& db, slack_environment env)
        : cfg(cfg),
          st(storage::threaded_store(db)),
          env(std::move(env)),
          api(io.get_executor(), web_options()),
          chat(api),
          roles(
              cfg,
              [this](std::string group) -> asio::awaitable<std::optional<std::vector<std::string>>> {
                  nlohmann::json args = nlohmann::json::object();
                  args["usergroup"] = group;
                  auto res = co_await api.call("usergroups.users.list", std::move(args));
                  const auto users = res.ok() && res.body.is_object() ? res.body.find("users") : res.body.end();
                  if (!res.ok() || users == res.body.end() || !users->is_array()) {
                      spdlog::warn("slack: usergroups.users.list {} failed: {}", group, res.error);
                      co_return std::nullopt;
                  }
                  std::vector<std::string> out;
                  for (const auto& u : *users)
                      if (u.is_string()) out.push_back(u.get<std::string>());
                  co_return out;
              },
              std::chrono::steady_clock::now),
          freeze(cfg, *st, std::chrono::system_clock::now),
          runner(make_runner(this->env.dry_run)),
          leases(io.get_executor(), *st, make_replica_identity(this->env.replica), cfg.replicas.lease,
                 std::chrono::system_clock::now),
          promotions(io.get_executor(), cfg, *st, freeze, *runner,
                     real_gate_checkers(io.get_executor(), cfg, gate_runner, redact, this->env.ca_file), redact,
                     std::chrono::system_clock::now, workflow_options()),
          // Reading the running image and the registry only reads: real even with --dry-run.
          rollbacks(io.get_executor(), cfg, *st, freeze, *runner, make_command_facts(cfg, gate_runner, redact),
                    promotions, redact, std::chrono::system_clock::now, workflow_options()),
          router(cfg, *st, roles, freeze, std::chrono::system_clock::now),
          home(cfg, *st, chat, std::chrono::system_clock::now),
          dispatcher(io.get_executor(), *st, chat, std::chrono::system_clock::now, outbox_settings()),
          audit_anchor(cfg, *st, std::chrono::system_clock::now),
          client(io.get_executor(), api, client_options(), handlers()) {
        st->on_commit = [this] { dispatcher.notify(); };
        leases.add_sweeper([this] { return promotions.resume(); });
        leases.add_sweeper([this] { return rollbacks.resume(); });
        leases.add_sweeper([this] { return replay_unfinished(); });
        router.answer_failures_through(chat);
        router.serve_promotions(promotions, chat);
        router.serve_rollbacks(rollbacks);
    }

    static std::unique_ptr<process_runner> make_runner(bool dry_run) {
        if (!dry_run) return std::make_unique<process::child_process_runner>();
        return std::make_unique<process::dry_run_runner>([](const std::vector<std::string>& argv) {
            spdlog::info("dry run: {}", process::display_command(argv));
        });
    }

    slack::web_api_options web_options() const {
        slack::web_api_options o;
        o.base_url = env.api_url;
        o.bot_token = env.bot_token;
        o.app_token = env.app_token;
        o.ca_file = env.ca_file;
        o.metrics = &metrics;
        return o;
    }

    slack::socket_mode_client_options client_options() const {
        slack::socket_mode_client_options o;
        o.session.connections = cfg.slack.connections;
        o.session.ping_interval = cfg.slack.ping_interval;
        o.session.dead_after = cfg.slack.dead_after;
        o.session.metrics = &metrics;
        o.ca_file = env.ca_file;
        return o;
    }

    promotion_options workflow_options() {
        promotion_options o;
        o.dry_run = env.dry_run;
        o.leases = &leases;
        return o;
    }

    outbox_options outbox_settings() {
        outbox_options o;
        // Longer than a lease: another replica takes a row over only once this one is surely gone.
        o.claim = std::max<std::chrono::milliseconds>(std::chrono::seconds(60), cfg.replicas.lease * 2);
        o.holder = leases.identity().holder();
        o.earlier_runs = leases.identity().earlier_runs();
        o.backoff = [this](int attempts) {
            return net::backoff_delay({std::chrono::seconds(1), std::chrono::minutes(5)}, attempts, rng);
        };
        return o;
    }

    slack::socket_mode_handlers handlers() {
        slack::socket_mode_handlers h;
        h.ack_payload = [this](const slack::envelope& e) -> std::optional<nlohmann::json> {
            if (e.type == "interactive") {
                // A refused form stays open with the errors under its fields.
                auto s = slack::form_submission_of(e.payload);
                if (!s) return std::nullopt;
                auto errors = router.validate_form(*s);
                if (!errors || errors->empty()) return std::nullopt;  // no payload: the modal closes
                return slack::form_errors_ack(*errors);
            }
            if (e.type != "slash_commands") return std::nullopt;
            auto c = slack::slash_command_of(e.payload);
            if (!c) return std::nullopt;
            auto r = command_router::immediate_reply(*c);
            if (!r) return std::nullopt;
            return slack::response_body(*r);
        };
        h.on_envelope = [this](slack::envelope e) { handle(std::move(e)); };
        h.journal = [this](const slack::envelope& e, std::function<void(bool)> done) {
            const auto kind = inbound_kind_of(e.type);
            if (!kind) {
                done(true);
                return;
            }
            inbox_entry entry{slack::envelope_identity(e), *kind, e.payload, wall_now(), leases.identity().holder(),
                              now_ms() + cfg.replicas.lease};
            journal_queue.push_back({std::move(entry), std::move(done), e.envelope_id});
            if (!journal_in_flight) flush_journal();
        };
        return h;
    }

    // Group commit: the envelopes that arrive while one journal transaction
    // runs are written together in the next, so a burst costs a few
    // transactions instead of one an envelope, and each ack waits for at most
    // the transaction in flight and its own.
    struct pending_journal {
        inbox_entry entry;
        std::function<void(bool)> done;
        std::string envelope_id;
    };
    std::vector<pending_journal> journal_queue;
    bool journal_in_flight = false;
    static constexpr int max_handlers_ahead = 256;

    void flush_journal() {
        journal_in_flight = true;
        auto batch = std::make_shared<std::vector<pending_journal>>(std::move(journal_queue));
        journal_queue.clear();
        asio::co_spawn(
            io,
            [this, batch]() -> asio::awaitable<std::vector<bool>> {
                std::vector<bool> fresh;
                auto unit = [&](store_session& s) {
                    fresh.clear();  // a retried unit starts afresh
                    for (const auto& p : *batch) fresh.push_back(s.journal_inbound(p.entry));
                };
                std::function<void(store_session&)> work = unit;
                // Acks wait for the journal: it goes ahead of the handlers and the
                // outbox, until so many handlers wait that acking faster would only
                // pile up work; then it queues with them, and Slack's in-flight
                // limit holds the rest back.
                if (in_flight < max_handlers_ahead) co_await st->write_first(work);
                else co_await st->write(work);
                co_return fresh;
            },
            [this, batch](std::exception_ptr x, std::vector<bool> fresh) {
                journal_in_flight = false;
                if (x) {
                    // Handling them unjournaled beats dropping them.
                    try {
                        std::rethrow_exception(x);
                    } catch (const std::exception& what) {
                        spdlog::error("inbox: could not journal {} envelopes (first {}): {}", batch->size(),
                                      batch->front().envelope_id, what.what());
                    }
                }
                for (std::size_t i = 0; i < batch->size(); ++i)
                    (*batch)[i].done(x || i >= fresh.size() ? true : static_cast<bool>(fresh[i]));
                if (!journal_queue.empty()) flush_journal();
            });
    }

    // Runs a handler; its own transaction marks its inbox entry done.
    void spawn(asio::awaitable<void> task, std::string what) {
        ++in_flight;
        asio::co_spawn(io, std::move(task), [this, what = std::move(what)](std::exception_ptr e) {
            --in_flight;
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                // Its inbox entry stays unfinished: the next start handles it again.
                spdlog::error("{} failed: {}", what, x.what());
            }
        });
    }

    void finish_unhandled(std::string key, std::string why) {
        spawn(
            [](store& st, std::string key, std::string why) -> asio::awaitable<void> {
                co_await write(st, [&](store_session& s) {
                    const auto now = wall_now();
                    s.append_audit({"system", "inbound.ignored", key, "dropped", {{"reason", why}}}, now);
                    s.mark_inbound_done(key, now);
                });
            }(*st, std::move(key), std::move(why)),
            "inbox");
    }

    static sys_millis now_ms() {
        return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    }

    // Envelopes acked by an earlier run of this replica that stopped before
    // handling them, or by another replica whose claim on them ended (it
    // died): they become this run's and are handled now. At the start and
    // every half lease.
    asio::awaitable<void> replay_unfinished() {
        const auto now = wall_now();
        const auto holder = leases.identity().holder();
        const auto earlier = leases.identity().earlier_runs();
        const auto now_claim = now_ms();
        const auto until = now_claim + cfg.replicas.lease;
        auto claim = [&](store_session& s) {
            return s.claim_unfinished_inbound(holder, earlier, now_claim, until, 200);
        };
        auto unfinished = co_await write(*st, claim);
        for (auto& entry : unfinished) {
            if (now - entry.received_at > std::chrono::minutes(30)) {
                // Too late to answer the person (response_url has expired); recorded, not run.
                spdlog::warn("inbox: {} from {} s ago was never handled and is too old to run now", entry.key,
                             (now - entry.received_at).count());
                co_await write(*st, [&](store_session& s) {
                    s.append_audit({"system", "inbound.expired", entry.key, "dropped",
                                    {{"type", envelope_type_of(entry.kind)}}},
                                   now);
                    s.mark_inbound_done(entry.key, now);
                });
                continue;
            }
            spdlog::info("inbox: handling {} that was acked before the last stop", entry.key);
            slack::envelope e;
            e.envelope_id = "replay:" + entry.key;
            e.type = envelope_type_of(entry.kind);
            e.payload = std::move(entry.payload);
            // Slack sends every view_submission accepting an ack payload: a
            // refused one had its errors shown then, as it would have now.
            e.accepts_response_payload = slack::form_submission_of(e.payload).has_value();
            handle(std::move(e), entry.key);
        }
        if (std::exchange(pruned, true)) co_return;  // once a run
        co_await write(*st, [now](store_session& s) { s.prune_inbound(now - std::chrono::days(7)); });
    }
    bool pruned = false;

    void handle(slack::envelope e, std::string inbox_key = {}) {
        if (inbox_key.empty() && inbound_kind_of(e.type)) inbox_key = slack::envelope_identity(e);
        if (e.type == "slash_commands") {
            auto c = slack::slash_command_of(e.payload);
            if (!c) {
                spdlog::warn("slack: slash command envelope {} without command or user", e.envelope_id);
                finish_unhandled(std::move(inbox_key), "no command or user");
                return;
            }
            const bool answered = e.accepts_response_payload && command_router::immediate_reply(*c).has_value();
            spawn(router.on_command(std::move(*c), std::move(inbox_key), answered), "command");
        } else if (e.type == "interactive") {
            if (auto s = slack::form_submission_of(e.payload)) {
                // The ack showed the errors and kept the modal open: the person submits again.
                const auto errors = e.accepts_response_payload ? router.validate_form(*s) : std::nullopt;
                if (errors && !errors->empty()) {
                    finish_unhandled(std::move(inbox_key), "form refused: the modal shows its errors");
                    return;
                }
                spawn(router.on_form(std::move(*s), std::move(inbox_key)), "form");
                return;
            }
            auto presses = slack::button_presses_of(e.payload);
            if (presses.empty()) {
                finish_unhandled(std::move(inbox_key), "no button");
                return;
            }
            // The last press's transaction marks the entry done.
            for (std::size_t i = 0; i < presses.size(); ++i)
                spawn(router.on_button(std::move(presses[i]), i + 1 == presses.size() ? inbox_key : std::string{}),
                      "button");
        } else if (auto opened = e.type == "events_api" ? slack::home_opened_of(e.payload) : std::nullopt) {
            // Nothing to journal: a lost one is published again the next time the tab is opened.
            spawn(home.opened(std::move(*opened)), "home tab");
        } else {
            spdlog::debug("slack: {} envelope not handled", e.type);
        }
    }

    asio::awaitable<void> main(bool handle_signals) {
        // Probes answer from the start (not ready until a link is up); the listener closes when this returns.
        const auto http = start_http_listener(io.get_executor(), cfg, *st, metrics, [this] { return client.links_up(); });
        // The bot token is checked before any link opens, so a wrong one fails fast.
        // Slack unreachable at start (refused, 5xx) is waited out with backoff; only its answer stops us.
        auto who = co_await api.call_until_answered("auth.test", nlohmann::json::object());
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
        int background_tasks = 0;
        if (roles.has_groups()) {
            spawn(roles.refresh_forever(), "user group refresh");
            ++background_tasks;
        }
        if (!cfg.audit.channel.empty()) {
            spawn(audit_anchor.run(), "audit anchor");
            ++background_tasks;
        }
        // Messages left pending by an earlier run go out first.
        spawn(dispatcher.run(), "outbox");
        ++background_tasks;
        spdlog::info("replicas: this process is {} (lease {} s)", leases.identity().holder(), cfg.replicas.lease.count());
        // Requests the last run left open are picked up; a deploy it left running is reported interrupted.
        co_await promotions.resume();
        spawn(promotions.run_timers(), "promotion timers");
        ++background_tasks;
        co_await rollbacks.resume();
        spawn(rollbacks.run_timers(), "rollback timers");
        ++background_tasks;
        co_await replay_unfinished();
        // Renews this process's leases and takes over what dead replicas left.
        spawn(leases.run(), "leases");
        ++background_tasks;
        auto result = co_await client.run();
        signals.cancel();
        leases.stop();
        promotions.stop();
        rollbacks.stop();
        // Let commands already acked finish (bounded), then deliver what they queued.
        asio::steady_timer wait(io);
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (in_flight > background_tasks && std::chrono::steady_clock::now() < give_up) {
            wait.expires_after(std::chrono::milliseconds(10));
            co_await wait.async_wait(asio::use_awaitable);
        }
        dispatcher.stop();
        try {
            // One last round for what is due now; the rest waits for the next start.
            co_await dispatcher.deliver_due();
        } catch (const std::exception& e) {
            spdlog::error("outbox: {}", e.what());
        }
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
    std::unique_ptr<store> st;
    slack_environment env;
    std::minstd_rand rng{std::random_device{}()};
    mutable metrics_registry metrics;  // before the adapters that count into it; counted into from const options
    slack::web_api api;
    slack::slack_chat chat;
    role_resolver roles;
    freeze_service freeze;
    commands::redactor redact = known_secrets_redactor();
    // Gates only read (kubectl get, gcloud list-tags, bq query): they run for real even with --dry-run.
    process::child_process_runner gate_runner;
    std::unique_ptr<process_runner> runner;  // deployment steps
    lease_keeper leases;
    promotion_service promotions;
    rollback_service rollbacks;
    command_router router;
    home_service home;
    outbox_dispatcher dispatcher;
    audit_anchor_service audit_anchor;
    slack::socket_mode_client client;
    int exit_code = 0;
    int in_flight = 0;  // spawned handlers still running
};

slack_app::slack_app(const config& cfg, storage::synchronous_store& db, slack_environment env)
    : impl_(std::make_unique<impl>(cfg, db, std::move(env))) {}

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
