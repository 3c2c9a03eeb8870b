#pragma once
// libpq, resolved at run time: the binary does not link it, so a bot on a
// SQLite store never maps libpq or what libpq links (libldap, GSSAPI and
// Kerberos, GnuTLS, p11-kit, nettle and a dozen more: about 3 MiB of the
// resident set). The first call to libpq() loads libpq.so.5 (Debian package
// libpq5) with dlopen and resolves the functions postgresql_store.cpp calls;
// every later call, from any thread, returns the same table. A library that
// cannot be loaded, or lacks one of the functions, is an error naming it and
// the package, never a crash.
//
// The types and constants still come from libpq's header (libpq-dev at build
// time): the table's entries are typed from its declarations, so a call
// through them is checked exactly as a linked call would be.
#include <libpq-fe.h>

namespace promotebot::postgresql::pq {

// The soname of the libpq ABI the header describes, and its Debian package.
inline constexpr const char* libpq_soname = "libpq.so.5";
inline constexpr const char* libpq_package = "libpq5";

// The functions used, each typed from its declaration in <libpq-fe.h>.
// Add a function here to call it; it is resolved with the others.
#define PROMOTEBOT_LIBPQ_FUNCTIONS(X) \
    X(PQconnectdbParams)              \
    X(PQstatus)                       \
    X(PQsetNoticeProcessor)           \
    X(PQerrorMessage)                 \
    X(PQreset)                        \
    X(PQfinish)                       \
    X(PQexec)                         \
    X(PQexecParams)                   \
    X(PQresultStatus)                 \
    X(PQresultErrorField)             \
    X(PQntuples)                      \
    X(PQgetisnull)                    \
    X(PQgetvalue)                     \
    X(PQgetlength)                    \
    X(PQcmdTuples)                    \
    X(PQcmdStatus)                    \
    X(PQclear)

struct library {
#define PROMOTEBOT_LIBPQ_ENTRY(name) decltype(&::name) name = nullptr;
    PROMOTEBOT_LIBPQ_FUNCTIONS(PROMOTEBOT_LIBPQ_ENTRY)
#undef PROMOTEBOT_LIBPQ_ENTRY
};

// The process's libpq, loaded by the first call. Throws std::runtime_error
// (what opening a store throws, so the message names the store that needed
// it) when libpq.so.5 cannot be loaded or lacks a function; the outcome is
// kept, so a missing library is looked for once.
const library& libpq();

// Loads `soname` afresh and resolves the table from it, with the same
// errors; for tests of the failure paths. A loaded library stays loaded.
library load_libpq(const char* soname);

}  // namespace promotebot::postgresql::pq
