#pragma once
// /promote: opens a request from the modal's answers, runs its gates
// concurrently (each with a timeout), takes sign-offs and button presses,
// runs the deployment steps and reports every one of them. The state machine
// in commands/promotion decides; this service loads the request, feeds the
// machine, and commits each transition (compare-and-set on the row version)
// together with its audit records, its deploy lock and record changes and its
// messages in one store transaction. Only then does it start what the
// transition asked for (gate checks, a step), so a crash never runs a step
// that was not recorded as started, and a step recorded as started is
// reported as interrupted, never re-run.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <date/tz.h>

#include "bot/config/config.hpp"
#include "bot/ports/chat_port.hpp"
#include "bot/ports/gate_checker.hpp"
#include "bot/ports/process_runner.hpp"
#include "bot/ports/store.hpp"
#include "bot/services/freeze_service.hpp"
#include "bot/services/step_executor.hpp"
#include "bot/services/workflow_support.hpp"
#include "commands/message/form.hpp"
#include "commands/promotion/promotion.hpp"
#include "commands/promotion/promotion_view.hpp"
#include "commands/promotion/redactor.hpp"

namespace promotebot::bot {

class lease_keeper;

struct promotion_options {
    // Steps print their argv instead of running (`--dry-run`, the console's
    // demonstration profile): every step succeeds without reading tool output.
    bool dry_run = false;
    // How often open requests are looked at for expiry (run_timers).
    std::chrono::seconds tick_interval{60};
    // Several replicas on one store: gate checks and steps run under a lease,
    // and work a dead replica left is taken over (see lease_keeper). Without
    // it, resume() takes over everything open, as a single process does.
    lease_keeper* leases = nullptr;
};

class promotion_service {
public:
    // `checkers`: the gates answered by outside systems or commands, by gate
    // ID. The freeze gate is answered from the calendar here. A gate of the
    // policy without a checker answers unknown.
    promotion_service(boost::asio::any_io_executor ex, const config& cfg, store& st, freeze_service& freeze,
                      process_runner& runner, std::map<std::string, std::shared_ptr<gate_checker>> checkers,
                      const commands::redactor& redact, wall_clock now, promotion_options options = {});

    // The form a /promote opens: pre-filled from the command's text.
    commands::form request_form(const commands::promote_request& r, const std::string& channel) const;
    // Checks a submitted form (pure: Slack shows the errors in the modal).
    static commands::form_errors validate(const commands::form_submission& s, const config& cfg);

    // /promote typed: refuses what cannot be requested here, else opens the form.
    boost::asio::awaitable<void> request(action_context ctx, commands::promote_request r, std::string trigger_id,
                                         chat_port& chat);
    // The form came back: opens the request and posts its message.
    boost::asio::awaitable<void> submit(action_context ctx, commands::form_submission s);
    // A button of a request's message; `trigger_id` and `chat` open the edit form.
    boost::asio::awaitable<void> press(action_context ctx, commands::promotion_button b, commands::role_set roles,
                                       std::string trigger_id, chat_port& chat);
    // The edit form came back: new Change Records or rollback plan (approvals bound to the old ones are void).
    boost::asio::awaitable<void> submit_edit(action_context ctx, commands::form_submission s);

    // At start: requests the last run left open are resumed (their gates are
    // asked again), a deploy that was running is marked interrupted. With
    // leases, only work whose lease ended (its replica died) or that an earlier
    // run of this replica held; the lease keeper calls it again every half lease.
    boost::asio::awaitable<void> resume();
    // Expires approvals and stale requests; runs until stop().
    boost::asio::awaitable<void> run_timers();
    void stop();

    // Gate checks and steps still running (the console waits for them).
    [[nodiscard]] int busy() const { return busy_; }
    [[nodiscard]] const commands::redactor& redactor() const { return redactor_; }

    // What a transition committed and what it asks to start afterwards.
    struct applied {
        std::optional<commands::promotion> p;
        std::vector<commands::promotion_effect> effects;
    };
    // Feeds `e` to promotion `id` inside the caller's unit of work (a
    // rollback taking over a deploy commits the promotion's end with its own
    // confirm): saves the promotion (compare-and-set; a conflict throws and
    // undoes the unit), adds its audit records and messages to `fx`, and
    // answers what to start once the unit has committed (carry_out).
    applied apply_in(store_session& s, std::int64_t id, const commands::promotion_event& e,
                     const action_context* ctx, effects& fx, sys_seconds t);
    // Starts what a committed transition asked for: gate checks, a step, or
    // the cancellation of the running step.
    void carry_out(const applied& a);

private:

    // Feeds `e` to every request in one of `states` (restart, ticks).
    boost::asio::awaitable<void> feed_all(std::vector<std::string> states, commands::promotion_event e);
    // `precondition`, when given, runs first in the unit of work: false leaves everything as it was.
    boost::asio::awaitable<applied> apply(std::int64_t id, commands::promotion_event e, action_context* ctx,
                                          std::function<bool(store_session&)> precondition = {});
    void run_gates(std::int64_t id, int round, const commands::promotion& p);
    boost::asio::awaitable<void> check_gate(std::int64_t id, int round, std::string gate_id, gate_subject subject);
    boost::asio::awaitable<commands::gate_result> freeze_gate(const std::string& environment);
    void run_step(std::int64_t id, int index, const commands::promotion& p);
    boost::asio::awaitable<void> step(std::int64_t id, int index, commands::promotion p);
    void spawn(boost::asio::awaitable<void> task, std::string what);

    [[nodiscard]] sys_seconds now() const;
    [[nodiscard]] commands::promotion_policy policy(const std::string& environment) const;
    [[nodiscard]] std::map<std::string, std::string> values_for(const commands::promotion& p,
                                                                const std::string& environment) const;

    boost::asio::any_io_executor ex_;
    const config& cfg_;
    store& store_;
    freeze_service& freeze_;
    process_runner& runner_;
    std::map<std::string, std::shared_ptr<gate_checker>> checkers_;
    const commands::redactor& redactor_;
    wall_clock clock_;
    promotion_options options_;
    const date::time_zone* zone_;
    std::map<std::string, commands::promotion_policy> policies_;
    step_executor steps_;
    // The cancellation of each promotion's running step, by promotion ID.
    local_steps running_;
    int busy_ = 0;
    bool stopping_ = false;
    boost::asio::steady_timer tick_timer_;
};

// The key of a request's channel message in the outbox.
std::string promotion_message_key(std::int64_t id);
// The lease its gate checks and steps run under.
std::string promotion_lease(std::int64_t id);

}  // namespace promotebot::bot
