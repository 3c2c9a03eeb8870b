#pragma once
// A PostgreSQL server of the test binary's own, for the PostgreSQL store's
// tests: started on first use, on a unix socket in a fresh temp directory (no
// TCP port to collide on), with trust authentication for the superuser
// "postgres", and stopped (fast shutdown) when the binary exits; should the
// binary die first, the server gets SIGINT as its parent-death signal.
//
// initdb and postgres refuse to run as root (CI runs as root): then both run
// as the user "nobody", which owns the data directory. One initdb'd cluster is
// kept as a template in the temp dir (per PostgreSQL version) and copied for
// each run, so a test binary per test case does not pay initdb each time.
//
// Without PostgreSQL's server binaries (/usr/lib/postgresql/<v>/bin, or
// PROMOTEBOT_PG_BINDIR) the test exits with skip_exit_code, which ctest shows as
// skipped, unless CI is set: there a missing server is a missing install step
// (deploy/setup.sh installs postgresql) and the test fails.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace promotebot::testing {

class postgresql_server {
public:
    // ctest reads this exit code as "skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt).
    static constexpr int skip_exit_code = 77;

    // The binary's server, started by the first caller.
    static postgresql_server& instance() {
        static std::unique_ptr<postgresql_server> server(new postgresql_server());
        return *server;
    }

    // A new empty database's connection string (libpq key=value form).
    std::string create_database() {
        static std::atomic<int> counter{0};
        const std::string name = "promotebot_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
        // The name is built from numbers only; CREATE DATABASE takes no parameters.
        admin_exec("CREATE DATABASE " + name);
        return connection(name);
    }

