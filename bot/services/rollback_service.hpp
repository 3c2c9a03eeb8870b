#pragma once
// /rollback: proposes the rollback with everything a tired on-call engineer
// needs to decide (what runs now, what it goes back to and when that last
// ran, the steps, whether a deploy will be cancelled), runs it after the
// confirmed Roll back, and reports every step. The state machine in
// commands/rollback decides; this service gathers the facts (the running
// image, the registry's tags, the deployment history, the versions marked
// bad, the deploy lock, the freeze) and commits each transition
// (compare-and-set on the row version) together with its audit records, the
// lock, the deployment record, the bad mark, the cancelled promotion and the
// messages in one store transaction. Steps start only after that commit; a
// rollback running when the process stops is reported interrupted on the
// next start and never re-run.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <date/tz.h>

#include "bot/config/config.hpp"
#include "bot/ports/process_runner.hpp"
#include "bot/ports/store.hpp"
#include "bot/services/freeze_service.hpp"
#include "bot/services/promotion_service.hpp"
#include "bot/services/step_executor.hpp"
#include "bot/services/workflow_support.hpp"
#include "commands/promotion/tool_output.hpp"
#include "commands/rollback/rollback.hpp"
#include "commands/rollback/rollback_view.hpp"

namespace promotebot::bot {

// Where the facts about the running system come from.
class rollback_facts {
public:
    virtual ~rollback_facts() = default;
    // The image tag the environment's cronjob runs now.
    virtual boost::asio::awaitable<commands::tool_result<std::string>> running_version(const std::string& environment) = 0;
    // The image's tags in the registry, newest first.
    virtual boost::asio::awaitable<commands::tool_result<std::vector<commands::registry_tag>>> registry_tags(
        const std::string& environment) = 0;
};

// The real sources: promotion.soak.running_image (and .container) run
// against the environment's kube_context, and rollback.registry_tags.
std::shared_ptr<rollback_facts> make_command_facts(const config& cfg, process_runner& runner,
                                                   const commands::redactor& redact);
// The console's demonstration profile: the environment runs the version of
// its newest successful deployment in the store (v1.2.3 before any), and the
// registry holds v1.2.3, v1.2.2, v1.2.1 and v1.2.0.
std::shared_ptr<rollback_facts> make_demo_facts(store& st, std::function<std::chrono::system_clock::time_point()> now);

class rollback_service {
public:
    rollback_service(boost::asio::any_io_executor ex, const config& cfg, store& st, freeze_service& freeze,
                     process_runner& runner, std::shared_ptr<rollback_facts> facts, promotion_service& promotions,
                     const commands::redactor& redact, wall_clock now, promotion_options options = {});

    // /rollback typed: posts the proposal in the channel, or tells the person
    // why there is none. Anyone may propose (it changes nothing); the roles
    // in rollback.confirmers confirm.
    boost::asio::awaitable<void> propose(action_context ctx, commands::rollback_request r);
    // The Roll back button of a failed or interrupted promotion: proposes
    // going back to the version that ran before it.
    boost::asio::awaitable<void> propose_after(action_context ctx, std::int64_t promotion_id);
    // A button of a rollback's message.
    boost::asio::awaitable<void> press(action_context ctx, commands::rollback_button b, commands::role_set roles);

    // At start: a rollback that was running is marked interrupted.
    boost::asio::awaitable<void> resume();
    // Expires proposals nobody confirmed; runs until stop().
    boost::asio::awaitable<void> run_timers();
    void stop();
    [[nodiscard]] int busy() const { return busy_; }

private:
    struct applied {
        std::optional<commands::rollback> r;
        std::vector<commands::rollback_effect> effects;
        std::vector<promotion_service::applied> promotions;  // taken over: started after the commit
    };

    // `precondition`, when given, runs first in the unit of work: false leaves everything as it was.
    boost::asio::awaitable<applied> apply(std::int64_t id, commands::rollback_event e, action_context* ctx,
                                          std::function<bool(store_session&)> precondition = {});
    void carry_out(const applied& a);
    boost::asio::awaitable<void> step(std::int64_t id, int index, commands::rollback r);
    boost::asio::awaitable<void> feed_all(std::vector<std::string> states, commands::rollback_event e);
    void spawn(boost::asio::awaitable<void> task, std::string what);
    [[nodiscard]] sys_seconds now() const;
    [[nodiscard]] commands::rollback_policy policy(const std::string& environment) const;

    boost::asio::any_io_executor ex_;
    const config& cfg_;
    store& store_;
    freeze_service& freeze_;
    std::shared_ptr<rollback_facts> facts_;
    promotion_service& promotions_;
    const commands::redactor& redactor_;
    wall_clock clock_;
    promotion_options options_;
    const date::time_zone* zone_;
    std::map<std::string, commands::rollback_policy> policies_;
    step_executor steps_;
    int busy_ = 0;
    local_steps running_;
    bool stopping_ = false;
    boost::asio::steady_timer tick_timer_;
};

// The key of a rollback's channel message in the outbox.
std::string rollback_message_key(std::int64_t id);
// The lease its steps run under.
std::string rollback_lease(std::int64_t id);

}  // namespace promotebot::bot
