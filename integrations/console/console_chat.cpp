#include "integrations/console/console_chat.hpp"

namespace promotebot::console {

boost::asio::awaitable<void> console_chat::reply(const bot::reply_target& to, const commands::reply& r) {
    show(r.body, to.channel_id, "", r.audience == commands::visibility::ephemeral);
    co_return;
}

boost::asio::awaitable<std::string> console_chat::post(const std::string& channel, const commands::message& m) {
    const auto ts = "console." + std::to_string(++messages_);
    out_ << "── posted in #" << channel << " ──\n";
    show(m, channel, ts, false);
    co_return ts;
}

boost::asio::awaitable<void> console_chat::update(const std::string& channel, const std::string& ts,
                                                  const commands::message& m) {
    out_ << "── updated " << ts << " in #" << channel << " ──\n";
    show(m, channel, ts, false);
    co_return;
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
