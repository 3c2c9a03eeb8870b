#pragma once
// What handling one action leaves behind besides a state change: its audit
// records and the messages it causes. They are committed in the same
// transaction as the change, and with the inbox entry of the action that
// caused them marked done, so a crash either keeps all of it or none of it
// (and then the action is handled again from the inbox).
#include <string>
#include <vector>

#include "bot/ports/store.hpp"
#include "commands/message/message.hpp"

namespace promotebot::bot {

// The person who acted, and how to answer them.
struct reply_target {
    std::string user_id;
    std::string channel_id;
    std::string response_url;  // Slack only
};

struct effects {
    std::vector<audit_entry> audit;
    std::vector<outbox_message> messages;

    void record(std::string actor, std::string action, std::string subject, std::string outcome,
                nlohmann::json detail = nlohmann::json::object()) {
        audit.push_back({std::move(actor), std::move(action), std::move(subject), std::move(outcome),
                         std::move(detail)});
    }

    // Answers the person who acted: through the response URL when there is
    // one, else as an ephemeral (or a post, for an in-channel answer).
    void answer(const reply_target& to, commands::reply r) {
        outbox_message m;
        m.channel = to.channel_id;
        m.user = to.user_id;
        m.body = std::move(r.body);
        m.in_channel = r.audience == commands::visibility::in_channel;
        if (!to.response_url.empty()) {
            m.kind = outbox_kind::response_url;
            m.response_url = to.response_url;
        } else {
            m.kind = m.in_channel ? outbox_kind::post : outbox_kind::ephemeral;
        }
        messages.push_back(std::move(m));
    }

    void post(std::string channel, commands::message body, std::string message_key = {}) {
        to_channel(outbox_kind::post, std::move(channel), std::move(message_key), std::move(body));
    }

    // Replaces the post with this key (the newest pending update stands for older ones).
    void update(std::string channel, std::string message_key, commands::message body) {
        to_channel(outbox_kind::update, std::move(channel), std::move(message_key), std::move(body));
    }

    // A reply in the thread of the post with this key.
    void reply(std::string channel, std::string message_key, commands::message body) {
        to_channel(outbox_kind::reply, std::move(channel), std::move(message_key), std::move(body));
    }

    void to_channel(outbox_kind kind, std::string channel, std::string message_key, commands::message body) {
        outbox_message m;
        m.kind = kind;
        m.channel = std::move(channel);
        m.message_key = std::move(message_key);
        m.body = std::move(body);
        messages.push_back(std::move(m));
    }

    // Writes the records and queues the messages (inside a unit of work);
    // marks the inbox entry done when there is one.
    void apply(store_session& s, sys_seconds now, const std::string& inbox_key = {}) const {
        for (const auto& a : audit) s.append_audit(a, now);
        for (const auto& m : messages) s.enqueue_outbox(m, now);
        if (!inbox_key.empty()) s.mark_inbound_done(inbox_key, now);
    }
};

}  // namespace promotebot::bot
