// The child process runner against real processes: small /bin/sh scripts in
// a temp dir (the runner itself never uses a shell; a script is just a
// program). Lines are checked as they arrive, deadlines and cancellation
// against a whole process group, and nothing is left running.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "integrations/process/child_process_runner.hpp"
#include "tests/support/child_processes.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using promotebot::bot::output_stream;
using promotebot::bot::process_cancellation;
using promotebot::bot::process_line;
using promotebot::bot::process_outcome;
using promotebot::bot::process_spec;
using promotebot::process::child_process_options;
using promotebot::process::child_process_runner;
using promotebot::testing::ends_within;
using promotebot::testing::read_text;
using promotebot::testing::temp_dir;
using promotebot::testing::write_script;
using how = process_outcome::how;

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> work) {
    auto result = asio::co_spawn(ioc, std::move(work), asio::use_future);
    ioc.restart();
    ioc.run();
    return result.get();
}

struct run_result {
    process_outcome outcome;
    std::vector<process_line> lines;

    [[nodiscard]] std::vector<std::string> texts(output_stream which) const {
        std::vector<std::string> out;
        for (const auto& l : lines)
            if (l.stream == which) out.push_back(l.text);
        return out;
    }
};

// Fast grace and drain bounds, so tests of the kill paths stay short.
child_process_options quick_options() {
    child_process_options o;
    o.kill_grace = 200ms;
    o.drain_after_exit = 200ms;
    return o;
}

run_result run_spec(const process_spec& spec, child_process_options options = quick_options(),
                    std::shared_ptr<process_cancellation> cancel = nullptr) {
    asio::io_context ioc;
    child_process_runner runner(options);
    run_result r;
    auto collect = [&r](const process_line& l) { r.lines.push_back(l); };
    r.outcome = run(ioc, runner.run(spec, collect, std::move(cancel)));
    return r;
}

pid_t read_pid(const fs::path& file) { return static_cast<pid_t>(std::stol(read_text(file))); }

TEST_CASE("argv reaches the program verbatim and no shell interprets it", "[process]") {
    temp_dir dir;
    process_spec spec;
    spec.argv = {write_script(dir.path / "args.sh", "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n"),
                 "two words",
                 "it's \"quoted\"",
                 "$(touch made-by-substitution)",
                 "a; touch made-by-semicolon",
                 "`touch made-by-backticks`",
                 "*",
                 "$HOME",
                 ""};
    spec.working_dir = dir.path.string();
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::exited);
    REQUIRE(r.outcome.exit_code == 0);
    std::vector<std::string> expected;
    for (std::size_t i = 1; i < spec.argv.size(); ++i) expected.push_back("[" + spec.argv[i] + "]");
    CHECK(r.texts(output_stream::out) == expected);
    CHECK_FALSE(fs::exists(dir.path / "made-by-substitution"));
    CHECK_FALSE(fs::exists(dir.path / "made-by-semicolon"));
    CHECK_FALSE(fs::exists(dir.path / "made-by-backticks"));
}

TEST_CASE("stdout and stderr lines arrive while the process still runs", "[process]") {
    temp_dir dir;
    const auto go = dir.path / "go";
    process_spec spec;
    // The script ends only once the test has seen both lines: were lines
    // delivered at exit only, it would run into its deadline instead.
    spec.argv = {write_script(dir.path / "talk.sh",
                              "echo first\n"
                              "echo oops >&2\n"
                              "while [ ! -e \"$1\" ]; do sleep 0.01; done\n"
                              "echo last\n"),
                 go.string()};
    spec.timeout = 10s;
    asio::io_context ioc;
    child_process_runner runner(quick_options());
    std::vector<process_line> lines;
    bool saw_out = false;
    bool saw_err = false;
    auto on_line = [&](const process_line& l) {
        lines.push_back(l);
        saw_out = saw_out || (l.stream == output_stream::out && l.text == "first");
        saw_err = saw_err || (l.stream == output_stream::err && l.text == "oops");
        if (saw_out && saw_err && !fs::exists(go)) std::ofstream(go).put('x');
    };
    const auto outcome = run(ioc, runner.run(spec, on_line, nullptr));
    REQUIRE(outcome.ended == how::exited);
    CHECK(outcome.exit_code == 0);
    REQUIRE(lines.size() == 3);
    CHECK(lines.back().stream == output_stream::out);
    CHECK(lines.back().text == "last");
}

