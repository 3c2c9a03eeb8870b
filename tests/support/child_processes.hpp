#pragma once
// Helpers for tests that run real child processes: small scripts written to a
// temp dir, and whether a process the test only knows by pid has ended.
#include <sys/types.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace promotebot::testing {

// Writes `body` under a /bin/sh shebang; executable unless told otherwise.
inline std::string write_script(const std::filesystem::path& path, const std::string& body, bool executable = true) {
    std::filesystem::create_directories(path.parent_path());
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << "#!/bin/sh\n" << body;
    }
    using std::filesystem::perms;
    std::filesystem::permissions(path, executable ? perms::owner_all | perms::group_read | perms::others_read
                                                  : perms::owner_read | perms::owner_write);
    return path.string();
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Ended: no such process, or a zombie its new parent has not reaped yet
// (init, or whatever reaps orphans in a container, does that in its own time).
inline bool process_is_gone(pid_t pid) {
    if (::kill(pid, 0) != 0) return errno == ESRCH;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return true;  // vanished while reading
    return stat[close + 2] == 'Z' || stat[close + 2] == 'X';
}

// A killed process ends a moment after the signal is sent: wait for that,
// with a deadline.
inline bool ends_within(pid_t pid, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!process_is_gone(pid)) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

}  // namespace promotebot::testing
