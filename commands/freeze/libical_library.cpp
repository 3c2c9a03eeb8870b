// libical through dlopen. This is the one file of the pure domain that
// includes <dlfcn.h> (tests/layering/check_layering.cmake allows it here and
// nowhere else): loading a library is not the domain doing I/O — the
// dynamic linker would map the same file at start if the binary linked it —
// and the parser stays a function of its text. Kept beside its only user
// rather than injected from bot/main, so that every caller (the
// configuration, `promotebot calendar`, the tests and the fuzz target) reads
// calendars the same way with no wiring.
#include "commands/freeze/libical_library.hpp"

#include <dlfcn.h>

#include <stdexcept>
#include <string>

namespace promotebot::commands::ical {
namespace {

std::string unavailable(const std::string& why) {
    return std::string{"iCalendar files are read with libical, which cannot be loaded: "} + why +
           " (install the Debian package " + libical_package + ")";
}

// Fills `out` from `soname`; the error, or empty when every function was found.
std::string try_load(const char* soname, library& out) {
    void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = ::dlerror();
        return unavailable(why ? why : std::string{soname} + ": dlopen failed");
    }
    std::string missing;
    // dlsym gives a void*; the entry's type is the header's declaration of
    // the same name, which is what the library exports under it.
#define PROMOTEBOT_LIBICAL_RESOLVE(name)                                                  \
    if (void* symbol = ::dlsym(handle, #name))                                            \
        out.name = reinterpret_cast<decltype(&::name)>(symbol);                           \
    else                                                                                  \
        missing += (missing.empty() ? "" : ", ") + std::string{#name};
    PROMOTEBOT_LIBICAL_FUNCTIONS(PROMOTEBOT_LIBICAL_RESOLVE)
#undef PROMOTEBOT_LIBICAL_RESOLVE
    if (!missing.empty()) {
        out = library{};
        ::dlclose(handle);
        return unavailable(std::string{soname} + " lacks " + missing);
    }
    // Never closed: the table points into it for the life of the process.
    return {};
}

struct load_outcome {
    library functions;
    std::string error;
};

}  // namespace

library load_libical(const char* soname) {
    library out;
    if (auto error = try_load(soname, out); !error.empty()) throw std::invalid_argument(error);
    return out;
}

const library& libical() {
    // A function-local static: loaded once, by whichever thread comes
    // first, the others waiting; a failure is kept like a success.
    static const load_outcome loaded = [] {
        load_outcome o;
        o.error = try_load(libical_soname, o.functions);
        return o;
    }();
    if (!loaded.error.empty()) throw std::invalid_argument(loaded.error);
    return loaded.functions;
}

}  // namespace promotebot::commands::ical
