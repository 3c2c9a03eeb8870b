#include "integrations/process/child_process_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

// Boost.Process v2 as of 1.81 is header-only by default; std::filesystem keeps
// Boost.Filesystem out. Only this file includes it, so the configuration is
// the same wherever it is used.
#define BOOST_PROCESS_USE_STD_FS 1
#include <sys/syscall.h>
#include <unistd.h>
// process.hpp uses boost::optional without including it.
#include <boost/optional.hpp>
#include <boost/process/v2/process.hpp>

namespace promotebot::process {

namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using bot::output_stream;
using bot::process_line;
using bot::process_outcome;
using steady = std::chrono::steady_clock;
using process_type = bp::basic_process<asio::any_io_executor>;

std::string errno_text(int e) { return std::generic_category().message(e); }

class unique_fd {
public:
    explicit unique_fd(int fd = -1) : fd_(fd) {}
    ~unique_fd() { reset(); }
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    [[nodiscard]] int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }
    void reset(int fd = -1) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_;
};

// The child dup2()s onto 0, 1 and 2: a source below 3 (the bot started with a
// standard stream closed) would be clobbered by an earlier dup2.
unique_fd above_stdio(int fd) {
    if (fd < 0 || fd > 2) return unique_fd(fd);
    unique_fd low(fd);
    return unique_fd(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

bool has_nul(const std::string& s) { return s.find('\0') != std::string::npos; }

// Splits a byte stream into lines of at most max_line_bytes: the part of a
// longer line past the limit is dropped up to its newline. One trailing '\r'
// is removed so CRLF output reads like LF output.
class line_splitter {
public:
    template <class Emit>
    void feed(std::string_view data, Emit& emit) {
        while (!data.empty()) {
            const auto nl = data.find('\n');
            const auto piece = data.substr(0, nl);
            if (!dropping_) {
                if (line_.size() + piece.size() > bot::max_line_bytes) {
                    line_.append(piece.substr(0, bot::max_line_bytes - line_.size()));
                    emit(std::string_view(line_));
                    line_.clear();
                    dropping_ = true;
                } else {
                    line_.append(piece);
                }
            }
            if (nl == std::string_view::npos) break;
            if (dropping_) {
                dropping_ = false;
            } else {
                emit_complete(emit);
            }
            data.remove_prefix(nl + 1);
        }
    }

    template <class Emit>
    void finish(Emit& emit) {
        if (!dropping_ && !line_.empty()) emit_complete(emit);
    }

private:
    template <class Emit>
    void emit_complete(Emit& emit) {
        std::string_view text(line_);
        if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
        emit(text);
        line_.clear();
    }

    std::string line_;
    bool dropping_ = false;
};

std::optional<std::string> find_on_path(const std::string& name, const std::string& path) {
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        const std::string dir = path.substr(start, end - start);
        start = end + 1;
        // A relative entry would name a different directory in the child,
        // which runs in spec.working_dir; an empty one means ".". Neither is
        // a place to find deployment tools.
        if (dir.empty() || dir.front() != '/') continue;
        const std::string candidate = dir + (dir.back() == '/' ? "" : "/") + name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return std::nullopt;
}

struct launch_plan {
    std::string error;  // non-empty: do not start; says why (never a variable's value)
    std::string executable;
    std::vector<std::string> environment;  // NAME=value
};

launch_plan plan_launch(const bot::process_spec& spec) {
    launch_plan plan;
    if (spec.argv.empty() || spec.argv.front().empty()) {
        plan.error = "empty command";
        return plan;
    }
    const std::string& tool = spec.argv.front();
    if (std::any_of(spec.argv.begin(), spec.argv.end(), has_nul)) {
        plan.error = "the command has an argument with a NUL byte";
        return plan;
    }

    std::map<std::string, std::string> env;
    for (char** entry = ::environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view kv(*entry);
        const auto eq = kv.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));  // the first one wins, as in getenv
    }
    for (const auto& [name, value] : spec.env) {
        if (name.empty() || name.find('=') != std::string::npos || has_nul(name)) {
            plan.error = tool + ": an environment override has an invalid name";
            return plan;
        }
        if (has_nul(value)) {
            plan.error = tool + ": environment variable " + name + " has a NUL byte in its value";
            return plan;
        }
        env[name] = value;
    }
    for (const auto& [name, value] : env) plan.environment.push_back(name + "=" + value);

    const std::string& dir = spec.working_dir;
    if (!dir.empty()) {
        struct stat st {};
        if (has_nul(dir)) {
            plan.error = tool + ": the working directory has a NUL byte";
            return plan;
        }
        if (::stat(dir.c_str(), &st) != 0) {
            plan.error = tool + ": working directory " + dir + ": " + errno_text(errno);
            return plan;
        }
        if (!S_ISDIR(st.st_mode)) {
            plan.error = tool + ": working directory " + dir + ": not a directory";
            return plan;
        }
    }

    if (tool.find('/') == std::string::npos) {
        const auto path = env.find("PATH");
        auto found = find_on_path(tool, path == env.end() ? std::string() : path->second);
        if (!found) {
            plan.error = tool + ": not found on PATH";
            return plan;
        }
        plan.executable = std::move(*found);
        return plan;
    }

    // Relative to the directory the child runs in; made absolute here because
    // the child changes directory before execve.
    std::filesystem::path exe(tool);
    if (exe.is_relative() && !dir.empty()) exe = std::filesystem::path(dir) / exe;
    std::error_code ec;
    exe = std::filesystem::absolute(exe, ec);
    struct stat st {};
    if (ec || ::stat(exe.c_str(), &st) != 0) {
        plan.error = tool + ": " + errno_text(ec ? ec.value() : errno);
    } else if (S_ISDIR(st.st_mode)) {
        plan.error = tool + ": is a directory";
    } else if (::access(exe.c_str(), X_OK) != 0) {
        plan.error = tool + ": not executable";
    }
    plan.executable = exe.string();
    return plan;
}