TEST_CASE("exit codes are reported as the program returned them", "[process]") {
    temp_dir dir;
    const auto script = write_script(dir.path / "exit.sh", "exit \"$1\"\n");
    for (const int code : {0, 1, 7}) {
        process_spec spec;
        spec.argv = {script, std::to_string(code)};
        const auto r = run_spec(spec);
        REQUIRE(r.outcome.ended == how::exited);
        CHECK(r.outcome.exit_code == code);
        CHECK(r.outcome.succeeded() == (code == 0));
    }
}

TEST_CASE("a process ended by a signal of its own is reported as killed with that signal", "[process]") {
    temp_dir dir;
    process_spec spec;
    spec.argv = {write_script(dir.path / "selfkill.sh", "kill -USR1 $$\nsleep 5\n")};
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::killed);
    CHECK(r.outcome.signal == SIGUSR1);
}

TEST_CASE("a tool is found by name on the PATH that spec.env sets", "[process]") {
    temp_dir dir;
    // The first directory holds a file of that name that cannot run: skipped.
    write_script(dir.path / "first" / "promotebot-fake-kubectl", "echo wrong\n", false);
    write_script(dir.path / "bin" / "promotebot-fake-kubectl", "echo \"fake kubectl $*\"\n");
    process_spec spec;
    spec.argv = {"promotebot-fake-kubectl", "get", "pods"};
    spec.env["PATH"] = "relative/dir:" + (dir.path / "first").string() + ":" + (dir.path / "bin").string() +
                       ":/usr/bin:/bin";
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::exited);
    CHECK(r.outcome.exit_code == 0);
    CHECK(r.texts(output_stream::out) == std::vector<std::string>{"fake kubectl get pods"});
}

TEST_CASE("a tool missing from PATH fails to start with its name in the error", "[process]") {
    temp_dir dir;
    process_spec spec;
    spec.argv = {"promotebot-no-such-tool", "apply"};
    spec.env["PATH"] = dir.path.string();
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::failed_to_start);
    CHECK(r.outcome.error == "promotebot-no-such-tool: not found on PATH");
    CHECK(r.lines.empty());
}

TEST_CASE("a path that is not executable fails to start", "[process]") {
    temp_dir dir;
    process_spec spec;
    spec.argv = {write_script(dir.path / "plain.sh", "echo never\n", false)};
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::failed_to_start);
    CHECK_THAT(r.outcome.error, Catch::Contains(spec.argv[0]) && Catch::Contains("not executable"));

    spec.argv = {(dir.path / "missing.sh").string()};
    const auto missing = run_spec(spec);
    REQUIRE(missing.outcome.ended == how::failed_to_start);
    CHECK_THAT(missing.outcome.error, Catch::Contains("missing.sh"));
}

TEST_CASE("a file the kernel cannot execute fails to start with the reason", "[process]") {
    temp_dir dir;
    // Executable bits but no format execve knows: the failure comes from the
    // child itself, after the fork.
    const auto path = dir.path / "garbage";
    std::ofstream(path) << "\x7f" "ELF nonsense";
    fs::permissions(path, fs::perms::owner_all);
    process_spec spec;
    spec.argv = {path.string()};
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::failed_to_start);
    CHECK_THAT(r.outcome.error, Catch::Contains("garbage") && Catch::Contains("cannot start"));
}

TEST_CASE("a working directory that does not exist fails to start", "[process]") {
    temp_dir dir;
    process_spec spec;
    spec.argv = {write_script(dir.path / "pwd.sh", "pwd\n")};
    spec.working_dir = (dir.path / "missing").string();
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::failed_to_start);
    CHECK_THAT(r.outcome.error, Catch::Contains("working directory") && Catch::Contains("missing"));
}

TEST_CASE("the program runs in the working directory and a relative path is taken from there", "[process]") {
    temp_dir dir;
    write_script(dir.path / "work" / "here.sh", "pwd -P\n");
    process_spec spec;
    spec.argv = {"./here.sh"};
    spec.working_dir = (dir.path / "work").string();
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::exited);
    CHECK(r.texts(output_stream::out) == std::vector<std::string>{fs::canonical(dir.path / "work").string()});
}

