// libFuzzer target for the command grammar: whatever the text, anything the
// parser accepts satisfies the allow-lists that later code relies on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

// The grammar is compiled into this target, not taken from the library, so
// that libFuzzer's coverage instrumentation sees its branches (the library is
// built without -fsanitize=fuzzer). The archive's copy is then never linked.
#include "commands/grammar/grammar.cpp"  // NOLINT(bugprone-suspicious-include)

namespace {

using namespace promotebot::commands;

void require(bool condition) {
    if (!condition) std::abort();
}

bool has_control_character(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7F) return true;
        if (c == 0xC2 && i + 1 < s.size()) {
            const auto c2 = static_cast<unsigned char>(s[i + 1]);
            if (c2 >= 0x80 && c2 <= 0x9F) return true;
        }
    }
    return false;
}

void check(const parsed_command& parsed) {
    if (const auto* p = std::get_if<promote_request>(&parsed)) {
        require(is_valid_version(p->version));
        for (const auto& c : p->change_records) require(is_valid_change_record(c));
        for (std::size_t i = 0; i < p->change_records.size(); ++i)
            for (std::size_t j = i + 1; j < p->change_records.size(); ++j)
                require(p->change_records[i] != p->change_records[j]);
        require(!has_control_character(p->override_bad_reason));
    } else if (const auto* r = std::get_if<rollback_request>(&parsed)) {
        if (r->what == rollback_request::kind::dbt) {
            require(!r->dbt_models.empty() && r->dbt_models.size() <= max_rollback_dbt_models);
            for (const auto& m : r->dbt_models) require(is_valid_dbt_model(m));
        }
        if (r->to_version) require(is_valid_version(*r->to_version));
    } else if (const auto* f = std::get_if<freeze_request>(&parsed)) {
        if (f->what == freeze_request::kind::add) {
            require(f->from < f->to);
            require(!f->reason.empty());
            require(!has_control_character(f->reason));
        }
        if (f->what == freeze_request::kind::list) require(f->days >= 1 && f->days <= 366);
        if (f->what == freeze_request::kind::remove) require(f->id > 0);
        if (f->what == freeze_request::kind::calendar && f->month) {
            require(f->month->ok());
            require(static_cast<int>(f->month->year()) >= first_calendar_year);
            require(static_cast<int>(f->month->year()) <= last_calendar_year);
        }
    } else if (const auto* h = std::get_if<help_request>(&parsed)) {
        require(!h->text.empty());
    } else if (const auto* e = std::get_if<parse_error>(&parsed)) {
        require(!e->message.empty());
        require(!has_control_character(e->message));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // The first byte picks a known command most of the time so the fuzzer
    // spends its effort inside the grammars; otherwise the input carries its
    // own command up to the first space.
    std::string_view command;
    std::string_view text;
    if (!input.empty() && static_cast<unsigned char>(input[0]) % 4 != 3) {
        constexpr std::string_view names[] = {"/promote", "/rollback", "/freeze"};
        command = names[static_cast<unsigned char>(input[0]) % 4];
        text = input.substr(1);
    } else {
        const auto rest = input.empty() ? input : input.substr(1);
        const auto space = rest.find(' ');
        command = rest.substr(0, space);
        text = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    }
    check(parse_command(command, text));
    return 0;
}