// What the child becomes before execve, as the contract promises.
struct child_setup {
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    const char* working_dir;  // null: the bot's

    // In the forked child, before execve: async-signal-safe calls only, no
    // allocation. Returns 0, or the errno of the call that failed (the child
    // then reports it through `report_fd` and exits).
    int prepare(int report_fd) const {
        // Its own group, so a deadline or cancel reaches every descendant.
        if (::setpgid(0, 0) != 0) return errno;
        if (::dup2(stdin_fd, STDIN_FILENO) < 0 || ::dup2(stdout_fd, STDOUT_FILENO) < 0 ||
            ::dup2(stderr_fd, STDERR_FILENO) < 0)
            return errno;
        if (working_dir != nullptr && ::chdir(working_dir) != 0) return errno;
        // An ignored signal stays ignored across execve, and the mask is
        // inherited: the tool must see SIGTERM and SIGPIPE like anywhere else.
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        for (int s = 1; s < NSIG; ++s)
            if (s != SIGKILL && s != SIGSTOP) ::sigaction(s, &dfl, nullptr);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        // Nothing of the bot's reaches the tool: every descriptor but 0, 1, 2
        // and the report pipe (close-on-exec) is closed.
        const auto keep = static_cast<unsigned>(report_fd);
        if (keep > 3) ::close_range(3, keep - 1, 0);
        ::close_range(keep + 1, ~0U, 0);
        return 0;
    }
};

enum class stop_reason { none, timed_out, cancelled, callback_threw };

struct run_state : std::enable_shared_from_this<run_state> {
    run_state(asio::any_io_executor ex, child_process_options opts, std::function<void(const process_line&)> cb)
        : out(ex),
          err(ex),
          wake(ex, steady::time_point::max()),
          deadline(ex),
          grace(ex),
          drain(ex),
          options(opts),
          on_line(std::move(cb)) {}

    ~run_state() {
        if (reaped) {
            // Its destructor would kill and wait for the pid, which may by
            // now belong to another run's child.
            if (proc) proc->detach();
        } else if (pgid > 0) {
            // Abandoned mid-run (the io_context went away): leave nothing
            // behind. The process object then reaps the leader itself.
            ::killpg(pgid, SIGKILL);
        }
    }

    std::optional<process_type> proc;
    bp::error_code lost;  // no pidfd could be opened: why
    pid_t pgid = -1;
    asio::posix::stream_descriptor out;
    asio::posix::stream_descriptor err;
    asio::steady_timer wake;  // cancelled whenever the loop in run() should look again
    asio::steady_timer deadline;
    asio::steady_timer grace;
    asio::steady_timer drain;
    child_process_options options;
    std::function<void(const process_line&)> on_line;

    int open_streams = 2;
    bool reaped = false;
    int status = 0;
    bp::error_code wait_error;
    stop_reason reason = stop_reason::none;
    std::exception_ptr callback_error;

    void notify() { wake.cancel(); }

    void signal_group(int sig) const {
        if (pgid > 0) ::killpg(pgid, sig);
    }

    void stop(stop_reason why) {
        if (reaped) {
            cut_off();
            return;
        }
        if (reason != stop_reason::none) return;
        reason = why;
        signal_group(SIGTERM);
        grace.expires_after(options.kill_grace);
        grace.async_wait([w = weak_from_this()](boost::system::error_code ec) {
            if (auto self = w.lock(); self && !ec && !self->reaped) self->signal_group(SIGKILL);
        });
    }