TEST_CASE("the environment is the bot's with spec.env laid over it", "[process]") {
    temp_dir dir;
    ::setenv("PROMOTEBOT_TEST_INHERITED", "from the bot", 1);
    ::setenv("PROMOTEBOT_TEST_REPLACED", "old", 1);
    process_spec spec;
    spec.argv = {write_script(dir.path / "env.sh",
                              "printf '%s\\n' \"$PROMOTEBOT_TEST_INHERITED\" \"$PROMOTEBOT_TEST_REPLACED\" "
                              "\"$PROMOTEBOT_TEST_ADDED\"\n")};
    spec.env = {{"PROMOTEBOT_TEST_REPLACED", "new"}, {"PROMOTEBOT_TEST_ADDED", "two words; $(not run)"}};
    const auto r = run_spec(spec);
    ::unsetenv("PROMOTEBOT_TEST_INHERITED");
    ::unsetenv("PROMOTEBOT_TEST_REPLACED");
    REQUIRE(r.outcome.ended == how::exited);
    CHECK(r.texts(output_stream::out) ==
          std::vector<std::string>{"from the bot", "new", "two words; $(not run)"});
}

TEST_CASE("an invalid environment override fails to start without showing values", "[process]") {
    process_spec spec;
    spec.argv = {"/bin/true"};
    spec.env = {{"TOKEN=secret-value", "x"}};
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::failed_to_start);
    CHECK_THAT(r.outcome.error, !Catch::Contains("secret-value"));

    spec.env = {{"TOKEN", std::string("secret\0value", 12)}};
    const auto nul = run_spec(spec);
    REQUIRE(nul.outcome.ended == how::failed_to_start);
    CHECK_THAT(nul.outcome.error, Catch::Contains("TOKEN") && !Catch::Contains("secret"));
}

TEST_CASE("stdin is empty rather than the bot's", "[process]") {
    temp_dir dir;
    process_spec spec;
    spec.argv = {write_script(dir.path / "read.sh", "if read line; then echo \"got $line\"; else echo eof; fi\n")};
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::exited);
    CHECK(r.texts(output_stream::out) == std::vector<std::string>{"eof"});
}

TEST_CASE("the deadline kills the whole process group including a background grandchild", "[process]") {
    temp_dir dir;
    const auto pid_file = dir.path / "grandchild.pid";
    process_spec spec;
    spec.argv = {write_script(dir.path / "hang.sh", "sleep 30 &\necho $! > \"$1\"\necho ready\nwait\n"),
                 pid_file.string()};
    spec.timeout = 400ms;
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::timed_out);
    CHECK(r.outcome.duration >= spec.timeout);
    REQUIRE(r.texts(output_stream::out) == std::vector<std::string>{"ready"});
    CHECK(ends_within(read_pid(pid_file)));
}

TEST_CASE("a group that ignores SIGTERM gets SIGKILL after the grace", "[process]") {
    temp_dir dir;
    const auto pid_file = dir.path / "grandchild.pid";
    process_spec spec;
    spec.argv = {write_script(dir.path / "stubborn.sh",
                              "trap '' TERM\nsleep 30 &\necho $! > \"$1\"\necho ready\nwhile :; do wait; done\n"),
                 pid_file.string()};
    spec.timeout = 300ms;
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::timed_out);
    CHECK(r.outcome.signal == SIGKILL);
    REQUIRE(r.texts(output_stream::out) == std::vector<std::string>{"ready"});
    CHECK(ends_within(read_pid(pid_file)));
}

asio::awaitable<void> cancel_when_told(asio::steady_timer& told, std::shared_ptr<process_cancellation> cancel) {
    co_await told.async_wait(asio::as_tuple(asio::use_awaitable));
    cancel->cancel();
}

TEST_CASE("cancel from another coroutine ends the run and its group", "[process]") {
    temp_dir dir;
    const auto pid_file = dir.path / "grandchild.pid";
    process_spec spec;
    spec.argv = {write_script(dir.path / "long.sh", "sleep 30 &\necho $! > \"$1\"\necho started\nwait\n"),
                 pid_file.string()};
    spec.timeout = 30s;
    asio::io_context ioc;
    child_process_runner runner(quick_options());
    auto cancel = std::make_shared<process_cancellation>();
    asio::steady_timer started(ioc, std::chrono::steady_clock::time_point::max());
    asio::co_spawn(ioc, cancel_when_told(started, cancel), asio::detached);
    auto on_line = [&started](const process_line& l) {
        if (l.text == "started") started.cancel();
    };
    const auto outcome = run(ioc, runner.run(spec, on_line, cancel));
    REQUIRE(outcome.ended == how::cancelled);
    CHECK(outcome.signal == SIGTERM);
    CHECK_FALSE(cancel->on_cancel_);
    CHECK(ends_within(read_pid(pid_file)));
}

