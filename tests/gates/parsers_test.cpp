// The request URLs and the parsers of ServiceNow's and Dynatrace's answers,
// on bodies written here: what a hostile or broken answer turns into.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "integrations/dynatrace/problems_api.hpp"
#include "integrations/servicenow/table_api.hpp"

namespace snow = promotebot::servicenow;
namespace dt = promotebot::dynatrace;
using nlohmann::json;

namespace {

const std::string instance = "https://example.service-now.com";

json cr_row() {
    return {{"number", "CHG0012345"},          {"sys_id", "a9e30c7dc61122760116894de7bcc7bd"},
            {"type", "normal"},                {"approval", "approved"},
            {"state", "-1"},                   {"start_date", "2026-11-28 10:00:00"},
            {"end_date", "2026-11-28 14:00:00"}};
}

}  // namespace

TEST_CASE("a Change Record number is CHG and 7 to 10 digits") {
    CHECK(snow::valid_change_number("CHG0012345"));
    CHECK(snow::valid_change_number("CHG0000012345"));
    CHECK_FALSE(snow::valid_change_number("CHG012345"));
    CHECK_FALSE(snow::valid_change_number("CHG00000012345"));
    CHECK_FALSE(snow::valid_change_number("chg0012345"));
    CHECK_FALSE(snow::valid_change_number("CHG0012345^ORnumber!=x"));
    CHECK_FALSE(snow::valid_change_number(""));
}

TEST_CASE("the change request URL carries the numbers encoded in sysparm_query") {
    CHECK(snow::change_requests_url(instance, {"CHG0012345", "CHG0012346"}) ==
          instance + "/api/now/table/change_request?sysparm_query=numberINCHG0012345%2CCHG0012346"
                     "&sysparm_display_value=false&sysparm_exclude_reference_link=true"
                     "&sysparm_fields=number%2Csys_id%2Ctype%2Capproval%2Cstate%2Cstart_date%2Cend_date&sysparm_limit=50");
    CHECK_THROWS_AS(snow::change_requests_url(instance, {"CHG0012345^NQactive=true"}), std::invalid_argument);
}

TEST_CASE("the incident URL narrows active P1 and P2 by the configured query") {
    CHECK_THAT(snow::open_incidents_url(instance, "assignment_group=abc"),
               Catch::StartsWith(instance + "/api/now/table/incident?sysparm_query=active%3Dtrue%5EpriorityIN1%2C2%5E"
                                            "assignment_group%3Dabc&"));
    CHECK(snow::valid_incident_query(""));
    CHECK(snow::valid_incident_query("cmdb_ci=abc^assignment_group=def^ORassignment_group=ghi"));
    CHECK(snow::valid_incident_query("ORDERBYnumber"));
    CHECK_FALSE(snow::valid_incident_query("ORpriority=4"));
    CHECK_FALSE(snow::valid_incident_query("cmdb_ci=abc^NQpriority=4"));
    CHECK_FALSE(snow::valid_incident_query("cmdb_ci=abc\n"));
    CHECK_FALSE(snow::valid_incident_query(std::string(513, 'a')));
}

TEST_CASE("an instance URL is https without credentials, and loses its trailing slash") {
    CHECK(snow::normalized_instance_url("https://example.service-now.com/") == instance);
    CHECK_FALSE(snow::normalized_instance_url("http://example.service-now.com"));
    CHECK_FALSE(snow::normalized_instance_url("https://u:p@example.service-now.com"));
    CHECK_FALSE(snow::normalized_instance_url("https://example.service-now.com/?x=1"));
    CHECK_FALSE(snow::normalized_instance_url("not a url"));
}

TEST_CASE("ServiceNow date-times are read as UTC and refused when not real") {
    using namespace std::chrono;
    CHECK(snow::parse_date_time("2026-11-28 10:00:05") ==
          sys_days{year{2026} / 11 / 28} + hours{10} + seconds{5});
    CHECK_FALSE(snow::parse_date_time("2026-02-30 10:00:00"));
    CHECK_FALSE(snow::parse_date_time("2026-11-28 24:00:00"));
    CHECK_FALSE(snow::parse_date_time("2026-11-28T10:00:00"));
    CHECK_FALSE(snow::parse_date_time("2026-11-28 10:00"));
    CHECK_FALSE(snow::parse_date_time("2026-1a-28 10:00:00"));
}

