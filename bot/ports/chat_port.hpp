#pragma once
// Where the outbox delivers messages: Slack (Web API and response_url) or the
// console. Each call reports what is known about the delivery, so the outbox
// can tell a message that surely did not go out (send it again) from one that
// may have (look it up before sending it again). Forms are opened directly,
// not through the outbox: a trigger is valid for 3 s and used once, and
// opening a form changes nothing that would need to survive a crash. The Home
// tab is published directly too (publish_home).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "commands/message/form.hpp"
#include "commands/message/message.hpp"

namespace promotebot::bot {

struct delivery_result {
    enum class outcome {
        delivered,  // the platform took it
        not_sent,   // it provably never left: try again later
        maybe_sent, // it may have arrived: reconcile before trying again
        rejected,   // the platform refused it for good (unknown channel, bad payload)
    };
    outcome what = outcome::delivered;
    std::string ts;     // delivered posts: the message's timestamp (its ID)
    std::string error;  // why, for the log
    std::optional<std::chrono::seconds> retry_after;  // rate limited: not before this

    [[nodiscard]] bool ok() const { return what == outcome::delivered; }
};

// What a lookup of an earlier, unanswered post found.
struct lookup_result {
    enum class outcome { found, absent, unknown } what = outcome::unknown;
    std::string ts;     // found: the post's timestamp
    std::string error;  // unknown: why the lookup failed
};

class chat_port {
public:
    virtual ~chat_port() = default;
    // Posts to a channel, tagged with the outbox row's ID so the post can be found again.
    virtual boost::asio::awaitable<delivery_result> post(const std::string& channel, const commands::message& m,
                                                         std::int64_t outbox_id) = 0;
    // Finds the post tagged with `outbox_id` sent to `channel` at or after `since`.
    virtual boost::asio::awaitable<lookup_result> find_post(const std::string& channel, std::int64_t outbox_id,
                                                            std::chrono::sys_seconds since) = 0;
    // Replaces a posted message.
    virtual boost::asio::awaitable<delivery_result> update(const std::string& channel, const std::string& ts,
                                                           const commands::message& m) = 0;
    // Replies in the thread of the post with timestamp `thread_ts`.
    virtual boost::asio::awaitable<delivery_result> reply(const std::string& channel, const std::string& thread_ts,
                                                          const commands::message& m) = 0;
    // Shows a message to one user in a channel.
    virtual boost::asio::awaitable<delivery_result> ephemeral(const std::string& channel, const std::string& user,
                                                              const commands::message& m) = 0;
    // Answers the person who acted through the response URL of their action;
    // falls back to an ephemeral (or a post when `in_channel`) when the URL is
    // refused or has expired.
    virtual boost::asio::awaitable<delivery_result> respond(const std::string& response_url,
                                                            const std::string& channel, const std::string& user,
                                                            bool in_channel, const commands::message& m) = 0;
    // Shows a form to the person whose action gave `trigger_id` (a slash
    // command's or a button press's; Slack accepts it once, within 3 s).
    // delivered: it is shown, `ts` holds the view's ID. rejected: refused
    // for good (an expired or used trigger, a form with a form_defect());
    // maybe_sent: no answer, it may be on screen. Never sent twice. The
    // answers come back as a form_submission with the form's callback_id.
    virtual boost::asio::awaitable<delivery_result> open_form(const std::string& trigger_id,
                                                              const commands::form& f) = 0;
    // Replaces what `user_id` sees in the app's Home tab with `m`. Not
    // through the outbox: the tab shows the current state, so a newer view
    // replaces an older one and a lost one is published again the next time
    // the tab is opened. delivered, rejected (for good) or not/maybe sent.
    virtual boost::asio::awaitable<delivery_result> publish_home(const std::string& user_id,
                                                                 const commands::message& m) = 0;
};

}  // namespace promotebot::bot
