#pragma once
// The console's chat adapter: prints every delivered message as text and
// numbers its buttons so `click N` can press them. A terminal has no
// triggers: an opened form is kept as pending until the console mode takes
// it and prompts for its fields (console_form.hpp).
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "bot/ports/chat_port.hpp"
#include "integrations/console/console_render.hpp"

namespace promotebot::console {

// A form waiting to be filled in, with the view ID its submission carries.
struct pending_form {
    commands::form form;
    std::string view_id;  // "console.form.<n>"
};

struct shown_button {
    commands::button button;
    std::string channel;
    std::string ts;
};

class console_chat : public bot::chat_port {
public:
    explicit console_chat(std::ostream& out) : out_(out) {}

    boost::asio::awaitable<bot::delivery_result> post(const std::string& channel, const commands::message& m,
                                                      std::int64_t outbox_id) override;
    boost::asio::awaitable<bot::lookup_result> find_post(const std::string& channel, std::int64_t outbox_id,
                                                         std::chrono::sys_seconds since) override;
    boost::asio::awaitable<bot::delivery_result> reply(const std::string& channel, const std::string& thread_ts,
                                                       const commands::message& m) override;
    boost::asio::awaitable<bot::delivery_result> update(const std::string& channel, const std::string& ts,
                                                        const commands::message& m) override;
    boost::asio::awaitable<bot::delivery_result> ephemeral(const std::string& channel, const std::string& user,
                                                           const commands::message& m) override;
    boost::asio::awaitable<bot::delivery_result> respond(const std::string& response_url, const std::string& channel,
                                                         const std::string& user, bool in_channel,
                                                         const commands::message& m) override;
    // Keeps the form as pending (replacing one not yet taken); the trigger is ignored.
    boost::asio::awaitable<bot::delivery_result> open_form(const std::string& trigger_id,
                                                           const commands::form& f) override;
    // Prints the Home tab like a message, under a line naming whose it is.
    boost::asio::awaitable<bot::delivery_result> publish_home(const std::string& user_id,
                                                              const commands::message& m) override;

    // The form opened last and not yet taken, once.
    std::optional<pending_form> take_pending_form();

    // Button [n] as numbered on screen; nullptr when there is none.
    [[nodiscard]] const shown_button* button(int n) const;

private:
    void show(const commands::message& m, const std::string& channel, const std::string& ts, bool ephemeral);

    std::ostream& out_;
    std::vector<shown_button> buttons_;
    int messages_ = 0;
    int forms_ = 0;
    std::optional<pending_form> pending_;
};

}  // namespace promotebot::console
