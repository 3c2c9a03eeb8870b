// Store write latency on a real SQLite file (WAL, synchronous=NORMAL):
// append_audit and add_freeze_window, per operation, in microseconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "bot/ports/store.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"

namespace fs = std::filesystem;
using namespace promotebot::bot;
using namespace promotebot::sqlite;

namespace {

constexpr int operations = 2000;

void report(const char* name, std::vector<double> micros) {
    std::sort(micros.begin(), micros.end());
    const double mean = std::accumulate(micros.begin(), micros.end(), 0.0) / static_cast<double>(micros.size());
    auto at = [&](double q) { return micros[static_cast<std::size_t>(q * static_cast<double>(micros.size() - 1))]; };
    std::printf("%-18s n=%zu  mean=%8.1f us  p50=%8.1f us  p99=%8.1f us  max=%8.1f us\n", name, micros.size(), mean,
                at(0.50), at(0.99), micros.back());
}

std::vector<double> time_each(const std::function<void(int)>& op) {
    std::vector<double> micros;
    micros.reserve(operations);
    for (int i = 0; i < operations; ++i) {
        const auto begin = std::chrono::steady_clock::now();
        op(i);
        const auto end = std::chrono::steady_clock::now();
        micros.push_back(std::chrono::duration<double, std::micro>(end - begin).count());
    }
    return micros;
}

}  // namespace

int main() {
    std::random_device rd;
    const fs::path dir = fs::temp_directory_path() / ("promotebot-store-bench-" + std::to_string(rd()));
    fs::create_directories(dir);
    int status = EXIT_SUCCESS;
    try {
        auto s = open_sqlite_store((dir / "bench.db").string());
        const sys_seconds t0{std::chrono::seconds{1'795'687'200}};

        const auto audit = time_each([&](int i) {
            s->append_audit({"U0BENCH", "command", "/promote 1.4." + std::to_string(i) + " prod", "ok",
                             {{"request", i}, {"gate", "freeze"}}},
                            t0 + std::chrono::seconds{i});
        });
        const auto freeze = time_each([&](int i) {
            const auto start = t0 + std::chrono::hours{24 * i};
            s->add_freeze_window(start, start + std::chrono::hours{2}, "bench window", "U0BENCH", t0);
        });

        std::printf("store write latency, SQLite %s, WAL, synchronous=NORMAL, file in %s\n", sqlite3_libversion(),
                    dir.string().c_str());
        report("append_audit", audit);
        report("add_freeze_window", freeze);

        const auto verify_begin = std::chrono::steady_clock::now();
        const auto v = s->verify_audit();
        const auto verify_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - verify_begin).count();
        std::printf("verify_audit       %lld records in %.1f ms (%s)\n", static_cast<long long>(v.records), verify_ms,
                    v.ok ? "chain ok" : v.problem.c_str());
        if (!v.ok) status = EXIT_FAILURE;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "store bench failed: %s\n", e.what());
        status = EXIT_FAILURE;
    }
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    return status;
}
