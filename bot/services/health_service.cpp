#include "bot/services/health_service.hpp"

#include <array>
#include <exception>
#include <optional>
#include <string_view>
#include <vector>

namespace promotebot::bot {

namespace {

constexpr std::array<std::string_view, 4> finished_results{"succeeded", "failed", "interrupted", "cancelled"};
constexpr std::array<std::string_view, 3> gate_results{"pass", "fail", "unknown"};

template <std::size_t N>
std::string known_or_other(const std::string& value, const std::array<std::string_view, N>& known) {
    for (const auto k : known)
        if (k == value) return value;
    return "other";
}

// What one scrape reads from the store, in one snapshot.
struct store_facts {
    outbox_summary outbox;
    std::vector<grouped_count> deployments;
    std::vector<deploy_lock> locks;
    std::vector<grouped_count> gate_answers;
    std::int64_t gate_seq = 0;
};

}  // namespace

health_service::health_service(const config& cfg, store& st, const metrics_registry& registry,
                               std::function<int()> links_up, clock now)
    : st_(st), registry_(registry), links_up_(std::move(links_up)), now_(std::move(now)) {
    for (const auto& [name, env] : cfg.environments) {
        environments_.insert(name);
        gates_.insert(env.gates.begin(), env.gates.end());
    }
}

std::string health_service::environment_label(const std::string& environment) const {
    return environments_.count(environment) ? environment : "other";
}

std::string health_service::gate_label(const std::string& gate) const { return gates_.count(gate) ? gate : "other"; }

boost::asio::awaitable<readiness> health_service::ready() {
    readiness out{true, {}};
    auto fail = [&out](std::string why) {
        out.ready = false;
        out.reason += out.reason.empty() ? why : "; " + why;
    };
    if (links_up_ && links_up_() <= 0) fail("no Socket Mode link is up");
    try {
        const auto probe = [](const store_session& s) { return s.outbox_pending(); };
        (void)co_await read(st_, probe);
    } catch (const std::exception& e) {
        // The store's own message names the file and SQLite's reason; no secrets are in it.
        fail(std::string{"the store did not answer a read: "} + e.what());
    }
    co_return out;
}

boost::asio::awaitable<std::string> health_service::metrics_text() {
    prometheus_text out;
    registry_.write(out);

    if (links_up_) {
        out.family("promotebot_socket_mode_links_up", "gauge", "Socket Mode links up (hello received).");
        out.sample("promotebot_socket_mode_links_up", {}, static_cast<double>(links_up_()));
    }

    const std::int64_t after = gate_seq_;
    std::optional<store_facts> facts;
    try {
        const auto gather = [after](const store_session& s) {
            store_facts f;
            f.outbox = s.outbox_summary_now();
            f.deployments = s.deployment_counts();
            f.locks = s.deploy_locks();
            f.gate_answers = s.gate_answer_counts(after, audit_records_per_scrape, f.gate_seq);
            return f;
        };
        facts = co_await read(st_, gather);
    } catch (const std::exception&) {
        facts.reset();
    }
    out.family("promotebot_store_up", "gauge", "1 when the store answered this scrape's read, else 0.");
    out.sample("promotebot_store_up", {}, facts ? 1.0 : 0.0);
    if (!facts) co_return out.text();

    // A scrape that ran beside another and read the same records adds nothing twice.
    if (after == gate_seq_) {
        for (const auto& g : facts->gate_answers)
            gate_answers_[{gate_label(g.first), known_or_other(g.second, gate_results)}] +=
                static_cast<std::uint64_t>(g.count);
        gate_seq_ = facts->gate_seq;
    }

    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(now_());
    out.family("promotebot_outbox_pending", "gauge", "Outbox messages waiting to be delivered.");
    out.sample("promotebot_outbox_pending", {}, static_cast<double>(facts->outbox.pending));
    out.family("promotebot_outbox_oldest_pending_age_seconds", "gauge",
               "Age of the oldest pending outbox message; 0 when none is pending.");
    const double age =
        facts->outbox.oldest_pending ? static_cast<double>(std::max<std::int64_t>(
                                           0, (now - *facts->outbox.oldest_pending).count()))
                                     : 0.0;
    out.sample("promotebot_outbox_oldest_pending_age_seconds", {}, age);

    // Every configured environment and result appears, zero or not, so an alert finds its series.
    std::map<std::pair<std::string, std::string>, std::uint64_t> finished;
    std::map<std::string, std::uint64_t> running;
    for (const auto& env : environments_) {
        running[env] = 0;
        for (const auto r : finished_results) finished[{env, std::string{r}}] = 0;
    }
    for (const auto& d : facts->deployments) {
        const auto env = environment_label(d.first);
        if (d.second == "running") running[env] += static_cast<std::uint64_t>(d.count);
        else finished[{env, known_or_other(d.second, finished_results)}] += static_cast<std::uint64_t>(d.count);
    }
    out.family("promotebot_deployments_total", "counter",
               "Finished deployments recorded in the store, by environment and result.");
    for (const auto& [key, n] : finished)
        out.sample("promotebot_deployments_total", {{"environment", key.first}, {"result", key.second}}, n);
    out.family("promotebot_deployments_running", "gauge", "Deployments running now, by environment.");
    for (const auto& [env, n] : running)
        out.sample("promotebot_deployments_running", {{"environment", env}}, static_cast<double>(n));

    std::map<std::string, std::uint64_t> locks;
    for (const auto& env : environments_) locks[env] = 0;
    for (const auto& l : facts->locks) ++locks[environment_label(l.environment)];
    out.family("promotebot_deploy_locks_held", "gauge", "Deploy locks held, by environment.");
    for (const auto& [env, n] : locks)
        out.sample("promotebot_deploy_locks_held", {{"environment", env}}, static_cast<double>(n));

    for (const auto& gate : gates_)
        for (const auto r : gate_results) gate_answers_.try_emplace({gate, std::string{r}}, 0);
    out.family("promotebot_gate_answers_total", "counter",
               "Gate answers recorded in the audit log, by gate and result.");
    for (const auto& [key, n] : gate_answers_)
        out.sample("promotebot_gate_answers_total", {{"gate", key.first}, {"result", key.second}}, n);
    co_return out.text();
}

}  // namespace promotebot::bot
