#include "bot/services/rollback_service.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "bot/services/lease_keeper.hpp"
#include "bot/services/tool_commands.hpp"
#include "bot/services/workflow_support.hpp"
#include "commands/freeze/freeze_view.hpp"
#include "commands/grammar/grammar.hpp"
#include "commands/message/text.hpp"
#include "commands/promotion/command_gates.hpp"
#include "commands/promotion/promotion_json.hpp"
#include "commands/rollback/rollback_json.hpp"

namespace promotebot::bot {

namespace asio = boost::asio;
using namespace commands;

namespace {

struct rollback_conflict : std::runtime_error {
    rollback_conflict() : std::runtime_error("the rollback changed meanwhile") {}
};

// Deployment records of image rollbacks and Option B promotions: the versions the environment ran.
constexpr std::string_view image_rollback_option = "rollback:image";

bool ran_an_image(const deployment_record& d) { return d.option == "app" || d.option == image_rollback_option; }

std::vector<deployment_entry> image_history(const std::vector<deployment_record>& records) {
    std::vector<deployment_entry> out;
    for (const auto& d : records) {
        if (!ran_an_image(d) || !is_valid_version(d.version)) continue;
        deployment_entry e;
        e.version = d.version;
        e.ended_at = d.ended_at;
        e.result = d.result;
        e.deployer = d.detail.is_object() && d.detail.contains("deployer") && d.detail["deployer"].is_string()
                         ? d.detail["deployer"].get<std::string>()
                         : d.requested_by;
        if (e.deployer.empty()) e.deployer = d.requested_by;
        out.push_back(std::move(e));
    }
    return out;
}

// A lock held by a rollback carries its negated ID (promotions hold theirs under their own).
std::int64_t lock_key(std::int64_t rollback_id) { return -rollback_id; }

// ---- the facts, from the real tools ----------------------------------------

class command_facts final : public rollback_facts {
public:
    command_facts(const config& cfg, process_runner& runner, const redactor& redact)
        : cfg_(cfg), runner_(runner), redact_(redact) {}

    asio::awaitable<tool_result<std::string>> running_version(const std::string& environment) override {
        auto out = co_await run(environment, cfg_.promotion.soak.running_image);
        if (!out.ok()) co_return tool_result<std::string>::failure(out.error);
        const auto image = cronjob_container_image(*out.value, cfg_.promotion.soak.container);
        if (!image.ok()) co_return tool_result<std::string>::failure(image.error);
        const auto tag = image_tag(*image.value);
        if (!tag || !is_valid_version(*tag))
            co_return tool_result<std::string>::failure("the cronjob's image " + evidence_text(*image.value) +
                                                        " has no version tag");
        co_return tool_result<std::string>::success(*tag);
    }

    asio::awaitable<tool_result<std::vector<registry_tag>>> registry_tags(const std::string& environment) override {
        auto out = co_await run(environment, cfg_.rollback.registry_tags);
        if (!out.ok()) co_return tool_result<std::vector<registry_tag>>::failure(out.error);
        const auto entries = parse_gcloud_list_tags(*out.value);
        if (!entries.ok())
            co_return tool_result<std::vector<registry_tag>>::failure("registry answer unreadable: " + entries.error);
        auto sorted = *entries.value;
        // Newest first whatever order the listing used; an entry without a time keeps its place at the end.
        std::stable_sort(sorted.begin(), sorted.end(), [](const registry_tag_entry& a, const registry_tag_entry& b) {
            if (a.uploaded && b.uploaded) return *a.uploaded > *b.uploaded;
            return a.uploaded.has_value() && !b.uploaded.has_value();
        });
        std::vector<registry_tag> tags;
        for (const auto& e : sorted)
            for (const auto& t : e.tags)
                if (is_valid_version(t)) tags.push_back({t, e.uploaded});
        co_return tool_result<std::vector<registry_tag>>::success(std::move(tags));
    }

private:
    asio::awaitable<tool_result<std::string>> run(const std::string& environment,
                                                  const std::vector<std::string>& argv_template) {
        if (argv_template.empty()) co_return tool_result<std::string>::failure("no command is configured");
        auto argv = expand_argv(argv_template, environment_values(cfg_, environment));
        if (!argv.ok()) co_return tool_result<std::string>::failure("cannot build the command: " + argv.error);
        const auto tool = argv.argv.front();
        const auto spec = command_spec(cfg_, environment, std::move(argv.argv), std::chrono::seconds{60});
        auto out = co_await run_capture(runner_, spec, redact_);
        if (!out.outcome.succeeded())
            co_return tool_result<std::string>::failure(
                tool + ": " + ended_text(out.outcome) + (out.tail.empty() ? "" : " (" + evidence_text(out.tail.back()) + ")"));
        co_return tool_result<std::string>::success(std::move(out.out));
    }

