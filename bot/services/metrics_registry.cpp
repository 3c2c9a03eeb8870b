#include "bot/services/metrics_registry.hpp"

#include <charconv>
#include <cmath>

namespace promotebot::bot {

namespace {

constexpr auto relaxed = std::memory_order_relaxed;

// The bucket bounds in nanoseconds, so the ack path compares integers.
constexpr auto bounds_ns = [] {
    std::array<std::int64_t, metrics_registry::ack_latency_bounds.size()> out{};
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<std::int64_t>(metrics_registry::ack_latency_bounds[i] * 1e9 + 0.5);
    return out;
}();

void escape_into(std::string& out, std::string_view text, bool quotes) {
    for (const char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '"' && quotes) out += "\\\"";
        else out += c;
    }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    escape_into(out, value, true);
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    // Plain decimals ("0.0001", not "1e-04") where they stay short: bucket
    // bounds read as people write them; the shortest form otherwise.
    const double magnitude = std::fabs(value);
    const bool plain = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
    char buffer[64];
    const auto [end, ec] = plain ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
                                 : std::to_chars(buffer, buffer + sizeof buffer, value);
    return ec == std::errc{} ? std::string(buffer, end) : std::string("NaN");
}

void prometheus_text::family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    escape_into(out_, help, false);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

void prometheus_text::labels(std::initializer_list<label> labels) {
    if (labels.size() == 0) return;
    out_ += '{';
    bool first = true;
    for (const auto& [name, value] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += name;
        out_ += "=\"";
        escape_into(out_, value, true);
        out_ += '"';
    }
    out_ += '}';
}

void prometheus_text::sample(std::string_view name, std::initializer_list<label> labels, double value) {
    out_ += name;
    this->labels(labels);
    out_ += ' ';
    out_ += format_value(value);
    out_ += '\n';
}

void prometheus_text::sample(std::string_view name, std::initializer_list<label> labels, std::uint64_t value) {
    out_ += name;
    this->labels(labels);
    out_ += ' ';
    out_ += std::to_string(value);
    out_ += '\n';
}

void metrics_registry::envelope_received(envelope_type t) noexcept {
    received_[static_cast<std::size_t>(t)].fetch_add(1, relaxed);
}

void metrics_registry::envelope_acked(envelope_type t, std::chrono::nanoseconds latency) noexcept {
    const auto i = static_cast<std::size_t>(t);
    acked_[i].fetch_add(1, relaxed);
    auto& h = ack_latency_[i];
    const std::int64_t ns = latency.count() < 0 ? 0 : latency.count();
    std::size_t bucket = 0;
    while (bucket < bounds_ns.size() && ns > bounds_ns[bucket]) ++bucket;
    h.buckets[bucket].fetch_add(1, relaxed);
    h.sum_ns.fetch_add(static_cast<std::uint64_t>(ns), relaxed);
    h.count.fetch_add(1, relaxed);
}

void metrics_registry::link_reconnect(reconnect_reason r) noexcept {
    reconnects_[static_cast<std::size_t>(r)].fetch_add(1, relaxed);
}

void metrics_registry::web_api_request(web_api_method m, bool rate_limited) noexcept {
    const auto i = static_cast<std::size_t>(m);
    requests_[i].fetch_add(1, relaxed);
    if (rate_limited) rate_limited_[i].fetch_add(1, relaxed);
}

std::uint64_t metrics_registry::envelopes_received(envelope_type t) const {
    return received_[static_cast<std::size_t>(t)].load(relaxed);
}
std::uint64_t metrics_registry::envelopes_acked(envelope_type t) const {
    return acked_[static_cast<std::size_t>(t)].load(relaxed);
}
std::uint64_t metrics_registry::reconnects(reconnect_reason r) const {
    return reconnects_[static_cast<std::size_t>(r)].load(relaxed);
}
std::uint64_t metrics_registry::web_api_requests(web_api_method m) const {
    return requests_[static_cast<std::size_t>(m)].load(relaxed);
}
std::uint64_t metrics_registry::web_api_rate_limited(web_api_method m) const {
    return rate_limited_[static_cast<std::size_t>(m)].load(relaxed);
}

void metrics_registry::write(prometheus_text& out) const {
    out.family("promotebot_envelopes_received_total", "counter",
               "Socket Mode envelopes received, redeliveries included, by envelope type.");
    for (std::size_t i = 0; i < envelope_types; ++i)
        out.sample("promotebot_envelopes_received_total", {{"type", envelope_type_names[i]}},
                   received_[i].load(relaxed));
    out.family("promotebot_envelopes_acked_total", "counter", "Socket Mode acks written to a link, by envelope type.");
    for (std::size_t i = 0; i < envelope_types; ++i)
        out.sample("promotebot_envelopes_acked_total", {{"type", envelope_type_names[i]}}, acked_[i].load(relaxed));

    out.family("promotebot_ack_latency_seconds", "histogram",
               "Time from reading an envelope's frame to writing its ack, by envelope type.");
    for (std::size_t i = 0; i < envelope_types; ++i) {
        const auto& h = ack_latency_[i];
        // The count is read first and the buckets are capped by it, so a scrape
        // racing an increment still shows cumulative buckets <= count.
        const std::uint64_t count = h.count.load(relaxed);
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b < ack_latency_bounds.size(); ++b) {
            cumulative = std::min(count, cumulative + h.buckets[b].load(relaxed));
            const auto le = format_value(ack_latency_bounds[b]);
            out.sample("promotebot_ack_latency_seconds_bucket", {{"type", envelope_type_names[i]}, {"le", le}},
                       cumulative);
        }
        out.sample("promotebot_ack_latency_seconds_bucket", {{"type", envelope_type_names[i]}, {"le", "+Inf"}}, count);
        out.sample("promotebot_ack_latency_seconds_sum", {{"type", envelope_type_names[i]}},
                   static_cast<double>(h.sum_ns.load(relaxed)) / 1e9);
        out.sample("promotebot_ack_latency_seconds_count", {{"type", envelope_type_names[i]}}, count);
    }

    out.family("promotebot_socket_mode_reconnects_total", "counter",
               "Socket Mode links replaced or opened again, by reason.");
    for (std::size_t i = 0; i < reconnects_.size(); ++i)
        out.sample("promotebot_socket_mode_reconnects_total", {{"reason", reconnect_reason_names[i]}},
                   reconnects_[i].load(relaxed));

    out.family("promotebot_slack_api_requests_total", "counter",
               "Slack Web API HTTP requests sent (each retry counts), by method.");
    for (std::size_t i = 0; i < requests_.size(); ++i)
        out.sample("promotebot_slack_api_requests_total", {{"method", web_api_method_names[i]}},
                   requests_[i].load(relaxed));
    out.family("promotebot_slack_api_rate_limited_total", "counter",
               "Slack Web API requests refused for the rate limit (HTTP 429 or ok:false ratelimited), by method.");
    for (std::size_t i = 0; i < rate_limited_.size(); ++i)
        out.sample("promotebot_slack_api_rate_limited_total", {{"method", web_api_method_names[i]}},
                   rate_limited_[i].load(relaxed));
}

}  // namespace promotebot::bot
