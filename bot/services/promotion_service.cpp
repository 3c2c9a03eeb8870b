#include "bot/services/promotion_service.hpp"

#include <algorithm>
#include <deque>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "bot/services/lease_keeper.hpp"
#include "bot/services/step_executor.hpp"
#include "bot/services/tool_commands.hpp"
#include "bot/services/workflow_support.hpp"
#include "commands/freeze/freeze_view.hpp"
#include "commands/grammar/grammar.hpp"
#include "commands/message/text.hpp"
#include "commands/promotion/argv_template.hpp"
#include "commands/promotion/command_gates.hpp"
#include "commands/promotion/promotion_json.hpp"
#include "commands/promotion/tool_output.hpp"

namespace promotebot::bot {

namespace asio = boost::asio;
using namespace commands;

namespace {

// Stored states in which a request has work running in some process (gate
// checks, a step): the ones a replica that died can leave behind.
bool needs_process(const std::string& state) {
    return state == "checking" || state == "pre_deploy" || state == "deploying" || state == "verifying";
}

// The promotion could not be saved because another writer changed it first.
struct promotion_conflict : std::runtime_error {
    promotion_conflict() : std::runtime_error("the promotion changed meanwhile") {}
};

constexpr std::string_view form_callback = "promote.request";
constexpr std::string_view edit_callback = "promote.edit";

// "CHG0012345, CHG0012346" or with spaces: the Change Records typed in the form.
std::optional<std::vector<std::string>> change_records_of(const std::string& text, std::string& bad) {
    std::vector<std::string> out;
    std::string word;
    auto flush = [&] {
        if (word.empty()) return true;
        auto upper = to_upper(word);
        if (!is_valid_change_record(upper)) {
            bad = word.size() > 40 ? word.substr(0, 40) + "…" : word;
            return false;
        }
        if (std::find(out.begin(), out.end(), upper) == out.end()) out.push_back(upper);
        word.clear();
        return true;
    };
    for (char c : text) {
        if (c == ',' || c == ' ' || c == '\n' || c == '\t' || c == ';' || c == '\r') {
            if (!flush()) return std::nullopt;
        } else {
            word += c;
        }
    }
    if (!flush()) return std::nullopt;
    if (out.size() > 10) {
        bad = "more than 10 Change Records";
        return std::nullopt;
    }
    return out;
}

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string value_of(const form_submission& s, const std::string& id) {
    const auto it = s.values.find(id);
    return it == s.values.end() ? std::string{} : it->second;
}

}  // namespace

std::string promotion_lease(std::int64_t id) { return "promotion:" + std::to_string(id); }

std::string promotion_message_key(std::int64_t id) { return "promotion:" + std::to_string(id); }

promotion_service::promotion_service(asio::any_io_executor ex, const config& cfg, store& st, freeze_service& freeze,
                                     process_runner& runner,
                                     std::map<std::string, std::shared_ptr<gate_checker>> checkers,
                                     const commands::redactor& redact, wall_clock now, promotion_options options)
    : ex_(std::move(ex)),
      cfg_(cfg),
      store_(st),
      freeze_(freeze),
      runner_(runner),
      checkers_(std::move(checkers)),
      redactor_(redact),
      clock_(std::move(now)),
      options_(options),
      zone_(date::locate_zone(cfg.timezone)),
      steps_(ex_, cfg, runner, redact, options.dry_run),
      tick_timer_(ex_) {
    for (const auto& [name, env] : cfg.environments) policies_[name] = promotion_policy_of(cfg, name);
}

sys_seconds promotion_service::now() const { return std::chrono::time_point_cast<std::chrono::seconds>(clock_()); }

promotion_policy promotion_service::policy(const std::string& environment) const {
    const auto it = policies_.find(environment);
    return it == policies_.end() ? promotion_policy{} : it->second;
}

void promotion_service::spawn(asio::awaitable<void> task, std::string what) {
    spawn_counted(ex_, std::move(task), busy_, "promotion", std::move(what));
}

// ---- the request -------------------------------------------------------------

form promotion_service::request_form(const promote_request& r, const std::string& channel) const {
    const std::string env{to_string(r.target)};
    const auto pol = policy(env);
    form f;
    f.title = "Promote " + r.version;
    if (f.title.size() > 24) f.title = "Promote";
    f.callback_id = std::string(form_callback);
    f.private_metadata = nlohmann::json{{"version", r.version},
                                        {"environment", env},
                                        {"emergency", r.emergency},
                                        {"override_bad", r.override_bad_reason},
                                        {"channel", channel}}
                             .dump();
    f.submit_label = "Open request";
    f.intro.push_back(rich_text{"Promote " + r.version + " to " + env +
                                (r.emergency ? " as an emergency (during a freeze it needs a VP's approval and an "
                                               "on-call engineer present)"
                                             : "") +
                                ". The runbook asks for these before anyone signs off."});
    form_field cr;
    cr.id = "change_records";
    cr.label = "Change Record number(s)";
    cr.hint = "ServiceNow change numbers, e.g. CHG0012345; separate several with commas.";
    cr.initial = join(r.change_records, ", ");
    cr.required = env == "prod";
    cr.max_length = 200;
    f.fields.push_back(cr);
    form_field plan;
    plan.id = "rollback_plan";
    plan.label = "Rollback plan";
    plan.kind = form_field::kind::multiline;
    plan.hint = "How prod is restored if this goes wrong: the steps or a link to them.";
    plan.required = pol.rollback_plan_required;
    plan.max_length = 2000;
    f.fields.push_back(plan);
    form_field option;
    option.id = "option";
    option.label = "What changes";
    option.kind = form_field::kind::choice;
    option.options = {{"app", "Option B: application only (dbt, orchestrator image)"},
                      {"infra", "Option A: Terraform (infrastructure)"}};
    option.initial = r.infra ? "infra" : "app";
    option.required = true;
    f.fields.push_back(option);
    if (r.emergency) {
        form_field why;
        why.id = "emergency_reason";
        why.label = "Why this cannot wait";
        why.kind = form_field::kind::multiline;
        why.required = true;
        why.max_length = 1000;
        f.fields.push_back(why);
    }
    return f;
}

form_errors promotion_service::validate(const form_submission& s, const config& cfg) {
    form_errors e;
    const bool editing = s.callback_id == edit_callback;
    nlohmann::json meta = nlohmann::json::parse(s.private_metadata, nullptr, false);
    const auto env = meta.is_object() && meta.contains("environment") && meta["environment"].is_string()
                         ? meta["environment"].get<std::string>()
                         : std::string{};
    std::string bad;
    const auto crs = change_records_of(value_of(s, "change_records"), bad);
    if (!crs) e.by_field["change_records"] = "`" + bad + "` is not a Change Record number (CHG followed by 7 to 10 digits).";
    else if (crs->empty() && env == "prod") e.by_field["change_records"] = "prod needs an approved Change Record.";
    const auto plan = trimmed(value_of(s, "rollback_plan"));
    const auto env_it = cfg.environments.find(env);
    if (plan.empty() && env_it != cfg.environments.end() && env_it->second.rollback_plan_required)
        e.by_field["rollback_plan"] = "A documented rollback plan is required for " + env + ".";
    if (plan.size() > 2000) e.by_field["rollback_plan"] = "At most 2000 characters; link to a longer plan.";
    const auto option = value_of(s, "option");
    if (!editing && option != "app" && option != "infra") e.by_field["option"] = "Choose Option A or Option B.";
    if (meta.is_object() && meta.value("emergency", false) && trimmed(value_of(s, "emergency_reason")).empty())
        e.by_field["emergency_reason"] = "An emergency needs a reason; it is recorded.";
    return e;
}

asio::awaitable<void> promotion_service::request(action_context ctx, promote_request r, std::string trigger_id,
                                                 chat_port& chat) {
    const auto t = now();
    const std::string env{to_string(r.target)};
    auto refuse = [&](std::string why) {
        ctx.fx.record(ctx.who.user_id, "promotion.request", ctx.subject, "refused", {{"reason", why}});
        ctx.fx.answer(ctx.who, privately(text_message(rich_text{std::move(why)})));
    };
    if (env == "prod" && ctx.who.channel_id != cfg_.slack.release_channel) {
        refuse("Prod promotions are requested in the release channel only.");
        ctx.fx.messages.back().body.text = rich_text{"Prod promotions are requested in "}
                                               .append(channel_mention(cfg_.slack.release_channel))
                                               .append(" only.");
        co_await commit(store_, ctx, t);
        co_return;
    }
    if (!cfg_.environments.count(env)) {
        refuse("No environment " + env + " is configured.");
        co_await commit(store_, ctx, t);
        co_return;
    }
    // A version rolled back from stays rolled back unless the request says why.
    const auto version = r.version;
    // Named before co_await: g++ 12 mishandles a closure made inside a co_await expression.
    auto bad_of = [&env, &version](const store_session& s) { return s.bad_version_of(env, version); };
    const auto bad = co_await read(store_, bad_of);
    if (bad && r.override_bad_reason.empty()) {
        refuse(version + " was rolled back from in " + env + " on " + format_local(bad->marked_at, zone_) +
               " (rollback #" + std::to_string(bad->rollback_id) + ", confirmed by @" + bad->marked_by +
               "). To promote it again, say why: /promote " + version + " … override-bad <reason>");
        co_await commit(store_, ctx, t);
        co_return;
    }
    if (bad)
        ctx.fx.record(ctx.who.user_id, "promotion.override_bad", ctx.subject, "ok",
                      {{"version", version}, {"environment", env}, {"reason", r.override_bad_reason},
                       {"rollback", bad->rollback_id}});
    const auto f = request_form(r, ctx.who.channel_id);
    const auto opened = co_await chat.open_form(trigger_id, f);
    if (opened.ok()) {
        ctx.fx.record(ctx.who.user_id, "promotion.request", ctx.subject, "form_opened");
    } else {
        spdlog::warn("promotion: could not open the request form: {}", opened.error);
        refuse("The request form could not be opened (" + opened.error +
               "). Type the command again: Slack's form link lives only 3 seconds.");
    }
    co_await commit(store_, ctx, t);
}

asio::awaitable<void> promotion_service::submit(action_context ctx, form_submission s) {
    const auto t = now();
    auto meta = nlohmann::json::parse(s.private_metadata, nullptr, false);
    const auto text = [&](const char* k) {
        return meta.is_object() && meta.contains(k) && meta[k].is_string() ? meta[k].get<std::string>() : std::string{};
    };
    promote_request r;
    r.version = text("version");
    const auto env = text("environment");
    const auto channel = text("channel");
    r.target = env == "int" ? environment::int_ : environment::prod;
    r.emergency = meta.is_object() && meta.value("emergency", false);
    ctx.who.channel_id = channel;
    const auto errors = validate(s, cfg_);
    if (!is_valid_version(r.version) || (env != "int" && env != "prod") ||
        !is_slack_id(mention_kind::channel, channel) || (env == "prod" && channel != cfg_.slack.release_channel)) {
        ctx.fx.record(ctx.who.user_id, "promotion.request", "form", "rejected", {{"reason", "bad form metadata"}});
        if (is_slack_id(mention_kind::channel, channel))
            ctx.fx.answer(ctx.who, privately(text_message("That form does not belong to a request promotebot opened.")));
        co_await commit(store_, ctx, t);
        co_return;
    }
    if (!errors.empty()) {
        std::vector<std::string> lines;
        for (const auto& [field, why] : errors.by_field) lines.push_back(field + ": " + why);
        ctx.fx.record(ctx.who.user_id, "promotion.request", ctx.subject, "rejected", {{"errors", lines}});
        ctx.fx.answer(ctx.who, privately(text_message("The request was not opened: " + join(lines, " "))));
        co_await commit(store_, ctx, t);
        co_return;
    }
    std::string bad;
    const auto crs = *change_records_of(value_of(s, "change_records"), bad);
    const auto plan = trimmed(value_of(s, "rollback_plan"));
    const auto option = value_of(s, "option") == "infra" ? deploy_option::infra : deploy_option::app;
    const auto reason = trimmed(value_of(s, "emergency_reason"));
    auto override_bad = text("override_bad");
    if (override_bad.size() > max_override_bad_reason_chars * 4) override_bad.resize(max_override_bad_reason_chars * 4);
    const auto pol = policy(env);
    const auto source = !s.view_id.empty() ? "view:" + s.view_id : ctx.source_key;
    const std::string user = ctx.who.user_id;

    std::optional<promotion> opened;
    std::vector<promotion_effect> to_run;
    auto work = [&](store_session& st) {
        // A retried unit (a PostgreSQL serialization failure) starts afresh.
        opened.reset();
        to_run.clear();
        auto fx = ctx.fx;
        if (!source.empty())
            if (auto existing = st.promotion_from_source(source)) {
                // A replay of a submission already handled: nothing new.
                fx.apply(st, t, ctx.inbox_key);
                return;
            }
        stored_promotion row;
        row.environment = env;
        row.version = r.version;
        row.state = "checking";
        row.requested_by = user;
        row.source_key = source;
        row.created_at = t;
        row.updated_at = t;
        const auto id = st.insert_promotion(row, t);
        auto p = new_promotion(id, r, user, channel, crs, plan, option, reason, pol, t);
        auto tr = on(p, event::opened{}, pol, t);
        for (const auto& e : tr.effects) {
            if (const auto* rec = std::get_if<effect::record>(&e)) {
                auto detail = rec->detail;
                detail["promotion"] = id;
                if (!reason.empty()) detail["emergency_reason"] = reason;
                if (!override_bad.empty()) detail["override_bad_reason"] = override_bad;
                fx.record(rec->actor, rec->action, "promotion #" + std::to_string(id), rec->outcome, detail);
            } else {
                to_run.push_back(e);
            }
        }
        fx.post(channel, promotion_message(p, pol, t, zone_), promotion_message_key(id));
        auto stored = *st.promotion(id);
        stored.doc = to_json(p);
        stored.state = status_of(p, pol, t);
        if (!st.save_promotion(stored, stored.row_version, t)) throw promotion_conflict{};
        fx.apply(st, t, ctx.inbox_key);
        // Its gate checks run in this process, under its lease.
        if (options_.leases) options_.leases->settle(st, promotion_lease(id), !to_run.empty(), false, true);
        opened = std::move(p);
    };
    std::function<void(store_session&)> unit = work;
    co_await store_.write(unit);
    if (opened) carry_out(applied{opened, to_run});
}

asio::awaitable<void> promotion_service::press(action_context ctx, promotion_button b, role_set roles,
                                               std::string trigger_id, chat_port& chat) {
    if (b.edit) {
        const auto t = now();
        auto promotion_of = [&b](const store_session& s) { return s.promotion(b.promotion_id); };
        auto row = co_await read(store_, promotion_of);
        auto refuse = [&](std::string why) {
            ctx.fx.record(ctx.who.user_id, "promotion.edit", "promotion #" + std::to_string(b.promotion_id), "refused",
                          {{"reason", why}, {"promotion", b.promotion_id}});
            ctx.fx.answer(ctx.who, privately(text_message(rich_text{std::move(why)})));
        };
        if (!row) {
            refuse("There is no promotion #" + std::to_string(b.promotion_id) + ".");
        } else {
            const auto p = promotion_from_json(row->doc);
            if (p.requester != ctx.who.user_id) {
                refuse("Only the requester can change the request's details.");
            } else if (p.ph != phase::open) {
                refuse("This request can no longer be edited: it is " + row->state + ".");
            } else {
                form f;
                f.title = "Edit promotion #" + std::to_string(p.id);
                if (f.title.size() > 24) f.title = "Edit promotion";
                f.callback_id = std::string(edit_callback);
                f.private_metadata =
                    nlohmann::json{{"promotion", p.id}, {"environment", row->environment}, {"channel", p.channel}}.dump();
                f.submit_label = "Save";
                f.intro.push_back(rich_text{"Changing the Change Records voids the sign-offs given for the old ones; "
                                            "the gates run again."});
                form_field cr;
                cr.id = "change_records";
                cr.label = "Change Record number(s)";
                cr.initial = join(p.change_records, ", ");
                cr.required = row->environment == "prod";
                cr.max_length = 200;
                f.fields.push_back(cr);
                form_field plan;
                plan.id = "rollback_plan";
                plan.label = "Rollback plan";
                plan.kind = form_field::kind::multiline;
                plan.initial = p.rollback_plan;
                plan.required = policy(row->environment).rollback_plan_required;
                plan.max_length = 2000;
                f.fields.push_back(plan);
                const auto opened = co_await chat.open_form(trigger_id, f);
                if (opened.ok()) ctx.fx.record(ctx.who.user_id, "promotion.edit", "promotion #" + std::to_string(p.id),
                                               "form_opened", {{"promotion", p.id}});
                else refuse("The edit form could not be opened (" + opened.error + "). Press Edit details again.");
            }
        }
        co_await commit(store_, ctx, t);
        co_return;
    }
    if (b.rollback) {
        // The rollback flow: until /rollback runs from here, the button names what to type.
        const auto t = now();
        auto lookup = [&b](const store_session& s) {
            std::optional<std::pair<stored_promotion, std::optional<deployment_record>>> out;
            if (auto p = s.promotion(b.promotion_id))
                out.emplace(*p, s.last_successful_deployment(p->environment));
            return out;
        };
        auto found = co_await read(store_, lookup);
        ctx.fx.record(ctx.who.user_id, "promotion.rollback", "promotion #" + std::to_string(b.promotion_id),
                      "proposed");
        if (!found) {
            ctx.fx.answer(ctx.who, privately(text_message("There is no promotion #" + std::to_string(b.promotion_id) + ".")));
        } else {
            const auto& [p, last] = *found;
            std::string text = "To roll " + p.environment + " back, type `/rollback " + p.environment;
            if (last && last->version != p.version) text += " to " + last->version;
            text += "`";
            if (last && last->version != p.version) text += ": " + last->version + " is the last version deployed successfully";
            text += ". The on-call engineer or a Release Manager confirms it.";
            ctx.fx.answer(ctx.who, privately(text_message(text)));
        }
        co_await commit(store_, ctx, t);
        co_return;
    }
    event::pressed e;
    e.button = b.what;
    e.signoff = b.signoff;
    e.user = ctx.who.user_id;
    e.roles = std::move(roles);
    promotion_event ev = std::move(e);
    const auto a = co_await apply(b.promotion_id, std::move(ev), &ctx);
    carry_out(a);
}

asio::awaitable<void> promotion_service::submit_edit(action_context ctx, form_submission s) {
    const auto t = now();
    auto meta = nlohmann::json::parse(s.private_metadata, nullptr, false);
    const auto id = meta.is_object() && meta.contains("promotion") && meta["promotion"].is_number_integer()
                        ? meta["promotion"].get<std::int64_t>()
                        : 0;
    const auto channel = meta.is_object() && meta.contains("channel") && meta["channel"].is_string()
                             ? meta["channel"].get<std::string>()
                             : std::string{};
    if (is_slack_id(mention_kind::channel, channel)) ctx.who.channel_id = channel;
    const auto errors = validate(s, cfg_);
    if (id <= 0 || !errors.empty()) {
        std::vector<std::string> lines;
        for (const auto& [field, why] : errors.by_field) lines.push_back(field + ": " + why);
        if (id <= 0) lines.push_back("the form names no promotion");
        ctx.fx.record(ctx.who.user_id, "promotion.edit", ctx.subject, "rejected", {{"errors", lines}});
        ctx.fx.answer(ctx.who, privately(text_message("Nothing was changed: " + join(lines, " "))));
        co_await commit(store_, ctx, t);
        co_return;
    }
    std::string bad;
    event::details_changed changed;
    changed.user = ctx.who.user_id;
    changed.change_records = *change_records_of(value_of(s, "change_records"), bad);
    changed.rollback_plan = trimmed(value_of(s, "rollback_plan"));
    promotion_event ev = std::move(changed);
    const auto a = co_await apply(id, std::move(ev), &ctx);
    carry_out(a);
}

// ---- transitions ---------------------------------------------------------------

promotion_service::applied promotion_service::apply_in(store_session& s, std::int64_t id, const promotion_event& e,
                                                       const action_context* ctx, effects& fx, sys_seconds t) {
    applied out;
    auto row = s.promotion(id);
    if (!row) {
        if (ctx) {
            fx.record(ctx->who.user_id, "promotion.button", ctx->subject, "rejected", {{"error", "no such promotion"}});
            fx.answer(ctx->who, privately(text_message("There is no promotion #" + std::to_string(id) + ".")));
        }
        return out;
    }
    auto p = promotion_from_json(row->doc);
    const auto pol = policy(row->environment);
    auto ev = e;
    if (auto* pr = std::get_if<event::pressed>(&ev); pr && pr->button == event::pressed::what::deploy) {
        if (auto lock = s.deploy_lock_of(row->environment); lock && lock->promotion_id != id) {
            pr->lock_held_by = lock->holder;
            pr->lock_held_for = lock->promotion_id;
        }
    }
    auto tr = on(p, ev, pol, t);
    const auto key = promotion_message_key(id);
    const auto subject = "promotion #" + std::to_string(id);
    for (const auto& eff : tr.effects) {
        std::visit(overloaded{
                       [&](const effect::record& r) {
                           auto detail = r.detail;
                           detail["promotion"] = id;
                           fx.record(r.actor, r.action, subject, r.outcome, detail);
                       },
                       [&](const effect::tell& r) {
                           if (ctx) fx.answer(ctx->who, privately(text_message(r.text)));
                       },
                       [&](const effect::note& n) { fx.reply(p.channel, key, text_message(n.text)); },
                       [&](const effect::take_lock& l) {
                           if (!s.acquire_deploy_lock(row->environment, id, l.holder, t)) throw promotion_conflict{};
                       },
                       [&](const effect::release_lock&) { s.release_deploy_lock(row->environment, id); },
                       [&](const effect::start_record&) {
                           deployment_record d;
                           d.promotion_id = id;
                           d.environment = row->environment;
                           d.version = p.version;
                           d.option = std::string(to_string(p.option));
                           d.requested_by = p.requester;
                           for (const auto& [k, a] : p.approvals) d.approved_by.push_back(a.user);
                           if (!p.deployer.empty()) d.approved_by.push_back(p.deployer);
                           d.change_records = p.change_records;
                           d.gates = gates_json(p.gates);
                           d.started_at = t;
                           d.detail = {{"deployer", p.deployer}, {"emergency", emergency_active(p)}};
                           s.start_deployment(d);
                       },
                       [&](const effect::finish_record& f) {
                           if (auto d = s.deployment_of_promotion(id)) {
                               auto detail = d->detail;
                               detail["steps"] = to_json(p)["steps"];
                               if (!p.apply_approved_by.empty()) detail["apply_approved_by"] = p.apply_approved_by;
                               s.finish_deployment(d->id, f.result, p.pushed_digest, t, detail);
                           }
                       },
                       [&](const auto& io) { out.effects.push_back(io); },
                   },
                   eff);
    }
    auto state = row->state;
    if (tr.changed) {
        fx.update(p.channel, key, promotion_message(p, pol, t, zone_));
        auto next = *row;
        next.doc = to_json(p);
        next.state = status_of(p, pol, t);
        if (!s.save_promotion(next, row->row_version, t)) throw promotion_conflict{};
        state = next.state;
    }
    if (options_.leases) {
        const bool starts_work = std::any_of(out.effects.begin(), out.effects.end(), [](const promotion_effect& x) {
            return std::holds_alternative<effect::run_gates>(x) || std::holds_alternative<effect::run_step>(x);
        });
        options_.leases->settle(s, promotion_lease(id), starts_work, needs_process(row->state), needs_process(state));
    }
    out.p = std::move(p);
    return out;
}

asio::awaitable<promotion_service::applied> promotion_service::apply(
    std::int64_t id, promotion_event e, action_context* ctx, std::function<bool(store_session&)> precondition) {
    for (int attempt = 0;; ++attempt) {
        const auto t = now();
        applied out;
        auto work = [&](store_session& s) {
            out = {};
            if (precondition && !precondition(s)) return;
            effects fx = ctx ? ctx->fx : effects{};
            out = apply_in(s, id, e, ctx, fx, t);
            fx.apply(s, t, ctx ? ctx->inbox_key : std::string{});
        };
        try {
            std::function<void(store_session&)> unit = work;
            co_await store_.write(unit);
            co_return out;
        } catch (const promotion_conflict&) {
            if (attempt >= 4) throw;
            spdlog::info("promotion #{} changed meanwhile; handling the event again", id);
        }
    }
}

void promotion_service::carry_out(const applied& a) {
    if (!a.p) return;
    const auto id = a.p->id;
    const bool starts_work = std::any_of(a.effects.begin(), a.effects.end(), [](const promotion_effect& x) {
        return std::holds_alternative<effect::run_gates>(x) || std::holds_alternative<effect::run_step>(x);
    });
    if (starts_work && options_.leases) running_.watch(*options_.leases, promotion_lease(id), id);
    for (const auto& e : a.effects) {
        if (const auto* g = std::get_if<effect::run_gates>(&e)) {
            run_gates(a.p->id, g->round, *a.p);
        } else if (const auto* s = std::get_if<effect::run_step>(&e)) {
            run_step(a.p->id, s->index, *a.p);
        } else if (std::holds_alternative<effect::cancel_running>(e)) {
            // Kills the step's process group; its end is then ignored by the cancelled promotion.
            running_.cancel(id);
        }
    }
}

// ---- gates ---------------------------------------------------------------------

void promotion_service::run_gates(std::int64_t id, int round, const promotion& p) {
    gate_subject subject;
    subject.promotion_id = id;
    subject.version = p.version;
    subject.environment = std::string(to_string(p.env));
    subject.change_records = p.change_records;
    subject.emergency = p.emergency;
    subject.now = now();
    for (const auto& g : p.gates) spawn(check_gate(id, round, g.id, subject), "gate " + g.id);
}

asio::awaitable<gate_result> promotion_service::freeze_gate(const std::string& environment) {
    const auto t = now();
    auto r = gate_answer(std::string(gate_ids::freeze), "", gate_state::pass, "");
    r.checked_at = t;
    if (environment != "prod") {
        r.evidence = environment + " has no change freeze";
        co_return r;
    }
    const auto cal = co_await freeze_.calendar();
    const auto status = cal.status_at(t);
    if (status.frozen) {
        r.state = gate_state::fail;
        r.evidence = "frozen: " + join(status.rules, ", ");
        if (status.until) r.evidence += " until " + format_local(*status.until, zone_);
    } else {
        r.evidence = "not frozen now";
        const auto ahead = cal.windows_between(t, t + std::chrono::days{60});
        if (!ahead.empty())
            r.evidence += "; next freeze " + format_local(ahead.front().start, zone_) + " (" +
                          join(ahead.front().rules, ", ") + ")";
    }
    co_return r;
}

asio::awaitable<void> promotion_service::check_gate(std::int64_t id, int round, std::string gate_id,
                                                    gate_subject subject) {
    using namespace asio::experimental::awaitable_operators;
    gate_result r;
    const auto title = policy(subject.environment).gate_titles[gate_id];
    try {
        if (gate_id == gate_ids::freeze) {
            r = co_await freeze_gate(subject.environment);
        } else if (const auto it = checkers_.find(gate_id); it != checkers_.end()) {
            if (gate_id == gate_ids::soak || gate_id == gate_ids::pipeline_cycles) {
                const auto version = subject.version;
                auto last_in_int = [&version](const store_session& s) {
                    return s.last_successful_deployment("int", version);
                };
                auto last = co_await read(store_, last_in_int);
                if (last) subject.int_deployed_at = last->ended_at ? last->ended_at : last->started_at;
            }
            asio::steady_timer deadline(ex_);
            deadline.expires_after(cfg_.promotion.gate_timeout);
            auto checker = it->second;
            auto asked = checker->check(subject);
            auto timeout = deadline.async_wait(asio::use_awaitable);
            auto answer = co_await (std::move(asked) || std::move(timeout));
            if (answer.index() == 0) r = std::get<0>(std::move(answer));
            else r = gate_answer(gate_id, title, gate_state::unknown,
                                 "no answer within " + std::to_string(cfg_.promotion.gate_timeout.count()) + " s");
        } else {
            r = gate_answer(gate_id, title, gate_state::unknown, "no source is configured for this gate");
        }
    } catch (const std::exception& e) {
        r = gate_answer(gate_id, title, gate_state::unknown, std::string{"the check failed: "} + e.what());
    }
    r.id = gate_id;
    if (r.title.empty() || r.title != title) r.title = title;
    if (r.checked_at == sys_seconds{}) r.checked_at = now();
    r.evidence = redactor_.redact(r.evidence);
    // Named before co_await: g++ 12 mishandles owning temporaries inside a co_await expression.
    promotion_event answered = event::gate_answered{round, std::move(r)};
    const auto a = co_await apply(id, std::move(answered), nullptr);
    carry_out(a);
}

// ---- steps ---------------------------------------------------------------------

std::map<std::string, std::string> promotion_service::values_for(const promotion& p,
                                                                 const std::string& environment) const {
    auto v = environment_values(cfg_, environment);
    v["version"] = p.version;
    v["promotion_id"] = std::to_string(p.id);
    if (!p.change_records.empty()) v["change_record"] = p.change_records.front();
    if (!p.pushed_digest.empty()) v["digest"] = p.pushed_digest;
    if (const auto project = v.find("project_id"); project != v.end())
        v["image"] = "gcr.io/" + project->second + "/markets-orchestrator:" + p.version;
    v["job_name"] = "promotebot-" + std::to_string(p.id);
    return v;
}

void promotion_service::run_step(std::int64_t id, int index, const promotion& p) {
    spawn(step(id, index, p), "step " + std::to_string(index + 1) + " of promotion #" + std::to_string(id));
}

asio::awaitable<void> promotion_service::step(std::int64_t id, int index, promotion p) {
    const std::string environment{to_string(p.env)};
    const auto& env = cfg_.environments.at(environment);
    const auto& steps = p.option == deploy_option::infra ? env.infra_steps : env.app_steps;
    event::step_ended ended;
    ended.index = index;
    if (index < 0 || static_cast<std::size_t>(index) >= steps.size()) {
        ended.summary = "the configuration no longer has this step";
    } else {
        const auto& s = steps[static_cast<std::size_t>(index)];
        auto values = values_for(p, environment);
        // The verification follows the runs that began after the image was set.
        sys_seconds since = now();
        for (const auto& r : p.steps)
            if (r.kind == step_kind::set_image && r.ended) since = *r.ended;
        values["since"] = format_rfc3339(since);
        auto argv = expand_argv(s.argv, values);
        step_done done;
        if (!argv.ok()) {
            done.summary = "cannot build the command: " + argv.error;
        } else {
            step_job job;
            job.environment = environment;
            job.name = s.name;
            job.kind = s.kind;
            job.argv = std::move(argv.argv);
            job.timeout = s.timeout;
            job.dir = s.dir;
            job.version = p.version;
            job.pushed_digest = p.pushed_digest;
            job.since = since;
            // A rollback taking over, or another replica, cancels it through running_.
            auto ran = co_await running_.run(steps_, std::move(job), id);
            if (!ran) co_return;
            done = std::move(*ran);
        }
        ended.succeeded = done.succeeded;
        ended.summary = done.summary;
        ended.digest = done.digest;
        ended.tail = done.tail;
        // Output to the store; the tail to the request's thread.
        const auto stored = stored_output(index, done.lines);
        const auto channel = p.channel;
        const auto title = "Step " + std::to_string(index + 1) + " (" + s.name + "): " + ended.summary;
        const auto tail_message = code_tail(title, ended.tail);
        const auto t = now();
        auto save = [&](store_session& st) {
            st.append_step_output(id, stored, t);
            effects fx;
            fx.reply(channel, promotion_message_key(id), tail_message);
            fx.apply(st, t);
        };
        std::function<void(store_session&)> unit = save;
        co_await store_.write(unit);
    }
    {
        const auto cal = co_await freeze_.calendar();
        ended.frozen = environment == "prod" && cal.status_at(now()).frozen;
    }
    promotion_event step_event = std::move(ended);
    const auto a = co_await apply(id, std::move(step_event), nullptr);
    carry_out(a);
}

// ---- start and timers --------------------------------------------------------------

asio::awaitable<void> promotion_service::feed_all(std::vector<std::string> states, promotion_event e) {
    auto in_states = [&states](const store_session& s) {
        std::vector<std::int64_t> out;
        for (const auto& p : s.promotions_in_states(states)) out.push_back(p.id);
        return out;
    };
    auto ids = co_await read(store_, in_states);
    for (const auto id : ids) {
        try {
            promotion_event copy = e;
            const auto a = co_await apply(id, std::move(copy), nullptr);
            carry_out(a);
        } catch (const std::exception& x) {
            spdlog::error("promotion #{}: {}", id, x.what());
        }
    }
}

asio::awaitable<void> promotion_service::resume() {
    if (!options_.leases) {
        std::vector<std::string> states{"checking",  "blocked",   "awaiting_signoffs", "ready",
                                        "pre_deploy", "deploying", "verifying",         "awaiting_apply"};
        promotion_event restarted = event::restarted{};
        co_await feed_all(std::move(states), std::move(restarted));
        co_return;
    }
    // Only requests with work in a process can have been left by a dead one.
    auto in_states = [](const store_session& s) {
        std::vector<std::int64_t> out;
        for (const auto& p : s.promotions_in_states({"checking", "pre_deploy", "deploying", "verifying"}))
            out.push_back(p.id);
        return out;
    };
    auto ids = co_await read(store_, in_states);
    auto restart = [this](std::int64_t id, std::function<bool(store_session&)> take) -> asio::awaitable<bool> {
        promotion_event restarted = event::restarted{};
        const auto a = co_await apply(id, std::move(restarted), nullptr, std::move(take));
        carry_out(a);
        co_return a.p.has_value();
    };
    // Named before co_await: g++ 12 mishandles owning temporaries inside a co_await expression.
    const std::function<std::string(std::int64_t)> lease_of = promotion_lease;
    const std::function<asio::awaitable<bool>(std::int64_t, std::function<bool(store_session&)>)> restart_one = restart;
    co_await options_.leases->take_over(ids, lease_of, restart_one);
}

asio::awaitable<void> promotion_service::run_timers() {
    while (!stopping_) {
        tick_timer_.expires_after(options_.tick_interval);
        boost::system::error_code ignored;
        co_await tick_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        if (stopping_) break;
        std::vector<std::string> open{"checking", "blocked", "awaiting_signoffs", "ready"};
        promotion_event tick = event::tick{};
        co_await feed_all(std::move(open), std::move(tick));
    }
}

void promotion_service::stop() {
    stopping_ = true;
    steps_.stop();
    tick_timer_.cancel();
}

}  // namespace promotebot::bot
