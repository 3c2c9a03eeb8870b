#pragma once
// Our own error category for Slack failures; Slack's error string stays the diagnostic.
#include <string>
#include <system_error>

#include <boost/system/error_code.hpp>

namespace promotebot::slack {

enum class slack_errc {
    ok_false = 1,        // {"ok":false,"error":"..."}: see api_result::error
    rate_limited,        // HTTP 429 or error "ratelimited", retries exhausted
    server_error,        // HTTP 5xx, retries exhausted
    bad_response,        // not JSON, or an unexpected shape
    fatal_auth,          // invalid_auth, not_authed, account_inactive, token_revoked
    link_disabled,       // Socket Mode disabled for the app
    timeout,
};

const boost::system::error_category& slack_category();
boost::system::error_code make_error_code(slack_errc e);
// True for Slack's error strings that no retry can fix.
bool is_fatal_auth_error(const std::string& slack_error);

}  // namespace promotebot::slack

template <>
struct boost::system::is_error_code_enum<promotebot::slack::slack_errc> : std::true_type {};
