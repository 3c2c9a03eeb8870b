#include "integrations/slack/slack_error.hpp"

#include <array>
#include <string_view>

namespace promotebot::slack {
namespace {

class slack_error_category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "slack"; }

    std::string message(int ev) const override {
        switch (static_cast<slack_errc>(ev)) {
            case slack_errc::ok_false: return "Slack answered ok:false";
            case slack_errc::rate_limited: return "Slack rate limit: retries exhausted";
            case slack_errc::server_error: return "Slack server error: retries exhausted";
            case slack_errc::bad_response: return "Slack response was not the expected JSON";
            case slack_errc::fatal_auth: return "Slack refused the token";
            case slack_errc::link_disabled: return "Socket Mode is disabled for the app";
            case slack_errc::timeout: return "Slack did not answer in time";
        }
        return "unknown Slack error";
    }
};

}  // namespace

const boost::system::error_category& slack_category() {
    static const slack_error_category category;
    return category;
}

boost::system::error_code make_error_code(slack_errc e) { return {static_cast<int>(e), slack_category()}; }

bool is_fatal_auth_error(const std::string& slack_error) {
    static constexpr std::array<std::string_view, 4> fatal{"invalid_auth", "not_authed", "account_inactive",
                                                           "token_revoked"};
    for (auto f : fatal) {
        if (slack_error == f) return true;
    }
    return false;
}

}  // namespace promotebot::slack