    // Nothing may hold run() any longer: kill the group and stop reading.
    void cut_off() {
        signal_group(SIGKILL);
        boost::system::error_code ignored;
        out.close(ignored);
        err.close(ignored);
    }

    void exited(bp::error_code ec) {
        reaped = true;
        wait_error = ec;
        if (proc) status = proc->native_exit_code();
        grace.cancel();
        // The leader of a killed group is gone; the rest get no grace.
        if (reason != stop_reason::none) signal_group(SIGKILL);
        if (open_streams > 0) {
            drain.expires_after(options.drain_after_exit);
            drain.async_wait([w = weak_from_this()](boost::system::error_code e) {
                if (auto self = w.lock(); self && !e) self->cut_off();
            });
        }
        notify();
    }

    void deliver(const process_line& line) {
        if (callback_error || !on_line) return;
        try {
            on_line(line);
        } catch (...) {
            callback_error = std::current_exception();
            stop(stop_reason::callback_threw);
        }
    }
};

asio::awaitable<void> read_lines(std::shared_ptr<run_state> st, asio::posix::stream_descriptor& from,
                                 output_stream which) {
    line_splitter splitter;
    process_line line{which, {}};
    auto emit = [&](std::string_view text) {
        line.text.assign(text);
        st->deliver(line);
    };
    std::vector<char> buffer(16 * 1024);
    for (;;) {
        auto [ec, n] = co_await from.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
        splitter.feed(std::string_view(buffer.data(), n), emit);
        if (ec) break;
    }
    splitter.finish(emit);
}

// Launches the child; empty on success, else why it did not start.
std::string start(run_state& st, const bot::process_spec& spec, const launch_plan& plan, asio::any_io_executor ex) {
    const std::string& tool = spec.argv.front();
    int p_out[2];
    int p_err[2];
    if (::pipe2(p_out, O_CLOEXEC) != 0) return tool + ": cannot create a pipe: " + errno_text(errno);
    unique_fd out_read = above_stdio(p_out[0]);
    unique_fd out_write = above_stdio(p_out[1]);
    if (::pipe2(p_err, O_CLOEXEC) != 0) return tool + ": cannot create a pipe: " + errno_text(errno);
    unique_fd err_read = above_stdio(p_err[0]);
    unique_fd err_write = above_stdio(p_err[1]);
    unique_fd null_in = above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (out_read.get() < 0 || out_write.get() < 0 || err_read.get() < 0 || err_write.get() < 0 || null_in.get() < 0)
        return tool + ": cannot set up its standard streams: " + errno_text(errno);

    std::vector<const char*> envp;
    for (const auto& kv : plan.environment) envp.push_back(kv.c_str());
    envp.push_back(nullptr);
    std::vector<const char*> argv;
    for (const auto& a : spec.argv) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    // argv[0] stays as given ("kubectl"); the resolved path is only what execve runs.

    // fork and execve by hand: the child runs only async-signal-safe calls
    // and allocates nothing. (Boost.Process's launcher announces the fork to
    // an Asio context in the child, which allocates and takes a mutex: in a
    // bot with other threads that can deadlock the child, and in the parent
    // it stops Asio's resolver thread, which hangs a DNS lookup in flight.)
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) return tool + ": cannot create a pipe: " + errno_text(errno);
    unique_fd report_read = above_stdio(report[0]);
    unique_fd report_write = above_stdio(report[1]);
    if (report_read.get() < 0 || report_write.get() < 0) return tool + ": cannot create a pipe: " + errno_text(errno);
    const char* working_dir = spec.working_dir.empty() ? nullptr : spec.working_dir.c_str();
    const pid_t pid = ::fork();
    if (pid < 0) return tool + ": cannot start: " + errno_text(errno);
    if (pid == 0) {
        int error = child_setup{null_in.get(), out_write.get(), err_write.get(), working_dir}.prepare(
            report_write.get());
        if (error == 0) {
            ::execve(plan.executable.c_str(), const_cast<char* const*>(argv.data()),
                     const_cast<char* const*>(envp.data()));
            error = errno;
        }
        [[maybe_unused]] const auto written = ::write(report_write.get(), &error, sizeof error);
        ::_exit(127);
    }
    report_write.reset();
    int child_error = 0;
    ssize_t got = 0;
    do {
        got = ::read(report_read.get(), &child_error, sizeof child_error);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof child_error)) {
        // It never became the tool: the pipe carried execve's (or the set-up's) errno.
        ::waitpid(pid, nullptr, 0);
        return tool + ": cannot start: " + errno_text(child_error);
    }
    st.pgid = pid;
    // The child stays ours until we reap it, so the pid is still its, unless
    // the bot ignores SIGCHLD and the kernel reaped it already: then nothing
    // can tell how it ended.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        st.lost = bp::error_code(errno, bp::system_category());
    } else {
        try {
            st.proc.emplace(ex, pid, pidfd);
        } catch (const std::exception& e) {
            ::killpg(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            return tool + ": cannot watch the process: " + e.what();
        }
    }
    // Only the child may hold the write ends, or reading would never see EOF.
    out_write.reset();
    err_write.reset();
    st.out.assign(out_read.release());
    st.err.assign(err_read.release());
    return {};
}

