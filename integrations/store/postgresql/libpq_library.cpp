// libpq through dlopen. The adapters link their libraries; this one loads it
// late, because libpq's dependencies cost a bot on SQLite memory for nothing.
// tests/layering/check_layering.cmake allows <dlfcn.h> here and in the
// libical loader, nowhere else, so loading a library stays a decision made
// in the open.
#include "integrations/store/postgresql/libpq_library.hpp"

#include <dlfcn.h>

#include <stdexcept>
#include <string>

namespace promotebot::postgresql::pq {
namespace {

std::string unavailable(const std::string& why) {
    return std::string{"PostgreSQL stores are reached with libpq, which cannot be loaded: "} + why +
           " (install the Debian package " + libpq_package + ")";
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
#define PROMOTEBOT_LIBPQ_RESOLVE(name)                                \
    if (void* symbol = ::dlsym(handle, #name))                        \
        out.name = reinterpret_cast<decltype(&::name)>(symbol);       \
    else                                                              \
        missing += (missing.empty() ? "" : ", ") + std::string{#name};
    PROMOTEBOT_LIBPQ_FUNCTIONS(PROMOTEBOT_LIBPQ_RESOLVE)
#undef PROMOTEBOT_LIBPQ_RESOLVE
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

library load_libpq(const char* soname) {
    library out;
    if (auto error = try_load(soname, out); !error.empty()) throw std::runtime_error(error);
    return out;
}

const library& libpq() {
    // A function-local static: loaded once, by whichever thread comes
    // first, the others waiting; a failure is kept like a success.
    static const load_outcome loaded = [] {
        load_outcome o;
        o.error = try_load(libpq_soname, o.functions);
        return o;
    }();
    if (!loaded.error.empty()) throw std::runtime_error(loaded.error);
    return loaded.functions;
}

}  // namespace promotebot::postgresql::pq