TEST_CASE("change requests are read from a Table API answer") {
    const auto rows = snow::parse_change_requests(json{{"result", {cr_row()}}}.dump(), instance);
    REQUIRE(rows.ok());
    REQUIRE(rows.rows.size() == 1);
    const auto& cr = rows.rows[0];
    CHECK(cr.number == "CHG0012345");
    CHECK(cr.approval == "approved");
    CHECK(cr.state == "-1");
    CHECK(cr.start == snow::parse_date_time("2026-11-28 10:00:00"));
    CHECK(cr.link == instance + "/nav_to.do?uri=change_request.do?sys_id=a9e30c7dc61122760116894de7bcc7bd");

    json no_window = cr_row();
    no_window["start_date"] = "";
    no_window.erase("end_date");
    const auto open = snow::parse_change_requests(json{{"result", {no_window}}}.dump(), instance);
    REQUIRE(open.ok());
    CHECK_FALSE(open.rows[0].start);
    CHECK_FALSE(open.rows[0].end);
}

TEST_CASE("a hostile change request answer gives a clear error and no records") {
    auto error_of = [](const std::string& body) { return snow::parse_change_requests(body, instance).error; };
    CHECK(error_of("<html>login</html>") == "the answer is not JSON");
    CHECK(error_of("[]") == "the answer is not a JSON object");
    CHECK(error_of(R"({"result":{}})") == "the answer has no \"result\" list");
    CHECK(error_of(std::string(100000, '[')) == "the answer is nested deeper than 8 levels");

    json wrong_type = cr_row();
    wrong_type["approval"] = json{{"value", "approved"}};
    CHECK(error_of(json{{"result", {cr_row(), wrong_type}}}.dump()) == "record 2 \"approval\" is not a string");
    json missing = cr_row();
    missing.erase("state");
    CHECK(error_of(json{{"result", {missing}}}.dump()) == "record 1 has no \"state\"");
    json bad_id = cr_row();
    bad_id["sys_id"] = "../../../etc";
    CHECK(error_of(json{{"result", {bad_id}}}.dump()) == "record 1 has no valid \"sys_id\"");
    json bad_date = cr_row();
    bad_date["end_date"] = "tomorrow";
    CHECK(error_of(json{{"result", {bad_date}}}.dump()) == "record 1 \"end_date\" is not a date and time");
    CHECK(error_of(json{{"result", {42}}}.dump()) == "record 1 is not an object");

    json many = json::array();
    for (int i = 0; i < 51; ++i) many.push_back(cr_row());
    CHECK(error_of(json{{"result", many}}.dump()) == "the answer has 51 records, more than the 50 asked for");

    const auto r = snow::parse_change_requests(json{{"result", {cr_row(), wrong_type}}}.dump(), instance);
    CHECK(r.rows.empty());
}

TEST_CASE("incidents are read from a Table API answer and hostile ones refused") {
    const json row = {{"number", "INC0010001"}, {"priority", "1"}, {"state", "2"},
                      {"short_description", "Checkout down"}, {"sys_id", "9d385017c611228701d22104cc95c371"}};
    const auto rows = snow::parse_incidents(json{{"result", {row}}}.dump(), instance);
    REQUIRE(rows.ok());
    CHECK(rows.rows[0] == promotebot::commands::incident{"INC0010001", "1", "2", "Checkout down",
                                                         instance + "/nav_to.do?uri=incident.do?sys_id=9d385017c611228701d22104cc95c371"});
    json numeric = row;
    numeric["priority"] = 1;
    CHECK(snow::parse_incidents(json{{"result", {numeric}}}.dump(), instance).error ==
          "record 1 \"priority\" is not a string");
    json huge = row;
    huge["short_description"] = std::string(5000, 'x');
    CHECK_FALSE(snow::parse_incidents(json{{"result", {huge}}}.dump(), instance).ok());
}

