// libFuzzer target for the Socket Mode frame decoder: whatever text arrives
// on an open link, the session never throws, every action it answers is
// well-formed, and unless Slack said link_disabled the link still acks a
// good envelope afterwards.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

// Compiled into this target so that libFuzzer's instrumentation sees their
// branches (the libraries are built without -fsanitize=fuzzer).
#include "integrations/net/backoff.cpp"               // NOLINT(bugprone-suspicious-include)
#include "integrations/net/bounded_json.cpp"          // NOLINT(bugprone-suspicious-include)
#include "integrations/slack/socket_mode_session.cpp"  // NOLINT(bugprone-suspicious-include)

namespace {

using namespace promotebot::slack;

void require(bool condition) {
    if (!condition) std::abort();
}

// Acks are JSON objects naming a non-empty envelope; a delivery follows the
// ack of the same envelope on the same link; logs have a level and a text.
void check(const actions& out, const socket_mode_session& s) {
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (const auto* t = std::get_if<action::send_text>(&out[i])) {
            require(s.state_of(t->id).has_value());
            const auto ack = nlohmann::json::parse(t->text, nullptr, false);
            require(ack.is_object());
            const auto id = ack.find("envelope_id");
            require(id != ack.end() && id->is_string() && !id->get<std::string>().empty());
        } else if (const auto* d = std::get_if<action::deliver>(&out[i])) {
            require(i > 0);
            const auto* ack = std::get_if<action::send_text>(&out[i - 1]);
            require(ack != nullptr && ack->id == d->env.link);
            require(!d->env.envelope_id.empty());
            require(d->env.payload.is_object());
            require(d->env.retry_attempt >= 0);
            // The inbox key the journal dedupes by.
            require(!envelope_identity(d->env).empty());
            require(nlohmann::json::parse(ack->text)["envelope_id"] == d->env.envelope_id);
        } else if (const auto* l = std::get_if<action::log>(&out[i])) {
            require(l->level >= 1 && l->level <= 4);
            require(!l->text.empty());
        } else if (const auto* f = std::get_if<action::fatal>(&out[i])) {
            require(!f->reason.empty() && !f->text.empty());
        }
    }
}

actions feed(socket_mode_session& s, link_id id, std::string_view text, steady_time now) {
    try {
        return s.on_frame(id, text, now);
    } catch (...) {
        std::abort();  // nothing may escape the frame handler
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto t0 = steady_time{} + std::chrono::hours(1);
    socket_mode_options options;
    options.connections = 1;
    options.random_seed = 1;
    socket_mode_session s(options, [](const envelope& e) -> std::optional<nlohmann::json> {
        return nlohmann::json{{"text", e.type}};
    });
    const auto opens = s.on_start(t0);
    const link_id id = std::get<action::open_link>(opens.back()).id;
    s.on_link_opened(id, t0);
    s.on_frame(id, R"({"type":"hello","num_connections":1})", t0);
    require(s.links_up() == 1);

    // The input as a frame, twice (a redelivery takes the duplicate path).
    check(feed(s, id, input, t0), s);
    check(feed(s, id, input, t0), s);
    if (s.stopping()) return 0;  // link_disabled: fatal by design
    const auto after = feed(s, id, R"({"envelope_id":"fuzz-sentinel","type":"events_api","payload":{}})", t0);
    check(after, s);
    bool acked = false;
    for (const auto& a : after)
        if (const auto* t = std::get_if<action::send_text>(&a)) acked = acked || t->id == id;
    require(acked);
    return 0;
}
