# Fails when a source file includes a header against the direction of the
# layers: commands <- bot/ports <- bot/services <- bot/main, and
# integrations -> bot/ports and commands only. Run as
#   cmake -DROOT=<tree> -P check_layering.cmake
if(NOT ROOT)
  message(FATAL_ERROR "pass -DROOT=<source tree>")
endif()

# folder -> the include prefixes its files may use (besides their own folder)
set(allowed_commands "commands/")
set(allowed_bot_ports "commands/;bot/ports/")
set(allowed_bot_config "commands/;bot/config/")
set(allowed_bot_services "commands/;bot/ports/;bot/config/;bot/services/")
set(allowed_integrations_net "integrations/net/")
set(allowed_integrations_slack "integrations/slack/;integrations/net/;commands/;bot/ports/")
set(allowed_integrations_store "integrations/store/;commands/;bot/ports/")
set(allowed_integrations_console "integrations/console/;commands/;bot/ports/")
set(allowed_integrations_process "integrations/process/;commands/;bot/ports/")
set(allowed_integrations_servicenow "integrations/servicenow/;integrations/net/;commands/;bot/ports/")
set(allowed_integrations_http "integrations/http/;commands/;bot/ports/")
set(allowed_integrations_dynatrace "integrations/dynatrace/;integrations/net/;commands/;bot/ports/")
# The pure domain uses no I/O library.
set(forbidden_system_commands "boost/asio;boost/beast;spdlog/;sqlite3.h;yaml-cpp/;openssl/ssl.h;dlfcn.h")
# Loading a library with dlopen is allowed in these files and no others, in
# any layer the check reads: each one is linking done late, on purpose.
# - commands/freeze/libical_library.cpp, bent for the pure domain: libical is
#   loaded at the first calendar read, so that a bot without .ics files never
#   maps it or ICU. That is not the domain doing I/O; no other domain file
#   may load libraries.
# - integrations/store/postgresql/libpq_library.cpp: libpq is loaded when the
#   first PostgreSQL store opens, so that a bot on SQLite never maps it or
#   the libldap, GSSAPI and GnuTLS stack it links. Other adapters link their
#   libraries.
set(dlfcn_allowed_in "commands/freeze/libical_library.cpp;integrations/store/postgresql/libpq_library.cpp")

file(GLOB_RECURSE sources RELATIVE ${ROOT} ${ROOT}/commands/*.?pp ${ROOT}/bot/*.?pp ${ROOT}/integrations/*.?pp)
set(violations "")
foreach(file ${sources})
  if(file MATCHES "^bot/main/" OR file MATCHES "^integrations/asio/")
    continue()  # the composition root wires everything; asio is only compiled there
  endif()
  string(REGEX MATCH "^(commands|bot/[a-z_]+|integrations/[a-z_]+)/" layer "${file}")
  if(layer MATCHES "^commands/")
    set(key commands)
  else()
    string(REGEX REPLACE "/$" "" key "${layer}")
    string(REPLACE "/" "_" key "${key}")
  endif()
  if(NOT DEFINED allowed_${key})
    list(APPEND violations "${file}: folder ${layer} has no layering rule")
    continue()
  endif()
  file(STRINGS ${ROOT}/${file} lines REGEX "^[ \t]*#[ \t]*include")
  foreach(line ${lines})
    if(line MATCHES "#[ \t]*include[ \t]+<dlfcn\\.h>" AND NOT key STREQUAL "commands")
      list(FIND dlfcn_allowed_in "${file}" loader)
      if(loader EQUAL -1)
        list(APPEND violations "${file}: includes <dlfcn.h>: only the libical and libpq loaders load libraries")
      endif()
    endif()
    if(line MATCHES "#[ \t]*include[ \t]+\"([^\"]+)\"")
      set(target "${CMAKE_MATCH_1}")
      set(ok FALSE)
      foreach(prefix ${allowed_${key}})
        string(FIND "${target}" "${prefix}" at)
        if(at EQUAL 0)
          set(ok TRUE)
        endif()
      endforeach()
      if(NOT ok)
        list(APPEND violations "${file}: includes \"${target}\" against the layering")
      endif()
    elseif(key STREQUAL "commands" AND line MATCHES "#[ \t]*include[ \t]+<([^>]+)>")
      set(target "${CMAKE_MATCH_1}")
      foreach(prefix ${forbidden_system_commands})
        string(FIND "${target}" "${prefix}" at)
        list(FIND dlfcn_allowed_in "${file}" loader)
        if(at EQUAL 0 AND NOT (prefix STREQUAL "dlfcn.h" AND NOT loader EQUAL -1))
          list(APPEND violations "${file}: the pure domain includes <${target}>")
        endif()
      endforeach()
    endif()
  endforeach()
endforeach()

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "layering violations:\n  ${text}")
endif()
list(LENGTH sources n)
message(STATUS "layering ok: ${n} files checked")