    const config& cfg_;
    process_runner& runner_;
    const redactor& redact_;
};

class demo_facts final : public rollback_facts {
public:
    demo_facts(store& st, std::function<std::chrono::system_clock::time_point()> now)
        : store_(st), now_(std::move(now)) {}

    asio::awaitable<tool_result<std::string>> running_version(const std::string& environment) override {
        auto newest = [&environment](const store_session& s) {
            for (const auto& d : s.deployments(environment, 50))
                if (ran_an_image(d) && d.result == "succeeded" && is_valid_version(d.version))
                    return std::optional<std::string>{d.version};
            return std::optional<std::string>{};
        };
        const auto v = co_await read(store_, newest);
        co_return tool_result<std::string>::success(v.value_or("v1.2.3"));
    }

    asio::awaitable<tool_result<std::vector<registry_tag>>> registry_tags(const std::string&) override {
        const auto t = std::chrono::time_point_cast<std::chrono::seconds>(now_());
        using std::chrono::days;
        co_return tool_result<std::vector<registry_tag>>::success(
            {{"v1.2.3", t - days{1}}, {"v1.2.2", t - days{9}}, {"v1.2.1", t - days{23}}, {"v1.2.0", t - days{40}}});
    }

private:
    store& store_;
    std::function<std::chrono::system_clock::time_point()> now_;
};

}  // namespace

std::shared_ptr<rollback_facts> make_command_facts(const config& cfg, process_runner& runner, const redactor& redact) {
    return std::make_shared<command_facts>(cfg, runner, redact);
}

std::shared_ptr<rollback_facts> make_demo_facts(store& st, std::function<std::chrono::system_clock::time_point()> now) {
    return std::make_shared<demo_facts>(st, std::move(now));
}

std::string rollback_message_key(std::int64_t id) { return "rollback:" + std::to_string(id); }
std::string rollback_lease(std::int64_t id) { return "rollback:" + std::to_string(id); }

rollback_service::rollback_service(asio::any_io_executor ex, const config& cfg, store& st, freeze_service& freeze,
                                   process_runner& runner, std::shared_ptr<rollback_facts> facts,
                                   promotion_service& promotions, const redactor& redact, wall_clock now,
                                   promotion_options options)
    : ex_(std::move(ex)),
      cfg_(cfg),
      store_(st),
      freeze_(freeze),
      facts_(std::move(facts)),
      promotions_(promotions),
      redactor_(redact),
      clock_(std::move(now)),
      options_(options),
      zone_(date::locate_zone(cfg.timezone)),
      steps_(ex_, cfg, runner, redact, options.dry_run),
      tick_timer_(ex_) {
    for (const auto& [name, env] : cfg.environments) policies_[name] = rollback_policy_of(cfg, name);
}

sys_seconds rollback_service::now() const { return std::chrono::time_point_cast<std::chrono::seconds>(clock_()); }

rollback_policy rollback_service::policy(const std::string& environment) const {
    const auto it = policies_.find(environment);
    return it == policies_.end() ? rollback_policy{} : it->second;
}

void rollback_service::spawn(asio::awaitable<void> task, std::string what) {
    spawn_counted(ex_, std::move(task), busy_, "rollback", std::move(what));
}

// ---- proposing ---------------------------------------------------------------

asio::awaitable<void> rollback_service::propose(action_context ctx, rollback_request req) {
    const auto t = now();
    const std::string env{to_string(req.target)};
    auto refuse = [&](const std::string& why) {
        ctx.fx.record(ctx.who.user_id, "rollback.propose", ctx.subject, "refused", {{"reason", why}});
        ctx.fx.answer(ctx.who, privately(text_message(rich_text{"No rollback: " + why})));
    };
    const auto env_it = cfg_.environments.find(env);
    if (env_it == cfg_.environments.end()) {
        refuse("no environment " + env + " is configured.");
        co_await commit(store_, ctx, t);
        co_return;
    }
    if (req.what == rollback_kind::infra && env_it->second.terraform_dir.empty()) {
        refuse("environments." + env + ".terraform_dir is not configured, so there is no Terraform working copy to "
               "restore.");
        co_await commit(store_, ctx, t);
        co_return;
    }

    struct known {
        std::vector<deployment_record> records;
        std::set<std::string> bad;
        std::optional<stored_rollback> active;
        std::int64_t deploying = 0;
        std::optional<stored_promotion> replay;
        std::optional<stored_rollback> replayed;
    };
    const auto source = ctx.source_key;
    auto gather = [&env, &source](const store_session& s) {
        known k;
        k.records = s.deployments(env, 200);
        for (const auto& b : s.bad_versions(env)) k.bad.insert(b.version);
        for (const auto& r : s.rollbacks_in_states({"running", "awaiting_apply"}))
            if (r.environment == env) k.active = r;
        if (auto lock = s.deploy_lock_of(env); lock && lock->promotion_id > 0) {
            if (auto p = s.promotion(lock->promotion_id)) {
                try {
                    const auto ph = promotion_from_json(p->doc).ph;
                    if (ph == phase::pre_deploy || ph == phase::deploying || ph == phase::awaiting_apply)
                        k.deploying = p->id;
                } catch (const std::exception&) {
                    k.deploying = p->id;
                }
            }
        }
        return k;
    };
    auto k = co_await read(store_, gather);
    if (k.active) {
        const auto r = rollback_from_json(k.active->doc);
        refuse("rollback #" + std::to_string(r.id) + " of " + env + " is " + std::string(to_string(r.ph)) +
               " (confirmed by @" + r.confirmed_by + "). One change at a time: wait for it to end.");
        co_await commit(store_, ctx, t);
        co_return;
    }

    rollback_proposal prop;
    prop.request = req;
    prop.requester = ctx.who.user_id;
    prop.channel = ctx.who.channel_id;
    prop.deploying_promotion = k.deploying;
    prop.infra_ref = cfg_.rollback.infra_ref;
    std::string facts_note;
    if (req.what == rollback_kind::image) {
        const auto history = image_history(k.records);
        auto running = co_await facts_->running_version(env);
        if (running.ok()) {
            prop.current_version = *running.value;
        } else {
            // The cluster did not answer: the bot's own newest successful deployment, said so.
            for (const auto& e : history)
                if (e.result == "succeeded") {
                    prop.current_version = e.version;
                    break;
                }
            facts_note = "The running image could not be read (" + running.error + ")" +
                         (prop.current_version.empty() ? "." : "; promotebot's records say " + env + " runs " +
                                                                   prop.current_version + ".");
            if (prop.current_version.empty()) {
                refuse(facts_note + " Check the cluster, then try again.");
                co_await commit(store_, ctx, t);
                co_return;
            }
        }
        auto tags = co_await facts_->registry_tags(env);
        std::vector<registry_tag> listed;
        if (tags.ok()) listed = std::move(*tags.value);
        const auto choice = req.to_version
                                ? explicit_target(prop.current_version, *req.to_version, history, listed, k.bad, zone_)
                                : previous_good(prop.current_version, history, listed, k.bad, zone_);
        if (!choice.target) {
            auto why = choice.refusal;
            if (!tags.ok()) why += " (the registry could not be listed: " + tags.error + ")";
            refuse(why);
            co_await commit(store_, ctx, t);
            co_return;
        }
        // The target must still have an image: the registry answers for it when it can be asked.
        const auto& wanted = choice.target->version;
        if (tags.ok() &&
            std::none_of(listed.begin(), listed.end(), [&](const registry_tag& g) { return g.version == wanted; })) {
            refuse(req.to_version ? "no image " + wanted + " in the registry."
                                  : wanted + ", the previous good version, has no image in the registry any more. "
                                             "Name another with `/rollback to <version>`.");
            co_await commit(store_, ctx, t);
            co_return;
        }
        prop.target = choice.target;
    } else if (req.what == rollback_kind::dbt) {
        for (const auto& d : k.records)
            if (d.promotion_id > 0 && d.result == "succeeded") {
                prop.last_promotion = d.promotion_id;
                prop.last_promotion_version = d.version;
                break;
            }
    }
    const auto pol = policy(env);
    auto made = new_rollback(prop, pol, t);
    if (!made.value) {
        refuse(made.refusal + ".");
        co_await commit(store_, ctx, t);
        co_return;
    }
    auto r = std::move(*made.value);
    const std::string user = ctx.who.user_id;
    auto work = [&](store_session& st) {
        auto fx = ctx.fx;
        stored_rollback row;
        row.environment = env;
        row.kind = std::string(to_string(r.what));
        row.state = std::string(to_string(r.ph));
        row.requested_by = user;
        row.source_key = source;
        row.created_at = t;
        row.updated_at = t;
        const auto id = st.insert_rollback(row, t);
        if (auto existing = st.rollback(id); existing && existing->row_version > 1) {
            // A replay of a /rollback already handled: nothing new.
            fx.apply(st, t, ctx.inbox_key);
            return;
        }
        r.id = id;
        nlohmann::json detail = {{"rollback", id}, {"kind", row.kind}, {"environment", env}};
        if (r.what == rollback_kind::image) {
            detail["from"] = r.current_version;
            detail["to"] = r.target_version;
            detail["known_good"] = r.target_known_good;
        }
        if (!r.dbt_models.empty()) detail["models"] = r.dbt_models;
        if (r.what == rollback_kind::infra) detail["ref"] = r.infra_ref;
        if (r.cancels_promotion != 0) detail["deploying_promotion"] = r.cancels_promotion;
        fx.record(user, "rollback.propose", "rollback #" + std::to_string(id), "proposed", detail);
        fx.post(r.channel, rollback_message(r, pol, t, zone_), rollback_message_key(id));
        if (!facts_note.empty()) fx.reply(r.channel, rollback_message_key(id), text_message(rich_text{facts_note}));
        auto stored = *st.rollback(id);
        stored.doc = to_json(r);
        if (!st.save_rollback(stored, stored.row_version, t)) throw rollback_conflict{};
        fx.apply(st, t, ctx.inbox_key);
    };
    std::function<void(store_session&)> unit = work;
    co_await store_.write(unit);
}

asio::awaitable<void> rollback_service::propose_after(action_context ctx, std::int64_t promotion_id) {
    auto lookup = [promotion_id](const store_session& s) {
        std::optional<std::pair<stored_promotion, std::optional<std::string>>> out;
        auto p = s.promotion(promotion_id);
        if (!p) return out;
        std::optional<std::string> before;
        for (const auto& d : s.deployments(p->environment, 200))
            if (ran_an_image(d) && d.result == "succeeded" && d.promotion_id != promotion_id &&
                d.version != p->version && is_valid_version(d.version)) {
                before = d.version;
                break;
            }
        out.emplace(*p, before);
        return out;
    };
    auto found = co_await read(store_, lookup);
    if (!found) {
        const auto t = now();
        ctx.fx.record(ctx.who.user_id, "rollback.propose", ctx.subject, "refused", {{"reason", "no such promotion"}});
        ctx.fx.answer(ctx.who, privately(text_message(rich_text{"There is no promotion #" + std::to_string(promotion_id) + "."})));
        co_await commit(store_, ctx, t);
        co_return;
    }
    rollback_request req;
    req.what = rollback_kind::image;
    req.target = found->first.environment == "int" ? environment::int_ : environment::prod;
    req.to_version = found->second;  // none known: the previous good one
    co_await propose(std::move(ctx), std::move(req));
}

// ---- buttons -------------------------------------------------------------------

asio::awaitable<void> rollback_service::press(action_context ctx, rollback_button b, role_set roles) {
    rollback_event ev;
    switch (b.button) {
    case rollback_button::what::confirm: {
        rollback_events::confirmed c;
        c.user = ctx.who.user_id;
        c.roles = std::move(roles);
        // The freeze is read now; the lock and a deploy in progress inside the transaction.
        auto env_of = [&b](const store_session& s) {
            auto r = s.rollback(b.rollback_id);
            return r ? r->environment : std::string{};
        };
        const auto env = co_await read(store_, env_of);
        if (env == "prod") {
            const auto cal = co_await freeze_.calendar();
            c.frozen = cal.status_at(now()).frozen;
        }
        ev = std::move(c);
        break;
    }
    case rollback_button::what::apply: ev = rollback_events::apply_pressed{ctx.who.user_id, std::move(roles)}; break;
    case rollback_button::what::cancel: ev = rollback_events::cancel_pressed{ctx.who.user_id, std::move(roles)}; break;
    case rollback_button::what::emergency:
        ev = rollback_events::emergency_approved{ctx.who.user_id, std::move(roles)};
        break;
    case rollback_button::what::on_call: ev = rollback_events::on_call_present{ctx.who.user_id, std::move(roles)}; break;
    }
    const auto a = co_await apply(b.rollback_id, std::move(ev), &ctx);
    carry_out(a);
}

// ---- transitions -----------------------------------------------------------------

asio::awaitable<rollback_service::applied> rollback_service::apply(
    std::int64_t id, rollback_event e, action_context* ctx, std::function<bool(store_session&)> precondition) {
    for (int attempt = 0;; ++attempt) {
        const auto t = now();
        applied out;
        auto work = [&](store_session& s) {
            out = {};
            if (precondition && !precondition(s)) return;
            effects fx = ctx ? ctx->fx : effects{};
            const auto inbox_key = ctx ? ctx->inbox_key : std::string{};
            auto row = s.rollback(id);
            if (!row) {
                if (ctx) {
                    fx.record(ctx->who.user_id, "rollback.button", ctx->subject, "rejected", {{"error", "no such rollback"}});
                    fx.answer(ctx->who, privately(text_message("There is no rollback #" + std::to_string(id) + ".")));
                }
                fx.apply(s, t, inbox_key);
                return;
            }
            auto r = rollback_from_json(row->doc);
            const auto pol = policy(row->environment);
            auto ev = e;
            if (auto* c = std::get_if<rollback_events::confirmed>(&ev)) {
                if (auto lock = s.deploy_lock_of(row->environment); lock && lock->promotion_id != lock_key(id)) {
                    c->lock_holder = lock->holder;
                    if (lock->promotion_id > 0) {
                        c->lock_promotion = lock->promotion_id;
                        if (auto p = s.promotion(lock->promotion_id)) {
                            try {
                                c->running_promotion_phase = promotion_from_json(p->doc).ph;
                            } catch (const std::exception&) {
                                // Unreadable: counted as mid-deploy.
                            }
                        }
                    }
                }
            }
            auto tr = on(r, ev, pol, t);
            const auto key = rollback_message_key(id);
            const auto subject = "rollback #" + std::to_string(id);
            for (const auto& eff : tr.effects) {
                std::visit(overloaded{
                               [&](const effect::record& rec) {
                                   auto detail = rec.detail;
                                   detail["rollback"] = id;
                                   fx.record(rec.actor, rec.action, subject, rec.outcome, detail);
                               },
                               [&](const effect::tell& m) {
                                   if (ctx) fx.answer(ctx->who, privately(text_message(m.text)));
                               },
                               [&](const effect::note& n) { fx.reply(r.channel, key, text_message(n.text)); },
                               [&](const rollback_effects::cancel_promotion& c) {
                                   promotion_event taken = event::taken_over{id, r.confirmed_by};
                                   out.promotions.push_back(promotions_.apply_in(s, c.promotion_id, taken, nullptr, fx, t));
                               },
                               [&](const effect::take_lock& l) {
                                   if (!s.acquire_deploy_lock(row->environment, lock_key(id), l.holder, t))
                                       throw rollback_conflict{};
                               },
                               [&](const effect::release_lock&) { s.release_deploy_lock(row->environment, lock_key(id)); },
                               [&](const rollback_effects::mark_bad& m) {
                                   bad_version b;
                                   b.environment = row->environment;
                                   b.version = m.version;
                                   b.marked_by = r.confirmed_by;
                                   b.rollback_id = id;
                                   b.marked_at = t;
                                   s.mark_bad_version(b);
                               },
                               [&](const effect::start_record&) {
                                   deployment_record d;
                                   d.promotion_id = 0;
                                   d.environment = row->environment;
                                   // dbt and Terraform reverts change no image: their record names what they restore.
                                   d.version = r.what == rollback_kind::image ? r.target_version
                                               : r.what == rollback_kind::dbt
                                                   ? "dbt " + join(r.dbt_models, ",").substr(0, 200)
                                                   : "terraform " + r.infra_ref;
                                   d.option = "rollback:" + std::string(to_string(r.what));
                                   d.requested_by = r.requester;
                                   d.approved_by = {r.confirmed_by};
                                   d.gates = nlohmann::json::array();
                                   d.started_at = t;
                                   d.detail = {{"rollback", id}, {"deployer", r.confirmed_by},
                                               {"during_freeze", r.frozen_at_confirm}};
                                   if (r.what == rollback_kind::image) d.detail["from"] = r.current_version;
                                   if (!r.dbt_models.empty()) d.detail["models"] = r.dbt_models;
                                   if (r.what == rollback_kind::infra) d.detail["ref"] = r.infra_ref;
                                   r.deployment_id = s.start_deployment(d);
                               },
                               [&](const effect::finish_record& f) {
                                   if (r.deployment_id == 0) return;
                                   if (auto d = s.deployment(r.deployment_id)) {
                                       auto detail = d->detail;
                                       detail["steps"] = to_json(r)["steps"];
                                       if (!r.apply_approved_by.empty()) detail["apply_approved_by"] = r.apply_approved_by;
                                       s.finish_deployment(d->id, f.result, "", t, detail);
                                   }
                               },
                               [&](const auto& io) { out.effects.push_back(io); },
                           },
                           eff);
            }
            auto state = row->state;
            if (tr.changed) {
                fx.update(r.channel, key, rollback_message(r, pol, t, zone_));
                auto next = *row;
                next.doc = to_json(r);
                next.state = std::string(to_string(r.ph));
                if (!s.save_rollback(next, row->row_version, t)) throw rollback_conflict{};
                state = next.state;
            }
            if (options_.leases) {
                const bool starts_work = std::any_of(out.effects.begin(), out.effects.end(), [](const auto& x) {
                    return std::holds_alternative<effect::run_step>(x);
                });
                options_.leases->settle(s, rollback_lease(id), starts_work, row->state == "running", state == "running");
            }
            fx.apply(s, t, inbox_key);
            out.r = std::move(r);
        };
        try {
            std::function<void(store_session&)> unit = work;
            co_await store_.write(unit);
            co_return out;
        } catch (const rollback_conflict&) {
            if (attempt >= 4) throw;
            spdlog::info("rollback #{} changed meanwhile; handling the event again", id);
        }
    }
}

void rollback_service::carry_out(const applied& a) {
    // The promotion taken over stops its running step first.
    for (const auto& p : a.promotions) promotions_.carry_out(p);
    if (!a.r) return;
    const auto id = a.r->id;
    const bool starts_step = std::any_of(a.effects.begin(), a.effects.end(), [](const auto& x) {
        return std::holds_alternative<effect::run_step>(x);
    });
    if (starts_step && options_.leases) running_.watch(*options_.leases, rollback_lease(id), id);
    for (const auto& e : a.effects)
        if (const auto* s = std::get_if<effect::run_step>(&e))
            spawn(step(a.r->id, s->index, *a.r),
                  "step " + std::to_string(s->index + 1) + " of rollback #" + std::to_string(a.r->id));
}

// ---- steps ---------------------------------------------------------------------

asio::awaitable<void> rollback_service::step(std::int64_t id, int index, rollback r) {
    const std::string environment{to_string(r.env)};
    const auto pol = policy(environment);
    const auto& plan = steps_of(r.what, pol);
    event::step_ended ended;
    ended.index = index;
    if (index < 0 || static_cast<std::size_t>(index) >= plan.size()) {
        ended.summary = "the configuration no longer has this step";
    } else {
        const auto& s = plan[static_cast<std::size_t>(index)];
        auto values = environment_values(cfg_, environment);
        sys_seconds since = now();
        for (const auto& run : r.steps)
            if (run.kind == step_kind::set_image && run.ended) since = *run.ended;
        values["since"] = format_rfc3339(since);
        auto argv = rollback_argv(r, index, pol, values);
        step_done done;
        if (!argv.ok()) {
            done.summary = "cannot build the command: " + argv.error;
        } else {
            step_job job;
            job.environment = environment;
            job.name = s.name;
            job.kind = s.kind;
            job.argv = std::move(argv.argv);
            job.timeout = std::chrono::minutes{30};
            // The whole Terraform revert, git included, runs in the working copy.
            if (r.what == rollback_kind::infra) job.dir = cfg_.environments.at(environment).terraform_dir;
            job.version = r.target_version;
            job.since = since;
            auto ran = co_await running_.run(steps_, std::move(job), id);
            if (!ran) co_return;
            done = std::move(*ran);
        }
        ended.succeeded = done.succeeded;
        ended.summary = done.summary;
        ended.tail = done.tail;
        const auto stored = stored_output(index, done.lines);
        const auto channel = r.channel;
        const auto title = "Step " + std::to_string(index + 1) + " (" + s.name + "): " + ended.summary;
        const auto tail_message = code_tail(title, ended.tail);
        const auto t = now();
        auto save = [&](store_session& st) {
            // A rollback's output is kept under its negated ID, beside the promotions' output.
            st.append_step_output(lock_key(id), stored, t);
            effects fx;
            fx.reply(channel, rollback_message_key(id), tail_message);
            fx.apply(st, t);
        };
        std::function<void(store_session&)> unit = save;
        co_await store_.write(unit);
    }
    rollback_event step_event = std::move(ended);
    const auto a = co_await apply(id, std::move(step_event), nullptr);
    carry_out(a);
}

// ---- start and timers ------------------------------------------------------------

asio::awaitable<void> rollback_service::feed_all(std::vector<std::string> states, rollback_event e) {
    auto in_states = [&states](const store_session& s) {
        std::vector<std::int64_t> out;
        for (const auto& r : s.rollbacks_in_states(states)) out.push_back(r.id);
        return out;
    };
    auto ids = co_await read(store_, in_states);
    for (const auto id : ids) {
        try {
            rollback_event copy = e;
            const auto a = co_await apply(id, std::move(copy), nullptr);
            carry_out(a);
        } catch (const std::exception& x) {
            spdlog::error("rollback #{}: {}", id, x.what());
        }
    }
}

asio::awaitable<void> rollback_service::resume() {
    if (!options_.leases) {
        std::vector<std::string> states{"running"};
        rollback_event restarted = rollback_events::restarted{};
        co_await feed_all(std::move(states), std::move(restarted));
        co_return;
    }
    auto running = [](const store_session& s) {
        std::vector<std::int64_t> out;
        for (const auto& r : s.rollbacks_in_states({"running"})) out.push_back(r.id);
        return out;
    };
    auto ids = co_await read(store_, running);
    auto restart = [this](std::int64_t id, std::function<bool(store_session&)> take) -> asio::awaitable<bool> {
        rollback_event restarted = rollback_events::restarted{};
        const auto a = co_await apply(id, std::move(restarted), nullptr, std::move(take));
        carry_out(a);
        co_return a.r.has_value();
    };
    // Named before co_await: g++ 12 mishandles owning temporaries inside a co_await expression.
    const std::function<std::string(std::int64_t)> lease_of = rollback_lease;
    const std::function<asio::awaitable<bool>(std::int64_t, std::function<bool(store_session&)>)> restart_one = restart;
    co_await options_.leases->take_over(ids, lease_of, restart_one);
}

asio::awaitable<void> rollback_service::run_timers() {
    while (!stopping_) {
        tick_timer_.expires_after(options_.tick_interval);
        boost::system::error_code ignored;
        co_await tick_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        if (stopping_) break;
        std::vector<std::string> proposed{"proposed"};
        rollback_event tick = rollback_events::tick{};
        co_await feed_all(std::move(proposed), std::move(tick));
    }
}

void rollback_service::stop() {
    stopping_ = true;
    steps_.stop();
    tick_timer_.cancel();
}

}  // namespace promotebot::bot