    void drop_database(const std::string& connection_string) {
        const auto at = connection_string.find("dbname=");
        if (at == std::string::npos) return;
        const std::string name = connection_string.substr(at + 7);
        try {
            admin_exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (const std::exception&) {
            // A database left behind goes with the server's directory.
        }
    }

    // The database of a connection string create_database() gave, as the
    // postgresql:// URI the bot's `store` setting takes.
    [[nodiscard]] std::string uri(const std::string& connection_string) const {
        const auto at = connection_string.find("dbname=");
        const std::string name = at == std::string::npos ? "postgres" : connection_string.substr(at + 7);
        return "postgresql://postgres@/" + name + "?host=" + socket_dir_.string() + "&port=" + std::to_string(port);
    }
    // A new empty database's URI.
    std::string create_database_uri() { return uri(create_database()); }

    [[nodiscard]] std::string connection(const std::string& database) const {
        return "host=" + socket_dir_.string() + " port=" + std::to_string(port) + " user=postgres dbname=" + database;
    }

    ~postgresql_server() {
        if (pid_ > 0) {
            ::kill(pid_, SIGINT);  // fast shutdown: ends the sessions, then stops
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    postgresql_server(const postgresql_server&) = delete;
    postgresql_server& operator=(const postgresql_server&) = delete;

private:
    static constexpr int port = 5432;  // only names the socket file in our own directory

    postgresql_server() {
        const auto bin = find_bin_dir();
        if (bin.empty()) {
            const char* ci = std::getenv("CI");
            const std::string why =
                "PostgreSQL's server binaries were not found (/usr/lib/postgresql/<version>/bin/{initdb,postgres}); "
                "install them with `apt-get install postgresql` (deploy/setup.sh test does) or set "
                "PROMOTEBOT_PG_BINDIR";
            if (ci != nullptr && *ci != '\0' && std::string(ci) != "false" && std::string(ci) != "0")
                throw std::runtime_error(why + " (CI is set, so this is a failure, not a skip)");
            std::printf("SKIPPED: %s\n", why.c_str());
            std::fflush(stdout);
            std::_Exit(skip_exit_code);
        }
        as_root_ = ::geteuid() == 0;
        if (as_root_) {
            const passwd* pw = ::getpwnam("nobody");
            if (pw == nullptr) throw std::runtime_error("running as root, and there is no user \"nobody\" to run PostgreSQL as");
            uid_ = pw->pw_uid;
            gid_ = pw->pw_gid;
        }
        std::random_device rd;
        dir_ = std::filesystem::temp_directory_path() /
               ("promotebot-pg-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(dir_);
        std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
        own(dir_);
        socket_dir_ = dir_;
        const auto data = dir_ / "data";
        copy_owned(template_cluster(bin), data);
        const auto log = dir_ / "server.log";
        pid_ = spawn({(bin / "postgres").string(), "-D", data.string(), "-k", socket_dir_.string(), "-p",
                      std::to_string(port), "-c", "listen_addresses=", "-c", "fsync=off", "-c",
                      "full_page_writes=off", "-c", "synchronous_commit=off", "-c", "max_connections=100"},
                     log, true);
        wait_ready(log);
    }

    // The newest version's bin directory holding initdb and postgres.
    static std::filesystem::path find_bin_dir() {
        if (const char* given = std::getenv("PROMOTEBOT_PG_BINDIR"); given && *given) {
            const std::filesystem::path bin(given);
            return std::filesystem::exists(bin / "initdb") && std::filesystem::exists(bin / "postgres")
                       ? bin
                       : std::filesystem::path{};
        }
        std::vector<std::filesystem::path> found;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
            const auto bin = e.path() / "bin";
            if (std::filesystem::exists(bin / "initdb") && std::filesystem::exists(bin / "postgres"))
                found.push_back(bin);
        }
        if (found.empty()) return {};
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
            return std::stoi(a.parent_path().filename().string()) < std::stoi(b.parent_path().filename().string());
        });
        return found.back();
    }

    // An initdb'd cluster, made once per machine and version: concurrent test
    // processes each make one and the first rename wins.
    std::filesystem::path template_cluster(const std::filesystem::path& bin) {
        const auto version = bin.parent_path().filename().string();
        const auto tmp = std::filesystem::temp_directory_path();
        const auto cached = tmp / ("promotebot-pg-template-" + version + "-" + std::to_string(as_root_ ? uid_ : ::geteuid()));
        if (std::filesystem::exists(cached / "PG_VERSION")) return cached;
        const auto building = dir_ / "template";
        const auto log = dir_ / "initdb.log";
        const pid_t pid = spawn({(bin / "initdb").string(), "-D", building.string(), "-U", "postgres", "--auth=trust",
                                 "-E", "UTF8", "--no-locale", "--no-sync"},
                                log, false);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            throw std::runtime_error("initdb failed:\n" + read_file(log));
        std::error_code ec;
        std::filesystem::rename(building, cached, ec);
        if (ec) return building;  // another process won the race (or tmp is another file system): use ours
        return cached;
    }

    // A copy of the template cluster owned by the user the server runs as,
    // with the private modes postgres insists on.
    void copy_owned(const std::filesystem::path& from, const std::filesystem::path& to) {
        std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
        std::filesystem::permissions(to, std::filesystem::perms::owner_all);
        own(to);
        for (const auto& e : std::filesystem::recursive_directory_iterator(to)) own(e.path());
    }

    void own(const std::filesystem::path& p) const {
        if (as_root_ && ::lchown(p.c_str(), uid_, gid_) != 0)
            throw std::runtime_error("cannot hand " + p.string() + " to the user nobody");
    }

    // Runs argv with stdout and stderr in `log`, as nobody when we are root.
    pid_t spawn(const std::vector<std::string>& args, const std::filesystem::path& log, bool die_with_parent) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) throw std::runtime_error("cannot create " + log.string());
        own(log);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const pid_t parent = ::getpid();
        const pid_t pid = ::fork();
        if (pid < 0) {
            ::close(fd);
            throw std::runtime_error("fork failed");
        }
        if (pid == 0) {
            // Only async-signal-safe calls from here to exec.
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            if (as_root_) {
                if (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0) ::_exit(126);
            }
            if (die_with_parent) {
                ::prctl(PR_SET_PDEATHSIG, SIGINT);
                if (::getppid() != parent) ::_exit(0);
            }
            if (::chdir("/") != 0) ::_exit(125);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(fd);
        return pid;
    }

    // Polls the server until it answers, for at most 60 s; a server that
    // exited meanwhile fails at once with its log.
    void wait_ready(const std::filesystem::path& log) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        const std::string conninfo = connection("postgres");
        for (;;) {
            if (PQping(conninfo.c_str()) == PQPING_OK) return;
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("postgres exited while starting:\n" + read_file(log));
            }
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("postgres did not answer within 60 s:\n" + read_file(log));
            ::usleep(20'000);
        }
    }

    void admin_exec(const std::string& sql) {
        PGconn* c = PQconnectdb(connection("postgres").c_str());
        std::unique_ptr<PGconn, void (*)(PGconn*)> conn(c, PQfinish);
        if (PQstatus(c) != CONNECTION_OK) throw std::runtime_error(std::string("admin connection: ") + PQerrorMessage(c));
        PGresult* r = PQexec(c, sql.c_str());
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        const std::string error = PQresultErrorMessage(r);
        PQclear(r);
        if (!ok) throw std::runtime_error(sql + ": " + error);
    }

    static std::string read_file(const std::filesystem::path& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

    std::filesystem::path dir_;
    std::filesystem::path socket_dir_;
    pid_t pid_ = -1;
    bool as_root_ = false;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
};

}  // namespace promotebot::testing
