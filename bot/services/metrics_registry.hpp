#pragma once
// The bot's counters and the ack latency histogram, and the Prometheus text
// exposition format (0.0.4) they are written in. Every series has a label
// set from a fixed list (bot/ports/metrics_sink.hpp), so the output is
// bounded whatever arrives. Counting is relaxed atomic increments into fixed
// arrays: no allocation and no lock on the ack path, and a scrape from any
// thread reads a value that is at worst one increment old.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "bot/ports/metrics_sink.hpp"

namespace promotebot::bot {

// Builds one exposition: families (# HELP, # TYPE) and their samples.
class prometheus_text {
public:
    using label = std::pair<std::string_view, std::string_view>;
    // `type`: counter, gauge or histogram. Help text is escaped as the format asks.
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, std::initializer_list<label> labels, double value);
    void sample(std::string_view name, std::initializer_list<label> labels, std::uint64_t value);
    [[nodiscard]] const std::string& text() const { return out_; }

private:
    void labels(std::initializer_list<label> labels);
    std::string out_;
};

// A label value as the format writes it between quotes: \ " and newline escaped.
std::string escape_label_value(std::string_view value);
// A sample value: shortest round-trip decimal, +Inf, -Inf or NaN.
std::string format_value(double value);

class metrics_registry final : public metrics_sink {
public:
    // Upper bounds of the ack latency buckets, in seconds (fine below 1 ms,
    // where a healthy ack lands; Slack's deadline is 3 s).
    static constexpr std::array<double, 12> ack_latency_bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                               0.01,   0.05,    0.1,    0.5,   1,      3};

    void envelope_received(envelope_type t) noexcept override;
    void envelope_acked(envelope_type t, std::chrono::nanoseconds latency) noexcept override;
    void link_reconnect(reconnect_reason r) noexcept override;
    void web_api_request(web_api_method m, bool rate_limited) noexcept override;

    [[nodiscard]] std::uint64_t envelopes_received(envelope_type t) const;
    [[nodiscard]] std::uint64_t envelopes_acked(envelope_type t) const;
    [[nodiscard]] std::uint64_t reconnects(reconnect_reason r) const;
    [[nodiscard]] std::uint64_t web_api_requests(web_api_method m) const;
    [[nodiscard]] std::uint64_t web_api_rate_limited(web_api_method m) const;

    // Appends every family this registry holds.
    void write(prometheus_text& out) const;

private:
    using counter = std::atomic<std::uint64_t>;
    static constexpr std::size_t envelope_types = envelope_type_names.size();
    struct histogram {
        std::array<counter, ack_latency_bounds.size() + 1> buckets{};  // not cumulative; the last is +Inf
        counter sum_ns{0};
        counter count{0};
    };

    std::array<counter, envelope_types> received_{};
    std::array<counter, envelope_types> acked_{};
    std::array<histogram, envelope_types> ack_latency_{};
    std::array<counter, reconnect_reason_names.size()> reconnects_{};
    std::array<counter, web_api_method_names.size()> requests_{};
    std::array<counter, web_api_method_names.size()> rate_limited_{};
};

}  // namespace promotebot::bot
