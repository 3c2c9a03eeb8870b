// libical is loaded at the first iCalendar read and not before
// (commands/freeze/libical_library.hpp). Its own executable: a process in
// which no other test has read a calendar, whatever order the cases run in.
// No case here but the first reads an iCalendar file.
#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <fstream>
#include <set>
#include <stdexcept>
#include <string>

#include "commands/freeze/freeze_calendar.hpp"
#include "commands/freeze/holiday_sources.hpp"
#include "commands/freeze/libical_library.hpp"

using namespace promotebot::commands;

namespace {

// Whether the process has `soname` loaded; loads nothing.
bool loaded(const char* soname) {
    void* handle = ::dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
    if (handle) ::dlclose(handle);  // RTLD_NOLOAD still counts a reference
    return handle != nullptr;
}

// The files of libical and ICU the process maps, one a line.
std::string mapped_ical_and_icu() {
    std::ifstream maps{"/proc/self/maps"};
    std::set<std::string> files;
    for (std::string line; std::getline(maps, line);) {
        const auto slash = line.find('/');
        if (slash == std::string::npos) continue;
        const auto path = line.substr(slash);
        const auto name = path.substr(path.rfind('/') + 1);
        if (name.rfind("libical.so", 0) == 0 || name.rfind("libicu", 0) == 0) files.insert(path);
    }
    std::string out;
    for (const auto& f : files) out += f + "\n";
    return out;
}

std::string failure_of(auto&& load) {
    try {
        load();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("libical and ICU are loaded by the first iCalendar holiday file read, not before") {
    REQUIRE_FALSE(loaded(ical::libical_soname));
    REQUIRE(mapped_ical_and_icu().empty());

    // gov.uk's JSON, and text refused before libical would parse it.
    const auto json_days = parse_govuk_bank_holidays(
        R"({"england-and-wales": {"events": [{"title": "Christmas Day", "date": "2026-12-25"}]}})",
        "england-and-wales");
    CHECK(json_days.size() == 1);
    CHECK_THROWS_AS(parse_ics_holidays("{\"england-and-wales\": {}}"), std::invalid_argument);
    CHECK_FALSE(loaded(ical::libical_soname));

    const auto days = parse_ics_holidays(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Christmas Day\r\n"
        "RRULE:FREQ=YEARLY;COUNT=2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    REQUIRE(days.size() == 2);
    CHECK(days[1].day == date::year_month_day{date::year{2027}, date::month{12}, date::day{25}});
    CHECK(days[1].name == "Christmas Day");
    CHECK(loaded(ical::libical_soname));
    CHECK_THAT(mapped_ical_and_icu(), Catch::Contains("/libical.so.3") && Catch::Contains("/libicuuc.so"));
}

TEST_CASE("a libical that cannot be loaded is refused, naming the library and the Debian package libical3") {
    const auto missing = failure_of([] { ical::load_libical("libical.so.0.missing"); });
    CHECK_THAT(missing, Catch::StartsWith("iCalendar files are read with libical, which cannot be loaded: ") &&
                            Catch::Contains("libical.so.0.missing") &&
                            Catch::EndsWith("(install the Debian package libical3)"));

    // A library that loads but is not libical: every function is named missing.
    const auto wrong = failure_of([] { ical::load_libical("libm.so.6"); });
    CHECK_THAT(wrong, Catch::Contains("libm.so.6 lacks icalparser_parse_string, icalcomponent_free") &&
                          Catch::Contains("icalrecurrencetype_as_string") && Catch::Contains("libical3"));
}
