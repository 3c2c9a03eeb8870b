// libFuzzer target for the slash command, interactive and view submission
// payload decoders,
// on JSON parsed the way everything off the wire is (parse_bounded): they
// never throw, and what they return carries the fields handlers rely on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

// Compiled into this target so that libFuzzer's instrumentation sees their branches.
#include "integrations/net/bounded_json.cpp"  // NOLINT(bugprone-suspicious-include)
#include "integrations/slack/inbound.cpp"     // NOLINT(bugprone-suspicious-include)

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto parsed = promotebot::net::parse_bounded(input);
    if (!parsed.ok()) {
        require(parsed.value.is_discarded());
        return 0;
    }
    require(promotebot::net::json_depth(input, 1000) <= 64);
    try {
        if (const auto c = promotebot::slack::slash_command_of(parsed.value)) {
            require(!c->command.empty());
            require(!c->user_id.empty());
        }
        const auto presses = promotebot::slack::button_presses_of(parsed.value);
        for (const auto& p : presses) require(!p.user_id.empty());
        if (!presses.empty()) {
            require(parsed.value.is_object());
            require(parsed.value.at("actions").is_array() && parsed.value.at("actions").size() == presses.size());
        }
        if (const auto s = promotebot::slack::form_submission_of(parsed.value)) {
            using limits = promotebot::slack::form_submission_limits;
            require(presses.empty());
            require(!s->user_id.empty() && s->user_id.size() <= limits::max_id);
            require(!s->callback_id.empty() && s->callback_id.size() <= limits::max_id);
            require(!s->view_id.empty() && s->view_id.size() <= limits::max_id);
            require(s->private_metadata.size() <= limits::max_private_metadata);
            require(s->values.size() <= limits::max_values);
            for (const auto& [id, value] : s->values) {
                require(!id.empty() && id.size() <= limits::max_id);
                require(value.size() <= limits::max_value);
            }
        }
        if (const auto h = promotebot::slack::home_opened_of(parsed.value)) {
            require(presses.empty());
            require(promotebot::commands::is_slack_id(promotebot::commands::mention_kind::user, h->user_id));
        }
    } catch (...) {
        std::abort();  // the decoders never throw
    }
    return 0;
}
