// The dry-run runner runs nothing and shows what it would have run; the
// display quoting reads back as the same words in a POSIX shell.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "integrations/process/dry_run_runner.hpp"
#include "tests/support/child_processes.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace asio = boost::asio;
using promotebot::bot::output_stream;
using promotebot::bot::process_line;
using promotebot::bot::process_outcome;
using promotebot::bot::process_spec;
using promotebot::process::display_command;
using promotebot::process::dry_run_runner;
using promotebot::testing::temp_dir;
using promotebot::testing::write_script;

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> work) {
    auto result = asio::co_spawn(ioc, std::move(work), asio::use_future);
    ioc.restart();
    ioc.run();
    return result.get();
}

TEST_CASE("dry run prints the quoted command and runs nothing", "[process]") {
    temp_dir dir;
    const auto marker = dir.path / "ran";
    process_spec spec;
    spec.argv = {write_script(dir.path / "touch.sh", "touch \"$1\"\n"), marker.string(), "two words"};
    std::vector<std::vector<std::string>> sunk;
    dry_run_runner runner([&sunk](const std::vector<std::string>& argv) { sunk.push_back(argv); });
    std::vector<process_line> lines;
    asio::io_context ioc;
    const auto outcome =
        run(ioc, runner.run(spec, [&lines](const process_line& l) { lines.push_back(l); }, nullptr));
    CHECK(outcome.ended == process_outcome::how::exited);
    CHECK(outcome.succeeded());
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].stream == output_stream::out);
    CHECK(lines[0].text == "dry run: " + spec.argv[0] + " " + marker.string() + " 'two words'");
    CHECK(sunk == std::vector<std::vector<std::string>>{spec.argv});
    CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("display_command leaves plain words bare and quotes the rest", "[process]") {
    CHECK(display_command({"kubectl", "set", "image", "deploy/api", "api=registry.example/api:1.2.3", "-n",
                           "prod"}) == "kubectl set image deploy/api api=registry.example/api:1.2.3 -n prod");
    CHECK(display_command({"echo", "two words", "it's", "", "$(touch x)", "a;b", "*"}) ==
          "echo 'two words' 'it'\\''s' '' '$(touch x)' 'a;b' '*'");
    CHECK(display_command({"printf", "a\nb", "tab\there", "q'\\"}) == "printf $'a\\nb' $'tab\\there' 'q'\\''\\'");
    CHECK(display_command({"x", std::string("\x01", 1) + "'"}) == "x $'\\x01\\''");
    CHECK(display_command({}).empty());
}

}  // namespace
