// Prints how long freeze-calendar queries take with the runbook's rules,
// England-and-Wales bank holidays and a handful of dated windows.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "commands/freeze/freeze_calendar.hpp"

namespace {

using promotebot::commands::dated_window;
using promotebot::commands::freeze_calendar;
using promotebot::commands::freeze_rules;
using promotebot::commands::holiday;
using promotebot::commands::sys_seconds;

date::year_month_day ymd(int y, unsigned m, unsigned d) { return date::year{y} / date::month{m} / date::day{d}; }

date::local_seconds wall(int y, unsigned m, unsigned d) { return date::local_seconds{date::local_days{ymd(y, m, d)}}; }

template <typename Query>
void measure(const char* what, int count, Query query) {
    const auto start = std::chrono::steady_clock::now();
    std::size_t sink = 0;
    for (int i = 0; i < count; ++i) sink += query(i);
    const std::chrono::duration<double, std::micro> spent = std::chrono::steady_clock::now() - start;
    std::printf("%-44s %8d calls %10.2f us/call (checksum %zu)\n", what, count, spent.count() / count, sink);
}

}  // namespace

int main() {
    freeze_rules rules;
    for (int y = 2026; y <= 2030; ++y) {
        rules.bank_holidays.push_back({ymd(y, 1, 1), "New Year’s Day"});
        rules.bank_holidays.push_back({ymd(y, 5, 4), "Early May bank holiday"});
        rules.bank_holidays.push_back({ymd(y, 8, 31), "Summer bank holiday"});
        rules.bank_holidays.push_back({ymd(y, 12, 25), "Christmas Day"});
        rules.regulatory.push_back({"Q1 filing " + std::to_string(y), wall(y, 4, 14), wall(y, 4, 16), std::nullopt});
    }
    std::vector<dated_window> ad_hoc;
    for (int i = 0; i < 20; ++i) {
        const unsigned month = 1 + static_cast<unsigned>(i) % 12;
        ad_hoc.push_back({"maintenance", wall(2026, month, 10), wall(2026, month, 11), i});
    }
    const freeze_calendar calendar{date::locate_zone("Europe/London"), rules, ad_hoc};
    const sys_seconds origin{date::sys_days{ymd(2026, 1, 1)}};

    measure("status_at, every 7 hours over 2026-2028", 3500, [&](int i) {
        const auto s = calendar.status_at(origin + std::chrono::hours{7 * i});
        return s.rules.size() + (s.next ? 1u : 0u);
    });
    measure("windows_between, one month", 1000, [&](int i) {
        const auto from = origin + date::days{i % 700};
        return calendar.windows_between(from, from + date::days{31}).size();
    });
    measure("windows_between, one year", 200, [&](int i) {
        const auto from = origin + date::days{i};
        return calendar.windows_between(from, from + date::days{365}).size();
    });
    freeze_rules open_rules;
    open_rules.month_end_enabled = false;
    open_rules.year_end_enabled = false;
    const freeze_calendar sparse{date::locate_zone("Europe/London"), open_rules,
                                 {{"far away", wall(2030, 6, 1), wall(2030, 6, 2), 1}}};
    measure("status_at, next freeze years ahead", 200, [&](int i) {
        const auto s = sparse.status_at(origin + date::days{i});
        return s.next ? 1u : 0u;
    });
    return 0;
}
