#pragma once
// libical, resolved at run time: the binary does not link it, so a bot
// without an iCalendar file never maps libical or the ICU libraries libical
// links (about 2 MiB of the resident set). The first call to libical()
// loads libical.so.3 (Debian package libical3) with dlopen and resolves the
// functions holiday_sources.cpp calls; every later call, from any thread,
// returns the same table. A library that cannot be loaded, or lacks one of
// the functions, is an error naming it and the package, never a crash.
//
// The types and constants still come from libical's header (libical-dev at
// build time): the table's entries are typed from its declarations, so a
// call through them is checked exactly as a linked call would be.
#include <libical/ical.h>

namespace promotebot::commands::ical {

// The soname of the libical ABI the header describes, and its Debian package.
inline constexpr const char* libical_soname = "libical.so.3";
inline constexpr const char* libical_package = "libical3";

// The functions used, each typed from its declaration in <libical/ical.h>.
// Add a function here to call it; it is resolved with the others.
#define PROMOTEBOT_LIBICAL_FUNCTIONS(X)      \
    X(icalparser_parse_string)               \
    X(icalcomponent_free)                    \
    X(icalcomponent_isa)                     \
    X(icalcomponent_get_first_component)     \
    X(icalcomponent_get_next_component)      \
    X(icalcomponent_get_first_property)      \
    X(icalcomponent_get_next_property)       \
    X(icalcomponent_get_timezone)            \
    X(icalproperty_isa)                      \
    X(icalproperty_get_first_parameter)      \
    X(icalproperty_get_xlicerror)            \
    X(icalproperty_get_dtstart)              \
    X(icalproperty_get_dtend)                \
    X(icalproperty_get_duration)             \
    X(icalproperty_get_rrule)                \
    X(icalproperty_get_rdate)                \
    X(icalproperty_get_exdate)               \
    X(icalproperty_get_recurrenceid)         \
    X(icalproperty_get_status)               \
    X(icalproperty_get_summary)              \
    X(icalproperty_get_uid)                  \
    X(icalparameter_get_tzid)                \
    X(icaltime_as_ical_string)               \
    X(icaltime_is_utc)                       \
    X(icaltime_is_null_time)                 \
    X(icaltime_as_timet_with_zone)           \
    X(icalperiodtype_is_null_period)         \
    X(icaldurationtype_as_int)               \
    X(icaldurationtype_as_ical_string)       \
    X(icalrecur_iterator_new)                \
    X(icalrecur_iterator_next)               \
    X(icalrecur_iterator_free)               \
    X(icalrecurrencetype_as_string)

struct library {
#define PROMOTEBOT_LIBICAL_ENTRY(name) decltype(&::name) name = nullptr;
    PROMOTEBOT_LIBICAL_FUNCTIONS(PROMOTEBOT_LIBICAL_ENTRY)
#undef PROMOTEBOT_LIBICAL_ENTRY
};

// The process's libical, loaded by the first call. Throws
// std::invalid_argument (the error every calendar reader reports, so a
// configuration names the file that needed it) when libical.so.3 cannot be
// loaded or lacks a function; the outcome is kept, so a missing library is
// looked for once.
const library& libical();

// Loads `soname` afresh and resolves the table from it, with the same
// errors; for tests of the failure paths. A loaded library stays loaded.
library load_libical(const char* soname);

}  // namespace promotebot::commands::ical