TEST_CASE("a run cancelled before it starts runs nothing", "[process]") {
    temp_dir dir;
    const auto marker = dir.path / "ran";
    process_spec spec;
    spec.argv = {write_script(dir.path / "touch.sh", "touch \"$1\"\n"), marker.string()};
    auto cancel = std::make_shared<process_cancellation>();
    cancel->cancel();
    const auto r = run_spec(spec, quick_options(), cancel);
    CHECK(r.outcome.ended == how::cancelled);
    CHECK_FALSE(fs::exists(marker));
}

TEST_CASE("a very long line is cut at max_line_bytes and the next line is intact", "[process]") {
    using promotebot::bot::max_line_bytes;
    temp_dir dir;
    process_spec spec;
    spec.argv = {write_script(dir.path / "long_line.sh",
                              "head -c 50000 /dev/zero | tr '\\0' x\necho\necho next\n"
                              "head -c " + std::to_string(max_line_bytes) + " /dev/zero | tr '\\0' y\necho\n"
                              "echo after\n")};
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::exited);
    const auto out = r.texts(output_stream::out);
    REQUIRE(out.size() == 4);
    CHECK(out[0] == std::string(max_line_bytes, 'x'));
    CHECK(out[1] == "next");
    CHECK(out[2] == std::string(max_line_bytes, 'y'));  // exactly at the limit: whole
    CHECK(out[3] == "after");
}

TEST_CASE("a final line without a newline is delivered and CRLF reads like LF", "[process]") {
    temp_dir dir;
    process_spec spec;
    spec.argv = {write_script(dir.path / "tail.sh", "printf 'one\\r\\n\\ntwo\\n' \nprintf 'last' >&2\n")};
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::exited);
    CHECK(r.texts(output_stream::out) == std::vector<std::string>{"one", "", "two"});
    CHECK(r.texts(output_stream::err) == std::vector<std::string>{"last"});
}

TEST_CASE("a child that closes its output but keeps running is still awaited", "[process]") {
    temp_dir dir;
    process_spec spec;
    spec.argv = {write_script(dir.path / "quiet.sh", "echo bye\nexec >&- 2>&-\nsleep 0.2\nexit 3\n")};
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::exited);
    CHECK(r.outcome.exit_code == 3);  // only known once it has exited
    CHECK(r.texts(output_stream::out) == std::vector<std::string>{"bye"});
}

TEST_CASE("a grandchild holding the pipes after the child exits does not hold the run", "[process]") {
    temp_dir dir;
    const auto pid_file = dir.path / "grandchild.pid";
    process_spec spec;
    spec.argv = {write_script(dir.path / "leave.sh", "sleep 30 &\necho $! > \"$1\"\necho done\n"),
                 pid_file.string()};
    spec.timeout = 30s;
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::exited);
    CHECK(r.outcome.exit_code == 0);
    CHECK(r.texts(output_stream::out) == std::vector<std::string>{"done"});
    CHECK(ends_within(read_pid(pid_file)));
}

TEST_CASE("a grandchild that left the group is cut off, not waited for", "[process]") {
    temp_dir dir;
    const auto pid_file = dir.path / "escaped.pid";
    process_spec spec;
    spec.argv = {write_script(dir.path / "escape.sh", "setsid sleep 30 &\necho $! > \"$1\"\necho done\n"),
                 pid_file.string()};
    spec.timeout = 30s;
    const auto r = run_spec(spec);
    REQUIRE(r.outcome.ended == how::exited);
    CHECK(r.texts(output_stream::out) == std::vector<std::string>{"done"});
    // Out of reach of the group kill: the test ends it.
    const auto escaped = read_pid(pid_file);
    ::kill(escaped, SIGKILL);
    CHECK(ends_within(escaped));
}

TEST_CASE("an on_line that throws ends the process and the exception reaches the caller", "[process]") {
    temp_dir dir;
    const auto pid_file = dir.path / "child.pid";
    process_spec spec;
    spec.argv = {write_script(dir.path / "chatty.sh", "echo $$ > \"$1\"\necho boom\nsleep 30\n"), pid_file.string()};
    spec.timeout = 30s;
    asio::io_context ioc;
    child_process_runner runner(quick_options());
    auto on_line = [](const process_line&) { throw std::runtime_error("the sink is full"); };
    CHECK_THROWS_WITH(run(ioc, runner.run(spec, on_line, nullptr)), "the sink is full");
    CHECK(ends_within(read_pid(pid_file)));
}

