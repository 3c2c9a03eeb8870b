// libFuzzer target for the holiday and calendar loaders: gov.uk's
// bank-holidays.json and iCalendar files (libical). Whatever the bytes, a
// loader returns days or windows that satisfy its contract, or throws
// std::invalid_argument with a message; never another exception, never a
// crash. The first byte picks the loader, the rest is the file.
//
// holiday_sources.cpp is compiled into this target with the fuzzer's
// instrumentation (PROMOTEBOT_FUZZ_SOURCES_holiday_fuzz in
// tests/CMakeLists.txt); the library gives the calendar and the libical
// loader (libical itself is loaded with dlopen at the first calendar).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "commands/freeze/freeze_calendar.hpp"
#include "commands/freeze/holiday_sources.hpp"

namespace {

using namespace promotebot::commands;

void require(bool condition) {
    if (!condition) std::abort();
}

void check_days(const std::vector<holiday>& days) {
    for (std::size_t i = 0; i < days.size(); ++i) {
        require(days[i].day.ok());
        require(!days[i].name.empty());
        if (i > 0) require(days[i - 1].day <= days[i].day);
        (void)holiday_problem(days[i]);
    }
}

template <class F>
void expect_answer_or_refusal(F load) {
    try {
        load();
    } catch (const std::invalid_argument& e) {
        require(std::string_view{e.what()}.size() > 0);
    } catch (...) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    static const auto* const london = date::locate_zone("Europe/London");
    switch (data[0] % 4) {
    case 0:
        expect_answer_or_refusal([&] { check_days(parse_govuk_bank_holidays(text, "england-and-wales")); });
        break;
    case 1:
        expect_answer_or_refusal([&] { check_days(parse_ics_holidays(text)); });
        break;
    case 2:
        expect_answer_or_refusal([&] {
            const auto windows = ics_dated_windows(text, london);
            for (std::size_t i = 0; i < windows.size(); ++i) {
                require(windows[i].start < windows[i].end);
                require(!windows[i].name.empty());
                if (i > 0) require(windows[i - 1].start <= windows[i].start);
                (void)dated_window_problem(windows[i]);
            }
        });
        break;
    default:
        // Floating times refused: every timed occurrence names its zone or UTC.
        expect_answer_or_refusal([&] {
            ics_limits limits;
            limits.max_occurrences = 500;
            for (const auto& o : read_ics_calendar(text, nullptr, limits)) {
                require(!o.name.empty());
                if (o.all_day) require(o.first_day < o.end_day);
                else require(o.start < o.end);
            }
        });
        break;
    }
    return 0;
}
