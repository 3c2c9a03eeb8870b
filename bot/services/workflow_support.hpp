#pragma once
// What the promotion and rollback services share besides the step executor:
// visiting effects, plain-text messages, tracked background tasks and the
// conversion of a step's output lines for the store.
#include <exception>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

#include "bot/ports/process_runner.hpp"
#include "bot/ports/store.hpp"
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

}  // namespace promotebot::bot