TEST_CASE("the child inherits no descriptor of the bot and no ignored signal", "[process]") {
    temp_dir dir;
    // Opened without O_CLOEXEC, before the runner makes its pipes: a low
    // number, below the launcher's own error pipe.
    const int leaky = ::open("/dev/null", O_RDONLY);
    REQUIRE(leaky > 2);
    const auto previous = ::signal(SIGPIPE, SIG_IGN);
    process_spec spec;
    spec.argv = {write_script(dir.path / "fds.sh",
                              "if [ -e /proc/$$/fd/$1 ]; then echo inherited; else echo closed; fi\n"
                              "exec grep -E '^Sig(Ign|Blk)' /proc/self/status\n"),
                 std::to_string(leaky)};
    const auto r = run_spec(spec);
    ::signal(SIGPIPE, previous);
    ::close(leaky);
    REQUIRE(r.outcome.ended == how::exited);
    CHECK(r.texts(output_stream::out) ==
          std::vector<std::string>{"closed", "SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"});
}

asio::awaitable<process_outcome> run_one(child_process_runner& runner, const process_spec& spec,
                                         std::function<void(const process_line&)> on_line) {
    // The callback is moved outside the co_await expression (g++ 12).
    auto work = runner.run(spec, std::move(on_line), nullptr);
    co_return co_await std::move(work);
}

TEST_CASE("two runs on one executor proceed side by side", "[process]") {
    temp_dir dir;
    const auto go = dir.path / "go";
    process_spec waiter;
    waiter.argv = {write_script(dir.path / "wait.sh", "while [ ! -e \"$1\" ]; do sleep 0.01; done\necho released\n"),
                   go.string()};
    waiter.timeout = 10s;
    process_spec talker;
    talker.argv = {write_script(dir.path / "talk.sh", "echo hello\n")};
    asio::io_context ioc;
    child_process_runner runner(quick_options());
    std::vector<std::string> seen;
    // The waiter can only finish because the talker runs while it waits.
    std::function<void(const process_line&)> on_wait_line = [&seen](const process_line& l) { seen.push_back(l.text); };
    std::function<void(const process_line&)> on_talk_line = [&](const process_line& l) {
        seen.push_back(l.text);
        std::ofstream(go).put('x');
    };
    auto first = asio::co_spawn(ioc, run_one(runner, waiter, on_wait_line), asio::use_future);
    auto second = asio::co_spawn(ioc, run_one(runner, talker, on_talk_line), asio::use_future);
    ioc.run();
    CHECK(first.get().exit_code == 0);
    CHECK(second.get().exit_code == 0);
    CHECK(seen == std::vector<std::string>{"hello", "released"});
}

TEST_CASE("a run abandoned with its io_context leaves no process behind", "[process]") {
    temp_dir dir;
    const auto pid_file = dir.path / "grandchild.pid";
    process_spec spec;
    spec.argv = {write_script(dir.path / "long.sh", "sleep 30 &\necho $! > \"$1\"\necho started\nwait\n"),
                 pid_file.string()};
    spec.timeout = 30s;
    child_process_runner runner(quick_options());
    {
        asio::io_context ioc;
        auto on_line = [&ioc](const process_line& l) {
            if (l.text == "started") ioc.stop();
        };
        asio::co_spawn(ioc, run_one(runner, spec, on_line), asio::detached);
        ioc.run();
    }
    CHECK(ends_within(read_pid(pid_file)));
}

TEST_CASE("a bot that ignores SIGCHLD gets an error instead of a made-up exit code", "[process]") {
    temp_dir dir;
    process_spec spec;
    spec.argv = {write_script(dir.path / "exit.sh", "exit 0\n")};
    const auto previous = ::signal(SIGCHLD, SIG_IGN);
    const auto r = run_spec(spec);
    ::signal(SIGCHLD, previous);
    CHECK(r.outcome.ended == how::killed);
    CHECK_THAT(r.outcome.error, Catch::Contains("lost track"));
    CHECK_FALSE(r.outcome.succeeded());
}

TEST_CASE("an empty command fails to start", "[process]") {
    const auto r = run_spec(process_spec{});
    CHECK(r.outcome.ended == how::failed_to_start);
    CHECK(r.outcome.error == "empty command");
}

}  // namespace
