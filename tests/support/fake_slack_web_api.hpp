#pragma once
// Web API client settings that reach a fake Slack: its URL, its tokens, its CA.
#include <chrono>

#include "integrations/slack/web_api.hpp"
#include "tests/fake_slack/fake_slack.hpp"

namespace promotebot::testing {

// Short backoff and timeout, so retry tests stay fast.
inline slack::web_api_options web_api_options_for(const fake_slack& fake) {
    slack::web_api_options o;
    o.base_url = fake.api_url();
    o.bot_token = fake.options().bot_token;
    o.app_token = fake.options().app_token;
    o.ca_file = fake.ca_file();
    o.backoff_base = std::chrono::milliseconds(20);
    o.timeout = std::chrono::seconds(5);
    return o;
}

}  // namespace promotebot::testing
