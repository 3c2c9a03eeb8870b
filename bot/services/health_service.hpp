#pragma once
// What /readyz and /metrics answer. Ready means the bot can take work: at
// least one Socket Mode link is up (when there are links at all) and the
// store answers a read. The metrics are the registry's counters plus what
// the store knows at scrape time: the outbox's depth and the age of its
// oldest pending message, deployments by environment and result, the deploy
// locks held, and gate answers by gate and result, read from the audit log
// (every answer is recorded there as `promotion.gate`) piece by piece so a
// scrape never reads the whole log. Environment and gate labels are the
// configured ones; anything else counts as `other`. Runs on the event loop;
// the store is read on its own thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "bot/config/config.hpp"
#include "bot/ports/store.hpp"
#include "bot/services/metrics_registry.hpp"

namespace promotebot::bot {

struct readiness {
    bool ready = false;
    std::string reason;  // why not, short, for the probe's body and the operator
};

class health_service {
public:
    using clock = std::function<std::chrono::system_clock::time_point()>;
    // links_up: how many Socket Mode links are up; empty when the bot has no
    // links to wait for (then ready is the store alone).
    health_service(const config& cfg, store& st, const metrics_registry& registry, std::function<int()> links_up,
                   clock now);

    boost::asio::awaitable<readiness> ready();
    // The whole exposition, text format 0.0.4.
    boost::asio::awaitable<std::string> metrics_text();

    // At most this many audit records are read for the gate counters per scrape.
    static constexpr std::int64_t audit_records_per_scrape = 50'000;

private:
    std::string environment_label(const std::string& environment) const;
    std::string gate_label(const std::string& gate) const;

    store& st_;
    const metrics_registry& registry_;
    std::function<int()> links_up_;
    clock now_;
    std::set<std::string> environments_;
    std::set<std::string> gates_;
    // Gate answers counted so far, by (gate label, result label), and the last audit record read.
    std::map<std::pair<std::string, std::string>, std::uint64_t> gate_answers_;
    std::int64_t gate_seq_ = 0;
};

}  // namespace promotebot::bot
