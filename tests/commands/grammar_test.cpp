#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "commands/grammar/grammar.hpp"

using namespace promotebot::commands;

namespace {

template <typename T>
T expect(const parsed_command& parsed) {
    if (const auto* err = std::get_if<parse_error>(&parsed)) FAIL("unexpected parse error: " << err->message);
    REQUIRE(std::holds_alternative<T>(parsed));
    return std::get<T>(parsed);
}

parse_error expect_error(const parsed_command& parsed) {
    REQUIRE(std::holds_alternative<parse_error>(parsed));
    return std::get<parse_error>(parsed);
}

date::local_seconds local(int y, unsigned m, unsigned d, int hh = 0, int mm = 0) {
    return date::local_days{date::year{y} / date::month{m} / date::day{d}} + std::chrono::hours{hh} +
           std::chrono::minutes{mm};
}

bool has_control_character(const std::string& s) {
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("a version promotes to prod by default") {
    const auto req = expect<promote_request>(parse_command("/promote", "v1.4.2"));
    CHECK(req.version == "v1.4.2");
    CHECK(req.target == environment::prod);
    CHECK(req.change_records.empty());
    CHECK_FALSE(req.infra);
    CHECK_FALSE(req.emergency);
}

TEST_CASE("promote accepts every option, in any order, with case-insensitive keywords and extra spaces") {
    const auto req = expect<promote_request>(
        parse_command("/promote", "  v2.0.0-rc.1   TO   Int  Emergency change chg0012345  CHG12345678 INFRA  "));
    CHECK(req.version == "v2.0.0-rc.1");
    CHECK(req.target == environment::int_);
    CHECK(req.change_records == std::vector<std::string>{"CHG0012345", "CHG12345678"});
    CHECK(req.infra);
    CHECK(req.emergency);
}

TEST_CASE("change may be given more than once but a change record only once") {
    const auto req = expect<promote_request>(parse_command("/promote", "v1.0.0 change CHG0000001 infra change CHG0000002"));
    CHECK(req.change_records == std::vector<std::string>{"CHG0000001", "CHG0000002"});

    const auto err = expect_error(parse_command("/promote", "v1.0.0 change CHG0000001 chg0000001"));
    CHECK(err.message.find("`CHG0000001` is given twice") != std::string::npos);
}

TEST_CASE("promote without a version says a version is required") {
    const auto err = expect_error(parse_command("/promote", "   "));
    CHECK(err.message.find("a version is required") != std::string::npos);
    CHECK(err.usage.find("/promote <version>") == 0);
}

TEST_CASE("promote rejects what is not a version and quotes it") {
    for (const std::string bad : {"1.2.3", "v1.2", "v01.2.3", "v1.2.3-", "v1.2.3-rc..1", "V1.2.3", "v1.2.3+build",
                                  "v1.2.3;rm", "v1.2.3-rc_1"}) {
        INFO(bad);
        const auto err = expect_error(parse_command("/promote", bad));
        CHECK(err.message.find("`" + bad + "` is not a version") == 0);
    }
}

TEST_CASE("a version without its v prefix gets a suggestion") {
    CHECK(expect_error(parse_command("/promote", "1.4.2")).message.find("(did you mean `v1.4.2`?)") != std::string::npos);
    CHECK(expect_error(parse_command("/promote", "V1.4.2")).message.find("(did you mean `v1.4.2`?)") != std::string::npos);
    CHECK(expect_error(parse_command("/promote", "latest")).message.find("did you mean") == std::string::npos);
}

TEST_CASE("a change record without the change keyword is pointed out") {
    CHECK(expect_error(parse_command("/promote", "v1.0.0 chg0012345")).message ==
          "put `change` before the change record `chg0012345`, e.g. `change CHG0012345`");
}

TEST_CASE("promote rejects unknown words, repeated options and bad change records by name") {
    CHECK(expect_error(parse_command("/promote", "v1.0.0 now")).message.find("unexpected `now`") == 0);
    CHECK(expect_error(parse_command("/promote", "v1.0.0 infra infra")).message == "`infra` is given twice");
    CHECK(expect_error(parse_command("/promote", "v1.0.0 emergency emergency")).message == "`emergency` is given twice");
    CHECK(expect_error(parse_command("/promote", "v1.0.0 to int to prod")).message.find("`to` is given twice") == 0);
    CHECK(expect_error(parse_command("/promote", "v1.0.0 to staging")).message.find("`staging` is not an environment") ==
          0);
    CHECK(expect_error(parse_command("/promote", "v1.0.0 to")).message.find("`to` needs an environment") == 0);
    CHECK(expect_error(parse_command("/promote", "v1.0.0 change")).message.find("`change` needs at least one") == 0);
    CHECK(expect_error(parse_command("/promote", "v1.0.0 change CHG123")).message.find("`CHG123` is not a change record") ==
          0);
    CHECK(expect_error(parse_command("/promote", "v1.0.0 change CHG12345678901"))
              .message.find("is not a change record") != std::string::npos);
    CHECK(expect_error(parse_command("/promote", "v1.0.0 v1.0.1")).message.find("only one version") == 0);
}

TEST_CASE("the version allow-list follows semantic versioning with a v prefix and at most 64 characters") {
    CHECK(is_valid_version("v0.0.0"));
    CHECK(is_valid_version("v10.20.30"));
    CHECK(is_valid_version("v1.2.3-rc.1"));
    CHECK(is_valid_version("v1.2.3-0.alpha.BETA"));
    CHECK_FALSE(is_valid_version(""));
    CHECK_FALSE(is_valid_version("v1.2.3.4"));
    CHECK_FALSE(is_valid_version("v1.02.3"));
    CHECK_FALSE(is_valid_version("v1.2.3-"));
    CHECK_FALSE(is_valid_version("v1.2.3-rc.1."));
    CHECK_FALSE(is_valid_version(" v1.2.3"));
    const std::string at_limit = "v1.2.3-" + std::string(57, 'a');
    REQUIRE(at_limit.size() == 64);
    CHECK(is_valid_version(at_limit));
    CHECK_FALSE(is_valid_version(at_limit + "a"));
}

TEST_CASE("change records are CHG followed by 7 to 10 digits") {
    CHECK(is_valid_change_record("CHG1234567"));
    CHECK(is_valid_change_record("CHG1234567890"));
    CHECK_FALSE(is_valid_change_record("CHG123456"));
    CHECK_FALSE(is_valid_change_record("CHG12345678901"));
    CHECK_FALSE(is_valid_change_record("chg1234567"));
    CHECK_FALSE(is_valid_change_record("CHG12345a7"));
}

TEST_CASE("an empty rollback restores the previous good version on prod") {
    const auto req = expect<rollback_request>(parse_command("/rollback", ""));
    CHECK(req.what == rollback_request::kind::image);
    CHECK(req.target == environment::prod);
    CHECK_FALSE(req.to_version.has_value());
}

TEST_CASE("rollback names an environment and optionally a version") {
    auto req = expect<rollback_request>(parse_command("/rollback", "INT"));
    CHECK(req.target == environment::int_);
    CHECK_FALSE(req.to_version.has_value());

    req = expect<rollback_request>(parse_command("/rollback", "prod to v1.4.1"));
    CHECK(req.what == rollback_request::kind::image);
    CHECK(req.target == environment::prod);
    CHECK(req.to_version == std::optional<std::string>{"v1.4.1"});

    req = expect<rollback_request>(parse_command("/rollback", "to v1.4.1-rc.2 int"));
    CHECK(req.target == environment::int_);
    CHECK(req.to_version == std::optional<std::string>{"v1.4.1-rc.2"});

    CHECK(expect_error(parse_command("/rollback", "prod to 1.4")).message.find("`1.4` is not a version") == 0);
    CHECK(expect_error(parse_command("/rollback", "prod int")).message.find("environment is given twice") !=
          std::string::npos);
    CHECK(expect_error(parse_command("/rollback", "yesterday")).message.find("unexpected `yesterday`") == 0);
}

TEST_CASE("rollback dbt rebuilds a model whose name passes the allow-list") {
    const auto req = expect<rollback_request>(parse_command("/rollback", "DBT fct_orders"));
    CHECK(req.what == rollback_request::kind::dbt);
    CHECK(req.dbt_models == std::vector<std::string>{"fct_orders"});

    CHECK(expect_error(parse_command("/rollback", "dbt")).message.find("needs a model name") != std::string::npos);
    CHECK(expect_error(parse_command("/rollback", "dbt 1orders")).message.find("`1orders` is not a dbt model") == 0);
    CHECK(expect_error(parse_command("/rollback", "dbt orders;drop")).message.find("is not a dbt model") !=
          std::string::npos);
    CHECK(is_valid_dbt_model("_" + std::string(127, 'a')));
    CHECK_FALSE(is_valid_dbt_model("_" + std::string(128, 'a')));
}

TEST_CASE("rollback dbt takes several models once each and at most 20") {
    const auto req = expect<rollback_request>(parse_command("/rollback", "dbt fct_orders dim_customers fct_orders"));
    CHECK(req.dbt_models == std::vector<std::string>{"fct_orders", "dim_customers"});

    // One bad name refuses the whole command: nothing half-understood is run.
    CHECK(expect_error(parse_command("/rollback", "dbt fct_orders --full-refresh"))
              .message.find("`--full-refresh` is not a dbt model") == 0);
    CHECK(expect_error(parse_command("/rollback", "dbt fct_orders -s")).message.find("`-s` is not a dbt model") == 0);

    std::string twenty = "dbt";
    for (int i = 0; i < 20; ++i) twenty += " m" + std::to_string(i);
    CHECK(expect<rollback_request>(parse_command("/rollback", twenty)).dbt_models.size() == 20);
    CHECK(expect<rollback_request>(parse_command("/rollback", twenty + " m0 m19")).dbt_models.size() == 20);
    CHECK(expect_error(parse_command("/rollback", twenty + " m20")).message.find("at most 20 dbt models") !=
          std::string::npos);
}

TEST_CASE("rollback infra reverts Terraform on prod unless int is named") {
    auto req = expect<rollback_request>(parse_command("/rollback", "infra"));
    CHECK(req.what == rollback_request::kind::infra);
    CHECK(req.target == environment::prod);
    req = expect<rollback_request>(parse_command("/rollback", "infra int"));
    CHECK(req.what == rollback_request::kind::infra);
    CHECK(req.target == environment::int_);
    CHECK(expect_error(parse_command("/rollback", "infra dev")).message.find("`dev` is not an environment") == 0);
    CHECK(expect_error(parse_command("/rollback", "infra int now")).message.find("unexpected `now`") == 0);
}

TEST_CASE("an empty freeze or freeze status asks for the status") {
    CHECK(expect<freeze_request>(parse_command("/freeze", "")).what == freeze_request::kind::status);
    CHECK(expect<freeze_request>(parse_command("/freeze", " Status ")).what == freeze_request::kind::status);
    CHECK(expect_error(parse_command("/freeze", "status now")).message.find("unexpected `now`") == 0);
}

TEST_CASE("freeze calendar shows the current month unless given YYYY-MM") {
    auto req = expect<freeze_request>(parse_command("/freeze", "calendar"));
    CHECK(req.what == freeze_request::kind::calendar);
    CHECK_FALSE(req.month.has_value());
    req = expect<freeze_request>(parse_command("/freeze", "Calendar 2026-12"));
    CHECK(req.what == freeze_request::kind::calendar);
    REQUIRE(req.month.has_value());
    CHECK(*req.month == date::year{2026} / date::December);
    CHECK(*expect<freeze_request>(parse_command("/freeze", "calendar 2027-01")).month == date::year{2027} / date::January);
}

TEST_CASE("freeze calendar refuses what is not a month with the shape it expects") {
    for (const std::string bad : {"2026-13", "2026-00", "2026-1", "2026-012", "26-12", "2026/12", "december",
                                  "2026-12-01", "2026-1x"}) {
        INFO(bad);
        const auto err = expect_error(parse_command("/freeze", "calendar " + bad));
        CHECK(err.message == "`" + bad + "` is not a month: expected YYYY-MM, e.g. 2026-12");
        CHECK(err.usage.find("/freeze calendar [YYYY-MM]") != std::string::npos);
    }
    CHECK(expect_error(parse_command("/freeze", "calendar 1999-12")).message ==
          "`1999-12` is outside the freeze calendar's years, from 2000 to 2200");
    CHECK(expect_error(parse_command("/freeze", "calendar 2026-12 2027-01")).message.find("unexpected `2027-01`") == 0);
}

TEST_CASE("parse_year_month takes exactly YYYY-MM within the calendar's years") {
    CHECK(parse_year_month("2000-01") == date::year{2000} / date::January);
    CHECK(parse_year_month("2200-12") == date::year{2200} / date::December);
    CHECK_FALSE(parse_year_month("2201-01").has_value());
    CHECK_FALSE(parse_year_month("2026-13").has_value());
    CHECK_FALSE(parse_year_month("").has_value());
    CHECK_FALSE(parse_year_month("2026-12 ").has_value());
}

TEST_CASE("freeze list looks 60 days ahead unless told from 1 to 366") {
    auto req = expect<freeze_request>(parse_command("/freeze", "list"));
    CHECK(req.what == freeze_request::kind::list);
    CHECK(req.days == 60);
    CHECK(expect<freeze_request>(parse_command("/freeze", "list 1")).days == 1);
    CHECK(expect<freeze_request>(parse_command("/freeze", "list 366")).days == 366);
    for (const std::string bad : {"0", "367", "-5", "ten", "99999999999999999999999"}) {
        INFO(bad);
        CHECK(expect_error(parse_command("/freeze", "list " + bad)).message.find("`" + bad + "` is not a number of days") ==
              0);
    }
}

TEST_CASE("freeze add takes a bare end date as the end of that day") {
    const auto req = expect<freeze_request>(parse_command("/freeze", "add 2026-12-01 2026-12-03 Annual  audit of Q4"));
    CHECK(req.what == freeze_request::kind::add);
    CHECK(req.from == local(2026, 12, 1));
    CHECK(req.to == local(2026, 12, 4));
    CHECK(req.reason == "Annual audit of Q4");
}

TEST_CASE("freeze add accepts times to the minute") {
    const auto req = expect<freeze_request>(parse_command("/freeze", "add 2026-12-31T18:30 2027-01-01t06:00 year end"));
    CHECK(req.from == local(2026, 12, 31, 18, 30));
    CHECK(req.to == local(2027, 1, 1, 6, 0));
    const auto one_day = expect<freeze_request>(parse_command("/freeze", "add 2026-02-28 2026-02-28 one day"));
    CHECK(one_day.to - one_day.from == std::chrono::hours{24});
}

TEST_CASE("freeze add rejects dates that are not on the calendar") {
    for (const std::string bad : {"2026-02-30", "2026-13-01", "2025-02-29", "2026-1-5", "2026-01-01T24:00",
                                  "2026-01-01T12:60", "01/02/2026", "tomorrow"}) {
        INFO(bad);
        const auto err = expect_error(parse_command("/freeze", "add " + bad + " 2026-12-31 reason"));
        CHECK(err.message.find("`" + bad + "` is not a valid start") == 0);
    }
    CHECK(expect<freeze_request>(parse_command("/freeze", "add 2028-02-29 2028-03-01 leap")).from == local(2028, 2, 29));
}

TEST_CASE("freeze add needs the end after the start and quotes both") {
    const auto err = expect_error(parse_command("/freeze", "add 2026-12-03T10:00 2026-12-03T09:00 backwards"));
    CHECK(err.message == "the end `2026-12-03T09:00` must be after the start `2026-12-03T10:00`");
    CHECK(expect_error(parse_command("/freeze", "add 2026-12-03T10:00 2026-12-03T10:00 empty"))
              .message.find("must be after the start") != std::string::npos);
}

TEST_CASE("freeze add needs a reason of at most 200 characters without control characters") {
    CHECK(expect_error(parse_command("/freeze", "add 2026-12-01 2026-12-02")).message.find("needs a start, an end and a reason") !=
          std::string::npos);
    const std::string at_limit(200, 'r');
    CHECK(expect<freeze_request>(parse_command("/freeze", "add 2026-12-01 2026-12-02 " + at_limit)).reason == at_limit);
    CHECK(expect_error(parse_command("/freeze", "add 2026-12-01 2026-12-02 " + at_limit + "r")).message.find("201 characters") !=
          std::string::npos);
    // Multi-byte characters count once each.
    std::string accents;
    for (int i = 0; i < 200; ++i) accents += "é";
    CHECK(expect<freeze_request>(parse_command("/freeze", "add 2026-12-01 2026-12-02 " + accents)).reason == accents);
    CHECK(expect_error(parse_command("/freeze", std::string("add 2026-12-01 2026-12-02 bad\x1b[31mred")))
              .message.find("control character") != std::string::npos);
    CHECK(expect_error(parse_command("/freeze", std::string("add 2026-12-01 2026-12-02 bad\xff")))
              .message.find("not valid UTF-8") != std::string::npos);
}

TEST_CASE("freeze remove takes a positive window ID") {
    CHECK(expect<freeze_request>(parse_command("/freeze", "remove 42")).id == 42);
    CHECK(expect<freeze_request>(parse_command("/freeze", "REMOVE 42")).what == freeze_request::kind::remove);
    for (const std::string bad : {"0", "-1", "abc", "1.5", "9999999999999999999"}) {
        INFO(bad);
        CHECK(expect_error(parse_command("/freeze", "remove " + bad)).message.find("`" + bad + "` is not a window ID") == 0);
    }
    CHECK(expect_error(parse_command("/freeze", "remove")).message.find("needs the ID") != std::string::npos);
    CHECK(expect_error(parse_command("/freeze", "remove 1 2")).message.find("unexpected `2`") == 0);
    CHECK(expect_error(parse_command("/freeze", "thaw")).message.find("unexpected `thaw`") == 0);
}

TEST_CASE("promote override-bad takes the rest of the text as its reason") {
    auto req = expect<promote_request>(
        parse_command("/promote", "v1.2.3 change CHG0012345 override-bad  the cause was  config, see CHG0012399 emergency"));
    CHECK(req.change_records == std::vector<std::string>{"CHG0012345"});
    CHECK(req.override_bad_reason == "the cause was config, see CHG0012399 emergency");
    CHECK_FALSE(req.emergency);  // a word of the reason, not the keyword

    req = expect<promote_request>(parse_command("/promote", "v1.2.3 OVERRIDE-BAD fixed"));
    CHECK(req.override_bad_reason == "fixed");
    CHECK(expect<promote_request>(parse_command("/promote", "v1.2.3")).override_bad_reason.empty());

    CHECK(expect_error(parse_command("/promote", "v1.2.3 override-bad")).message.find("needs a reason") !=
          std::string::npos);
    CHECK(expect_error(parse_command("/promote", "v1.2.3 override-bad   ")).message.find("needs a reason") !=
          std::string::npos);
    const std::string long_reason(301, 'x');
    CHECK(expect_error(parse_command("/promote", "v1.2.3 override-bad " + long_reason))
              .message.find("at most 300") != std::string::npos);
    CHECK(expect<promote_request>(parse_command("/promote", "v1.2.3 override-bad " + long_reason.substr(1)))
              .override_bad_reason.size() == 300);
    CHECK(expect_error(parse_command("/promote", std::string("v1.2.3 override-bad a\x1b]0;x"))).message.find(
              "control character") != std::string::npos);
}

TEST_CASE("help explains every form of each command with an example") {
    for (const auto& known : known_commands()) {
        INFO(known.command);
        const auto help = expect<help_request>(parse_command(known.command, " HELP "));
        CHECK(help.command == known.command);
        CHECK(std::count(help.text.begin(), help.text.end(), '\n') >= 3);
        CHECK(help.text.find("e.g.") != std::string::npos);
    }
    const auto freeze = expect<help_request>(parse_command("/freeze", "help"));
    for (const char* form : {"/freeze status", "/freeze list", "/freeze add", "/freeze remove"})
        CHECK(freeze.text.find(form) != std::string::npos);
    const auto rollback = expect<help_request>(parse_command("/rollback", "help"));
    for (const char* form : {"/rollback dbt", "/rollback infra", "/rollback prod to"})
        CHECK(rollback.text.find(form) != std::string::npos);
    const auto promote = expect<help_request>(parse_command("/promote", "help"));
    CHECK(promote.text.find("override-bad <reason…>") != std::string::npos);
}

TEST_CASE("an unknown command lists the commands that exist") {
    const auto err = expect_error(parse_command("/deploy", "v1.0.0"));
    CHECK(err.message.find("`/deploy`") == 0);
    for (const auto& known : known_commands()) {
        CHECK(err.message.find(known.command) != std::string::npos);
        CHECK(err.usage.find(known.usage) != std::string::npos);
    }
}

TEST_CASE("command names are matched without regard to case") {
    CHECK(expect<promote_request>(parse_command("/PROMOTE", "v1.0.0")).version == "v1.0.0");
}

TEST_CASE("known commands come in display order with usage and summary") {
    const auto& known = known_commands();
    REQUIRE(known.size() == 3);
    CHECK(known[0].command == "/promote");
    CHECK(known[1].command == "/rollback");
    CHECK(known[2].command == "/freeze");
    for (const auto& k : known) {
        CHECK(k.usage.find(k.command) == 0);
        CHECK_FALSE(k.summary.empty());
    }
}

TEST_CASE("errors truncate long input and never echo control characters") {
    const std::string long_word = "x" + std::string(500, 'y');
    const auto err = expect_error(parse_command("/promote", "v1.0.0 " + long_word));
    CHECK(err.message.size() < 200);
    CHECK(err.message.find("…") != std::string::npos);

    const auto ctl = expect_error(parse_command("/rollback", std::string("dbt a\x1b]0;owned\x07")));
    CHECK_FALSE(has_control_character(ctl.message));
    const auto tick = expect_error(parse_command("/promote", "v1.0.0 `oops`"));
    CHECK(tick.message.find("`'oops'`") != std::string::npos);
    const auto cmd = expect_error(parse_command(std::string("/\x1b[2Jx"), ""));
    CHECK_FALSE(has_control_character(cmd.message));
}

TEST_CASE("environments print as int and prod") {
    CHECK(to_string(environment::int_) == "int");
    CHECK(to_string(environment::prod) == "prod");
}

TEST_CASE("one parser reads dates, local times, seconds and UTC offsets for every caller") {
    const auto day = parse_moment("2026-12-24");
    REQUIRE(day);
    CHECK(day->date_only);
    CHECK(day->at == local(2026, 12, 24));
    CHECK_FALSE(day->utc_offset);

    const auto minute = parse_moment("2026-12-24T10:05");
    REQUIRE(minute);
    CHECK_FALSE(minute->date_only);
    CHECK_FALSE(minute->with_seconds);
    CHECK(minute->at == local(2026, 12, 24, 10, 5));

    const auto second = parse_moment("2026-11-10T09:00:30Z");
    REQUIRE(second);
    CHECK(second->with_seconds);
    CHECK(second->at == local(2026, 11, 10, 9) + std::chrono::seconds{30});
    CHECK(second->utc_offset == std::chrono::minutes{0});

    const auto summer = parse_moment("2026-07-29T12:00+01:00");
    REQUIRE(summer);
    CHECK(summer->utc_offset == std::chrono::minutes{60});
    const auto west = parse_moment("2026-07-29T12:00:00-05:30");
    REQUIRE(west);
    CHECK(west->utc_offset == -std::chrono::minutes{330});

    for (const std::string bad : {"2026-02-30", "2026-1-5", "2026-01-01T24:00", "2026-01-01T12:00:60",
                                  "2026-01-01T12:00:5", "2026-01-01T12:00+1:00", "2026-01-01T12:00+01",
                                  "2026-01-01T12:00Zulu", "2026-01-01 12:00", "1969-12-31", "2026-01-01T", ""}) {
        INFO(bad);
        CHECK_FALSE(parse_moment(bad));
    }
}

TEST_CASE("chat commands and the config take local dates and minutes only, never seconds or offsets") {
    CHECK(parse_local_moment("2026-12-24T10:05"));
    CHECK(parse_local_moment("2026-12-24")->date_only);
    CHECK_FALSE(parse_local_moment("2026-12-24T10:05:00"));
    CHECK_FALSE(parse_local_moment("2026-12-24T10:05Z"));
    CHECK_FALSE(parse_local_moment("2026-12-24T10:05+01:00"));
    CHECK(expect_error(parse_command("/freeze", "add 2026-12-01T10:00Z 2026-12-03 audit"))
              .message.find("is not a valid start") != std::string::npos);
}

TEST_CASE("freeze add refuses years outside 2000 to 2200 and names the value") {
    const auto far = expect_error(parse_command("/freeze", "add 2026-12-01 9999-12-31 forever"));
    CHECK(far.message.find("`9999-12-31` is not a valid end: the year 9999 is outside the freeze calendar's years, "
                           "from 2000 to 2200") == 0);
    const auto early = expect_error(parse_command("/freeze", "add 1999-12-31T23:00 2026-01-01 y2k"));
    CHECK(early.message.find("`1999-12-31T23:00` is not a valid start: the year 1999 is outside") == 0);
    const auto edges = expect<freeze_request>(parse_command("/freeze", "add 2000-01-01 2200-12-31 edges"));
    CHECK(edges.from == local(2000, 1, 1));
    CHECK(edges.to == local(2201, 1, 1));
}

TEST_CASE("typed moments outside the calendar's years are refused everywhere") {
    for (const std::string bad : {"1846-06-01T12:00Z", "1999-12-31", "2201-01-01", "9999-12-31T23:59:59+01:00"}) {
        INFO(bad);
        CHECK_FALSE(parse_moment(bad));
        CHECK(year_outside_calendar(bad));
    }
    CHECK(parse_moment("2200-12-31T23:59:59Z"));
    CHECK_FALSE(year_outside_calendar("2026-02-30"));
    CHECK_FALSE(year_outside_calendar("tomorrow"));
}
