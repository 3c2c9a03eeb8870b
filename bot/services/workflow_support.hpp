#pragma once
// What the promotion and rollback services share besides the step executor:
// visiting effects, plain-text messages, tracked background tasks and the
// conversion of a step's output lines for the store.
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

#include "bot/ports/process_runner.hpp"
#include "bot/ports/store.hpp"
#include "bot/services/lease_keeper.hpp"
#include "bot/services/step_executor.hpp"
#include "commands/message/message.hpp"

namespace promotebot::bot {

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

inline commands::message text_message(commands::rich_text t) {
    commands::message m;
    m.text = std::move(t);
    return m;
}

// Runs `task` on `ex`, counting it in `busy` while it runs; a failure is
// logged as "<workflow>: <what> failed: …".
inline void spawn_counted(const boost::asio::any_io_executor& ex, boost::asio::awaitable<void> task, int& busy,
                          std::string workflow, std::string what) {
    ++busy;
    boost::asio::co_spawn(ex, std::move(task),
                          [&busy, workflow = std::move(workflow), what = std::move(what)](std::exception_ptr e) {
                              --busy;
                              if (!e) return;
                              try {
                                  std::rethrow_exception(e);
                              } catch (const std::exception& x) {
                                  spdlog::error("{}: {} failed: {}", workflow, what, x.what());
                              }
                          });
}

// A step's redacted output lines as the store keeps them.
inline std::vector<step_output_line> stored_output(int step, std::vector<process_line>& lines) {
    std::vector<step_output_line> out;
    out.reserve(lines.size());
    for (auto& l : lines) out.push_back({step, l.stream == output_stream::out ? "out" : "err", std::move(l.text)});
    return out;
}

// The steps a workflow runs in this process, by workflow ID: a rollback
// taking over, or the loss of the workflow's lease to another replica,
// kills the running one through its cancellation.
class local_steps {
public:
    // Runs `job` with its cancellation registered under `id`. nullopt when the
    // step's end is not this process's to report: the executor is stopping
    // (the next start reports it interrupted) or another replica took the
    // workflow over (that replica reports it).
    boost::asio::awaitable<std::optional<step_done>> run(step_executor& steps, step_job job, std::int64_t id) {
        job.cancel = std::make_shared<process_cancellation>();
        running_[id] = job.cancel;
        step_done done;
        try {
            done = co_await steps.run(job);
        } catch (...) {
            running_.erase(id);
            throw;
        }
        running_.erase(id);
        if (!done.finished || abandoned_.erase(id)) co_return std::nullopt;
        co_return done;
    }

    // Kills workflow `id`'s running step (its end is still reported here).
    void cancel(std::int64_t id) {
        if (const auto it = running_.find(id); it != running_.end()) it->second->cancel();
    }

    // Work of workflow `id` starts under `lease` in this process: when the
    // lease is lost, its running step is killed and its end left to the
    // replica that took over.
    void watch(lease_keeper& leases, const std::string& lease, std::int64_t id) {
        abandoned_.erase(id);
        leases.watch(lease, [this, id, lease] {
            const auto it = running_.find(id);
            if (it == running_.end()) return;
            spdlog::warn("{}: another replica took over; stopping its running step here", lease);
            abandoned_.insert(id);
            it->second->cancel();
        });
    }

private:
    std::map<std::int64_t, std::shared_ptr<process_cancellation>> running_;
    std::set<std::int64_t> abandoned_;
};

}  // namespace promotebot::bot