TEST_CASE("the Dynatrace problems URL asks for open problems in the configured scope") {
    CHECK(dt::problems_url("https://abc12345.live.dynatrace.com", "managementZones(\"markets-prod\")") ==
          "https://abc12345.live.dynatrace.com/api/v2/problems?problemSelector="
          "status%28%22open%22%29%2CmanagementZones%28%22markets-prod%22%29&pageSize=100");
    CHECK(dt::problems_url("https://abc12345.live.dynatrace.com", "") ==
          "https://abc12345.live.dynatrace.com/api/v2/problems?problemSelector=status%28%22open%22%29&pageSize=100");
    CHECK_FALSE(dt::valid_problem_selector("status(\"closed\")"));
    CHECK_FALSE(dt::valid_problem_selector("managementZones(\"a\")\r\nX-Injected: 1"));
    CHECK(dt::normalized_environment_url("https://dt.example.com/e/1234abcd/") == "https://dt.example.com/e/1234abcd");
    CHECK(dt::problems_link("https://dt.example.com/e/1234abcd") == "https://dt.example.com/e/1234abcd/#problems");
}

TEST_CASE("open problems are read from a Dynatrace answer, closed ones left out") {
    const json body = {{"totalCount", 2},
                       {"pageSize", 100},
                       {"problems",
                        {{{"problemId", "-1_1V2"}, {"displayId", "P-1"}, {"title", "Slow"}, {"status", "OPEN"},
                          {"severityLevel", "PERFORMANCE"}, {"startTime", 1764324000000LL}},
                         {{"problemId", "-2_1V2"}, {"displayId", "P-2"}, {"title", "Gone"}, {"status", "CLOSED"},
                          {"severityLevel", "ERROR"}, {"startTime", 1764320000000LL}}}}};
    const auto open = dt::parse_problems(body.dump());
    REQUIRE(open.ok());
    REQUIRE(open.problems.size() == 1);
    CHECK(open.total == 1);
    CHECK(open.problems[0].display_id == "P-1");
    CHECK(open.problems[0].severity == "PERFORMANCE");
    CHECK(open.problems[0].start == std::chrono::sys_seconds{std::chrono::seconds{1764324000}});
}

TEST_CASE("a hostile Dynatrace answer gives a clear error and no problems") {
    auto error_of = [](const std::string& body) { return dt::parse_problems(body).error; };
    CHECK(error_of("{") == "the answer is not JSON");
    CHECK(error_of(R"({"problems":[]})") == "the answer has no \"totalCount\"");
    CHECK(error_of(R"({"totalCount":-1,"problems":[]})") == "the answer has no \"totalCount\"");
    CHECK(error_of(R"({"totalCount":1,"problems":{}})") == "the answer has no \"problems\" list");
    CHECK(error_of(R"({"totalCount":1,"problems":[{"problemId":"x","title":7,"status":"OPEN"}]})") ==
          "problem 1 \"title\" is not a string");
    CHECK(error_of(R"({"totalCount":1,"problems":[{"problemId":"x","title":"t","status":"OPEN","startTime":"soon"}]})") ==
          "problem 1 \"startTime\" is not a number");
    CHECK(error_of(R"({"totalCount":1,"problems":["x"]})") == "problem 1 is not an object");
    json many = json::array();
    for (int i = 0; i < 101; ++i) many.push_back({{"problemId", "x"}, {"title", "t"}, {"status", "OPEN"}});
    CHECK(error_of(json{{"totalCount", 101}, {"problems", many}}.dump()) ==
          "the answer lists 101 problems, more than the 100 asked for");
    // A start time far outside any real one is dropped, not converted.
    const auto odd = dt::parse_problems(
        R"({"totalCount":1,"problems":[{"problemId":"x","title":"t","status":"OPEN","startTime":1e300}]})");
    REQUIRE(odd.ok());
    CHECK_FALSE(odd.problems[0].start);
}
