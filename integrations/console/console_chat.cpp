#include "integrations/console/console_chat.hpp"

namespace promotebot::console {

using bot::delivery_result;

boost::asio::awaitable<delivery_result> console_chat::post(const std::string& channel, const commands::message& m,
                                                           std::int64_t) {
    const auto ts = "console." + std::to_string(++messages_);
    // A post to a user ID is Slack's direct message from the app.
    if (commands::is_slack_id(commands::mention_kind::user, channel))
        out_ << "── direct message to @" << channel << " ──\n";
    else
        out_ << "── posted in #" << channel << " ──\n";
    show(m, channel, ts, false);
    co_return delivery_result{delivery_result::outcome::delivered, ts, {}, {}};
}

// A terminal never loses an answer: nothing is ever in doubt here.
boost::asio::awaitable<bot::lookup_result> console_chat::find_post(const std::string&, std::int64_t,
                                                                   std::chrono::sys_seconds) {
    co_return bot::lookup_result{bot::lookup_result::outcome::absent, {}, {}};
}

boost::asio::awaitable<delivery_result> console_chat::update(const std::string& channel, const std::string& ts,
                                                             const commands::message& m) {
    out_ << "── updated " << ts << " in #" << channel << " ──\n";
    show(m, channel, ts, false);
    co_return delivery_result{delivery_result::outcome::delivered, ts, {}, {}};
}

boost::asio::awaitable<delivery_result> console_chat::reply(const std::string& channel, const std::string& thread_ts,
                                                            const commands::message& m) {
    out_ << "  ↳ in the thread of " << thread_ts << ":\n";
    show(m, channel, "", false);
    co_return delivery_result{delivery_result::outcome::delivered, thread_ts + ".reply", {}, {}};
}

boost::asio::awaitable<delivery_result> console_chat::ephemeral(const std::string& channel, const std::string&,
                                                                const commands::message& m) {
    show(m, channel, "", true);
    co_return delivery_result{};
}

boost::asio::awaitable<delivery_result> console_chat::respond(const std::string&, const std::string& channel,
                                                              const std::string&, bool in_channel,
                                                              const commands::message& m) {
    show(m, channel, "", !in_channel);
    co_return delivery_result{};
}

boost::asio::awaitable<delivery_result> console_chat::open_form(const std::string&, const commands::form& f) {
    if (auto defect = commands::form_defect(f))
        co_return delivery_result{delivery_result::outcome::rejected, {}, "form " + f.callback_id + ": " + *defect, {}};
    const auto view_id = "console.form." + std::to_string(++forms_);
    pending_ = pending_form{f, view_id};
    co_return delivery_result{delivery_result::outcome::delivered, view_id, {}, {}};
}

boost::asio::awaitable<delivery_result> console_chat::publish_home(const std::string& user_id,
                                                                   const commands::message& m) {
    out_ << "── Home tab of @" << terminal_text(user_id, false) << " ──\n";
    show(m, "", "", false);
    co_return delivery_result{};
}

std::optional<pending_form> console_chat::take_pending_form() {
    auto out = std::move(pending_);
    pending_.reset();
    return out;
}

const shown_button* console_chat::button(int n) const {
    return n >= 1 && n <= static_cast<int>(buttons_.size()) ? &buttons_[static_cast<std::size_t>(n - 1)] : nullptr;
}

void console_chat::show(const commands::message& m, const std::string& channel, const std::string& ts,
                        bool ephemeral) {
    const int first = static_cast<int>(buttons_.size()) + 1;
    out_ << render_text(m, first, ephemeral) << "\n";
    for (const auto& b : m.buttons) buttons_.push_back({b, channel, ts});
    out_.flush();
}

}  // namespace promotebot::console