process_outcome failed_to_start(std::string why) {
    process_outcome o;
    o.ended = process_outcome::how::failed_to_start;
    o.error = std::move(why);
    return o;
}

const char* describe(process_outcome::how how) {
    switch (how) {
    case process_outcome::how::exited: return "exited";
    case process_outcome::how::killed: return "killed";
    case process_outcome::how::timed_out: return "timed out";
    case process_outcome::how::cancelled: return "cancelled";
    case process_outcome::how::failed_to_start: return "failed to start";
    }
    return "?";
}

}  // namespace

asio::awaitable<process_outcome> child_process_runner::run(const bot::process_spec& spec,
                                                           std::function<void(const process_line&)> on_line,
                                                           std::shared_ptr<bot::process_cancellation> cancel) {
    const auto started = steady::now();
    const auto finish = [started](process_outcome o) {
        o.duration = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started);
        return o;
    };
    if (cancel && cancel->cancelled()) {
        process_outcome o;
        o.ended = process_outcome::how::cancelled;
        co_return finish(std::move(o));
    }
    const launch_plan plan = plan_launch(spec);
    if (!plan.error.empty()) {
        spdlog::warn("process: {}", plan.error);
        co_return finish(failed_to_start(plan.error));
    }

    auto ex = co_await asio::this_coro::executor;
    auto st = std::make_shared<run_state>(ex, options_, std::move(on_line));
    if (auto error = start(*st, spec, plan, ex); !error.empty()) {
        spdlog::warn("process: {}", error);
        co_return finish(failed_to_start(std::move(error)));
    }
    const std::string& tool = spec.argv.front();
    spdlog::debug("process: {} started as pid {}", tool, st->pgid);

    const auto reader_done = [st](std::exception_ptr e) {
        if (e && !st->callback_error) st->callback_error = e;
        --st->open_streams;
        st->notify();
    };
    asio::co_spawn(ex, read_lines(st, st->out, output_stream::out), reader_done);
    asio::co_spawn(ex, read_lines(st, st->err, output_stream::err), reader_done);
    const std::weak_ptr<run_state> weak = st;
    if (st->proc) {
        st->proc->async_wait([weak](bp::error_code ec, int) {
            if (auto self = weak.lock()) self->exited(ec);
        });
    } else {
        st->exited(st->lost);
    }
    st->deadline.expires_after(spec.timeout);
    st->deadline.async_wait([weak](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->stop(stop_reason::timed_out);
    });
    if (cancel) {
        cancel->on_cancel_ = [weak] {
            if (auto self = weak.lock()) self->stop(stop_reason::cancelled);
        };
    }
    struct unhook {
        bot::process_cancellation* c;
        ~unhook() {
            if (c) c->on_cancel_ = nullptr;
        }
    } const unhook_cancel{cancel.get()};

    try {
        while (!(st->reaped && st->open_streams == 0))
            co_await st->wake.async_wait(asio::as_tuple(asio::use_awaitable));
    } catch (...) {
        // The awaiting coroutine was cancelled: nothing of the run stays.
        st->cut_off();
        throw;
    }
    st->deadline.cancel();
    st->grace.cancel();
    st->drain.cancel();
    if (st->callback_error) std::rethrow_exception(st->callback_error);

    process_outcome o;
    if (WIFEXITED(st->status)) o.exit_code = WEXITSTATUS(st->status);
    if (WIFSIGNALED(st->status)) o.signal = WTERMSIG(st->status);
    if (st->reason == stop_reason::timed_out) {
        o.ended = process_outcome::how::timed_out;
    } else if (st->reason == stop_reason::cancelled) {
        o.ended = process_outcome::how::cancelled;
    } else if (st->wait_error) {
        o.ended = process_outcome::how::killed;
        o.error = tool + ": lost track of the process: " + st->wait_error.message();
    } else if (WIFSIGNALED(st->status)) {
        o.ended = process_outcome::how::killed;
    } else {
        o.ended = process_outcome::how::exited;
    }
    o = finish(std::move(o));
    spdlog::debug("process: {} (pid {}) {}: exit code {}, signal {}, {} ms", tool, st->pgid, describe(o.ended),
                  o.exit_code, o.signal, o.duration.count());
    co_return o;
}

}  // namespace promotebot::process
