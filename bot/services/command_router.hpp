#pragma once
// Runs what people do: parse, check the role, hand the action to the service
// that owns it. The same router serves Slack and the console; only the
// adapters differ. Every outcome, answers included, leaves through the outbox.
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "bot/config/config.hpp"
#include "bot/ports/chat_port.hpp"
#include "bot/ports/store.hpp"
#include "bot/services/freeze_service.hpp"
#include "bot/services/promotion_service.hpp"
#include "bot/services/role_resolver.hpp"
#include "bot/services/rollback_service.hpp"
#include "commands/access/roles.hpp"
#include "commands/message/form.hpp"
#include "commands/message/inbound.hpp"

namespace promotebot::bot {

class command_router {
public:
    command_router(const config& cfg, store& st, role_resolver& roles, freeze_service& freeze, wall_clock now);

    // Pure: the answer that can travel in the envelope's ack (help and
    // malformed commands need no I/O), if any.
    static std::optional<commands::reply> immediate_reply(const commands::slash_command& c);

    // `inbox_key`: the inbox entry this command came from, marked done with
    // its outcome. `answered_in_ack`: the immediate reply already reached the person.
    boost::asio::awaitable<void> on_command(commands::slash_command c, std::string inbox_key = {},
                                            bool answered_in_ack = false);
    boost::asio::awaitable<void> on_button(commands::button_press b, std::string inbox_key = {});
    // A submitted form, routed by its callback_id to the service that
    // opened it. One no service owns is refused: audited, and the person is
    // told in a direct message (a submission carries no channel).
    boost::asio::awaitable<void> on_form(commands::form_submission s, std::string inbox_key = {});

    // Pure and quick (it runs before the ack, within Slack's 3 s): the
    // errors that keep a submitted form open, by field ID, or nullopt to take
    // it. A form it refuses is not handed to on_form when the errors reached
    // the person (Slack's ack carried them); services that own forms add
    // their checks here by callback_id. None yet.
    [[nodiscard]] std::optional<commands::form_errors> validate_form(const commands::form_submission& s) const;

    // When handling fails (the store is locked or down), nothing was
    // committed, so the answer cannot go through the outbox either: the
    // person gets a short message through `chat` directly, the details go
    // to the log. Without it the failure is only logged.
    void answer_failures_through(chat_port& chat) { direct_ = &chat; }
    // /promote and the buttons and forms of its requests; `forms` opens the request form.
    void serve_promotions(promotion_service& promotions, chat_port& forms) {
        promotions_ = &promotions;
        forms_ = &forms;
    }
    // /rollback, the buttons of its messages, and the Roll back button of a failed promotion.
    void serve_rollbacks(rollback_service& rollbacks) { rollbacks_ = &rollbacks; }
    static commands::message failure_message();

private:
    boost::asio::awaitable<void> handle_command(commands::slash_command c, std::string inbox_key,
                                                bool answered_in_ack);
    boost::asio::awaitable<void> handle_button(commands::button_press b, std::string inbox_key);
    boost::asio::awaitable<void> handle_form(commands::form_submission s, std::string inbox_key);
    boost::asio::awaitable<void> answer_failure(const reply_target& who, const std::string& what,
                                                const std::string& why);

    // Records and answers a refusal in `ctx` when the user may not do `a`.
    boost::asio::awaitable<bool> allowed(action_context& ctx, commands::action a);
    [[nodiscard]] sys_seconds now() const;

    const config& cfg_;
    commands::permission_table permissions_;
    store& store_;
    role_resolver& roles_;
    freeze_service& freeze_;
    wall_clock clock_;
    chat_port* direct_ = nullptr;
    promotion_service* promotions_ = nullptr;
    chat_port* forms_ = nullptr;
    rollback_service* rollbacks_ = nullptr;
};

}  // namespace promotebot::bot
