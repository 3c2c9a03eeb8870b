// The ServiceNow and Dynatrace gate checkers over TLS against the in-process
// fakes of those services on loopback ports, the fakes' CA as ca_file.
#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "integrations/dynatrace/dynatrace_gate.hpp"
#include "integrations/servicenow/servicenow_gates.hpp"
#include "tests/fake_services/fake_dynatrace.hpp"
#include "tests/fake_services/fake_servicenow.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;
using promotebot::bot::gate_subject;
using promotebot::commands::gate_result;
using promotebot::commands::gate_state;
using promotebot::dynatrace::dynatrace_gate;
using promotebot::dynatrace::dynatrace_options;
using promotebot::servicenow::servicenow_change_gate;
using promotebot::servicenow::servicenow_client;
using promotebot::servicenow::servicenow_incident_gate;
using promotebot::servicenow::servicenow_options;
using promotebot::testing::failure_mode;
using promotebot::testing::fake_dynatrace;
using promotebot::testing::fake_servicenow;

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> work) {
    auto result = asio::co_spawn(ioc, std::move(work), asio::use_future);
    ioc.restart();
    ioc.run();
    return result.get();
}

// A loopback port with nothing listening on it: connecting is refused.
unsigned short closed_port(asio::io_context& ioc) {
    asio::ip::tcp::acceptor probe(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    return port;
}

// 2026-11-28 UTC at the given hour and minute: the time the gates are asked at.
std::chrono::sys_seconds at(int hour, int minute = 0) {
    return std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + std::chrono::hours{hour} +
           std::chrono::minutes{minute};
}

gate_subject subject(std::vector<std::string> change_records, std::chrono::sys_seconds now = at(11, 30),
                     bool emergency = false) {
    gate_subject s;
    s.promotion_id = 42;
    s.version = "v1.2.3";
    s.environment = "prod";
    s.change_records = std::move(change_records);
    s.emergency = emergency;
    s.now = now;
    return s;
}

servicenow_options options_for(const fake_servicenow& fake) {
    servicenow_options o;
    o.url = fake.url();
    o.username = fake.options().username;
    o.password = fake.options().password;
    o.ca_file = fake.ca_file();
    o.timeout = 5s;
    return o;
}

dynatrace_options options_for(const fake_dynatrace& fake) {
    dynatrace_options o;
    o.url = fake.url();
    o.api_token = fake.options().api_token;
    o.problem_selector = "managementZones(\"markets-prod\")";
    o.ca_file = fake.ca_file();
    o.timeout = 5s;
    return o;
}

// A change_request row as the Table API holds it with display values off.
json change_row(const std::string& number, const std::string& approval, const std::string& state,
                const std::string& type = "normal", const std::string& start = "2026-11-28 10:00:00",
                const std::string& end = "2026-11-28 14:00:00") {
    return {{"number", number},   {"type", type},         {"approval", approval}, {"state", state},
            {"start_date", start}, {"end_date", end},      {"short_description", "Deploy markets " + number},
            {"active", "true"},   {"assignment_group", "d625dccec0a8016700a222a0f7900d06"}};
}

json incident_row(const std::string& number, const std::string& priority, const std::string& active = "true",
                  const std::string& group = "8a4dde73c6112278017a6a4baf547aa7") {
    return {{"number", number},
            {"priority", priority},
            {"state", active == "true" ? "2" : "7"},
            {"active", active},
            {"short_description", "Prices are stale on " + number},
            {"cmdb_ci", "281190e3c0a8000b003f593aa3f20ca6"},
            {"assignment_group", group}};
}

struct servicenow_fixture {
    fake_servicenow fake;
    asio::io_context ioc;
    std::shared_ptr<servicenow_client> client;

    explicit servicenow_fixture(servicenow_options (*adjust)(servicenow_options) = nullptr) {
        servicenow_options o = options_for(fake);
        if (adjust) o = adjust(o);
        client = std::make_shared<servicenow_client>(ioc.get_executor(), o);
    }

    gate_result change(const gate_subject& s) {
        servicenow_change_gate gate(client);
        return run(ioc, gate.check(s));
    }
    gate_result incidents() {
        servicenow_incident_gate gate(client);
        const gate_subject s = subject({});
        return run(ioc, gate.check(s));
    }
};

gate_result dynatrace_check(asio::io_context& ioc, const dynatrace_options& o) {
    dynatrace_gate gate(ioc.get_executor(), o);
    const gate_subject s = subject({});
    return run(ioc, gate.check(s));
}

}  // namespace

// --- the Change Record ---------------------------------------------------------

TEST_CASE("the change record gate passes for an approved CR in Implement inside its window, with evidence and link") {
    servicenow_fixture f;
    f.fake.add_record("change_request", change_row("CHG0012345", "approved", "-1"));
    f.fake.add_record("change_request", change_row("CHG0012399", "approved", "-1"));

    const gate_result r = f.change(subject({"CHG0012345"}));
    CHECK(r.id == "change_record");
    CHECK(r.title == "Change Record approved");
    CHECK(r.state == gate_state::pass);
    CHECK(r.evidence == "CHG0012345: approved, Implement, window 2026-11-28 10:00–14:00 UTC");
    CHECK(r.link == f.fake.url() + "/nav_to.do?uri=change_request.do?sys_id=00000000000000000000000000000001");

    // The numbers travel as a parameter of the query, encoded, with display values off.
    const auto requests = f.fake.requests();
    REQUIRE(requests.size() == 1);
    const auto& q = requests[0];
    CHECK(q.method == "GET");
    CHECK(q.path == "/api/now/table/change_request");
    CHECK(q.params.at("sysparm_query") == "numberINCHG0012345");
    CHECK(q.params.at("sysparm_display_value") == "false");
    CHECK(q.params.at("sysparm_exclude_reference_link") == "true");
    CHECK(q.params.at("sysparm_fields") == "number,sys_id,type,approval,state,start_date,end_date");
    CHECK(q.params.at("sysparm_limit") == "50");
    CHECK(q.authorization == promotebot::testing::basic_authorization(f.fake.options().username,
                                                                      f.fake.options().password));
    CHECK(q.accept == "application/json");
}

TEST_CASE("the change record gate fails when ServiceNow says the CR was rejected") {
    servicenow_fixture f;
    f.fake.add_record("change_request", change_row("CHG0012345", "rejected", "4"));
    const gate_result r = f.change(subject({"CHG0012345"}));
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "CHG0012345: rejected, Canceled, window 2026-11-28 10:00–14:00 UTC — not approved, "
                        "needs state Scheduled or Implement");
}

TEST_CASE("the change record gate fails when the CR is approved but ServiceNow has it in Assess") {
    servicenow_fixture f;
    f.fake.add_record("change_request", change_row("CHG0012345", "approved", "-4"));
    const gate_result r = f.change(subject({"CHG0012345"}));
    CHECK(r.state == gate_state::fail);
    CHECK_THAT(r.evidence, Catch::Contains("approved, Assess,") && Catch::EndsWith("needs state Scheduled or Implement"));
}

TEST_CASE("the change record gate fails when the CR is approved but its window in ServiceNow has closed") {
    servicenow_fixture f;
    f.fake.add_record("change_request", change_row("CHG0012345", "approved", "-1"));
    const gate_result r = f.change(subject({"CHG0012345"}, at(14, 5)));
    CHECK(r.state == gate_state::fail);
    CHECK_THAT(r.evidence, Catch::EndsWith("— window closed 2026-11-28 14:00 UTC"));
}

TEST_CASE("the change record gate fails naming a requested CR that ServiceNow does not have") {
    servicenow_fixture f;
    f.fake.add_record("change_request", change_row("CHG0012345", "approved", "-1"));
    const gate_result r = f.change(subject({"CHG0012345", "CHG0099999"}));
    CHECK(r.state == gate_state::fail);
    CHECK_THAT(r.evidence, Catch::StartsWith("CHG0099999: not found in ServiceNow; CHG0012345: approved"));
    REQUIRE(f.fake.requests().size() == 1);
    CHECK(f.fake.requests()[0].params.at("sysparm_query") == "numberINCHG0012345,CHG0099999");
    // Both numbers in one parameter: the separators are encoded, not raw.
    CHECK_THAT(f.fake.requests()[0].query, Catch::Contains("sysparm_query=numberINCHG0012345%2CCHG0099999&"));
}

TEST_CASE("the change record gate passes an emergency request with an approved emergency CR in Implement") {
    servicenow_fixture f;
    f.fake.add_record("change_request",
                      change_row("CHG0012345", "approved", "-1", "emergency", "2026-11-28 02:00:00", "2026-11-28 04:00:00"));
    const gate_result emergency = f.change(subject({"CHG0012345"}, at(11, 30), true));
    CHECK(emergency.state == gate_state::pass);
    CHECK(emergency.evidence == "CHG0012345: approved, Implement, window 2026-11-28 02:00–04:00 UTC, emergency");
    // The same CR does not let a normal request through outside its window.
    CHECK(f.change(subject({"CHG0012345"}, at(11, 30), false)).state == gate_state::fail);
}

TEST_CASE("the change record gate fails without asking ServiceNow when no CR was given") {
    servicenow_fixture f;
    const gate_result r = f.change(subject({}));
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "no Change Record given");
    CHECK(f.fake.requests().empty());
}

TEST_CASE("the change record gate accepts a Bearer token instead of a user and password") {
    servicenow_fixture f([](servicenow_options o) {
        o.username.clear();
        o.password.clear();
        o.token = "fake-servicenow-oauth-token";
        return o;
    });
    f.fake.add_record("change_request", change_row("CHG0012345", "approved", "-2"));
    CHECK(f.change(subject({"CHG0012345"})).state == gate_state::pass);
    CHECK(f.fake.requests().at(0).authorization == "Bearer fake-servicenow-oauth-token");
}

// --- incidents ------------------------------------------------------------------

TEST_CASE("the incident gate fails while a P1 is open") {
    servicenow_fixture f;
    f.fake.add_record("incident", incident_row("INC0010001", "1"));
    f.fake.add_record("incident", incident_row("INC0010002", "3"));
    f.fake.add_record("incident", incident_row("INC0010003", "2", "false"));  // resolved: not active
    const gate_result r = f.incidents();
    CHECK(r.id == "incidents");
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "1 open P1/P2 incident: INC0010001 (P1, Prices are stale on INC0010001)");
    CHECK(r.link == f.fake.url() + "/nav_to.do?uri=incident.do?sys_id=00000000000000000000000000000001");

    const auto q = f.fake.requests().at(0);
    CHECK(q.path == "/api/now/table/incident");
    CHECK(q.params.at("sysparm_query") == "active=true^priorityIN1,2");
    CHECK(q.params.at("sysparm_fields") == "number,priority,state,short_description,sys_id");
    CHECK(q.params.at("sysparm_display_value") == "false");
}

TEST_CASE("the incident gate passes when only a P3 is open") {
    servicenow_fixture f;
    f.fake.add_record("incident", incident_row("INC0010002", "3"));
    const gate_result r = f.incidents();
    CHECK(r.state == gate_state::pass);
    CHECK(r.evidence == "0 open P1/P2 incidents");
    CHECK(r.link == f.fake.url() + "/incident_list.do?sysparm_query=active%3Dtrue%5EpriorityIN1%2C2");
}

TEST_CASE("the configured incident query reaches ServiceNow as part of the encoded query") {
    servicenow_fixture f([](servicenow_options o) {
        o.incident_query = "cmdb_ci=281190e3c0a8000b003f593aa3f20ca6^assignment_group=8a4dde73c6112278017a6a4baf547aa7";
        return o;
    });
    // A P1 of another team's group is outside the configured scope.
    f.fake.add_record("incident", incident_row("INC0010005", "1", "true", "ffffffffffffffffffffffffffffffff"));
    const gate_result quiet = f.incidents();
    CHECK(quiet.state == gate_state::pass);

    const auto q = f.fake.requests().at(0);
    CHECK(q.params.at("sysparm_query") == "active=true^priorityIN1,2^cmdb_ci=281190e3c0a8000b003f593aa3f20ca6"
                                          "^assignment_group=8a4dde73c6112278017a6a4baf547aa7");
    CHECK_THAT(q.query, Catch::Contains("sysparm_query=active%3Dtrue%5EpriorityIN1%2C2%5Ecmdb_ci%3D"));

    f.fake.add_record("incident", incident_row("INC0010006", "2"));
    const gate_result ours = f.incidents();
    CHECK(ours.state == gate_state::fail);
    CHECK_THAT(ours.evidence, Catch::StartsWith("1 open P1/P2 incident: INC0010006 (P2"));
}

TEST_CASE("a ServiceNow client refuses an incident query that would widen the search") {
    fake_servicenow fake;
    asio::io_context ioc;
    for (const char* widening : {"ORpriority=5", "assignment_group=x^NQactive=false", "^assignment_group=x"}) {
        servicenow_options o = options_for(fake);
        o.incident_query = widening;
        CHECK_THROWS_AS(servicenow_client(ioc.get_executor(), o), std::invalid_argument);
    }
    servicenow_options plain_http = options_for(fake);
    plain_http.url = "http://127.0.0.1:1";
    CHECK_THROWS_AS(servicenow_client(ioc.get_executor(), plain_http), std::invalid_argument);
    servicenow_options with_user = options_for(fake);
    with_user.url = "https://admin:secret@example.service-now.com";
    CHECK_THROWS_AS(servicenow_client(ioc.get_executor(), with_user), std::invalid_argument);
}

// --- Dynatrace ------------------------------------------------------------------

TEST_CASE("the performance gate fails on an open problem in the configured management zone, with count and link") {
    fake_dynatrace fake;
    fake.add_problem({{"title", "Response time degradation"},
                      {"status", "OPEN"},
                      {"severityLevel", "PERFORMANCE"},
                      {"displayId", "P-2611042"},
                      {"managementZones", json::array({{{"id", "-4242"}, {"name", "markets-prod"}}})}});
    fake.add_problem({{"title", "Old failure rate increase"},
                      {"status", "CLOSED"},
                      {"severityLevel", "ERROR"},
                      {"managementZones", json::array({{{"id", "-4242"}, {"name", "markets-prod"}}})}});
    asio::io_context ioc;
    const gate_result r = dynatrace_check(ioc, options_for(fake));
    CHECK(r.id == "performance");
    CHECK(r.title == "Performance stable");
    CHECK(r.state == gate_state::fail);
    CHECK(r.evidence == "1 open problem: P-2611042 Response time degradation");
    CHECK(r.link == fake.url() + "/#problems");

    const auto q = fake.requests().at(0);
    CHECK(q.path == "/api/v2/problems");
    CHECK(q.params.at("problemSelector") == "status(\"open\"),managementZones(\"markets-prod\")");
    CHECK_THAT(q.query, Catch::Contains("problemSelector=status%28%22open%22%29%2CmanagementZones%28"));
    CHECK(q.authorization == "Api-Token " + fake.options().api_token);
}

TEST_CASE("the performance gate passes when the open problem is in another management zone") {
    fake_dynatrace fake;
    fake.add_problem({{"title", "CPU saturation"},
                      {"status", "OPEN"},
                      {"severityLevel", "RESOURCE_CONTENTION"},
                      {"managementZones", json::array({{{"id", "-7"}, {"name", "payments-prod"}}})}});
    asio::io_context ioc;
    const gate_result r = dynatrace_check(ioc, options_for(fake));
    CHECK(r.state == gate_state::pass);
    CHECK(r.evidence == "0 open problems");
    CHECK(r.link == fake.url() + "/#problems");
}

// --- when the source cannot answer ----------------------------------------------

TEST_CASE("wrong ServiceNow credentials make the gates unknown, naming the HTTP status and not the secret") {
    servicenow_fixture f([](servicenow_options o) {
        o.password = "not-the-password";
        return o;
    });
    f.fake.add_record("change_request", change_row("CHG0012345", "approved", "-1"));
    const gate_result change = f.change(subject({"CHG0012345"}));
    CHECK(change.state == gate_state::unknown);
    CHECK(change.evidence == "ServiceNow refused the credentials (HTTP 401)");
    const gate_result incidents = f.incidents();
    CHECK(incidents.state == gate_state::unknown);
    CHECK(incidents.evidence == "ServiceNow refused the credentials (HTTP 401)");
    CHECK_THAT(change.evidence + change.link, !Catch::Contains("not-the-password"));
}

TEST_CASE("a wrong Dynatrace token makes the performance gate unknown, naming the HTTP status") {
    fake_dynatrace fake;
    asio::io_context ioc;
    dynatrace_options o = options_for(fake);
    o.api_token = "dt0c01.WRONG.wrong-secret";
    const gate_result r = dynatrace_check(ioc, o);
    CHECK(r.state == gate_state::unknown);
    CHECK(r.evidence == "Dynatrace refused the API token (HTTP 401)");
    CHECK_THAT(r.evidence, !Catch::Contains("wrong-secret"));
}

TEST_CASE("gates without credentials are unknown and send nothing") {
    fake_servicenow snow;
    fake_dynatrace dt;
    asio::io_context ioc;
    servicenow_options so = options_for(snow);
    so.username.clear();
    so.password.clear();
    auto client = std::make_shared<servicenow_client>(ioc.get_executor(), so);
    servicenow_incident_gate gate(client);
    const gate_subject s = subject({});
    const gate_result r = run(ioc, gate.check(s));
    CHECK(r.state == gate_state::unknown);
    CHECK_THAT(r.evidence, Catch::StartsWith("no ServiceNow credentials"));

    dynatrace_options d = options_for(dt);
    d.api_token.clear();
    CHECK(dynatrace_check(ioc, d).state == gate_state::unknown);
    CHECK(snow.requests().empty());
    CHECK(dt.requests().empty());
}

TEST_CASE("a server error makes the gates unknown") {
    servicenow_fixture f;
    f.fake.set_failure({.status = 500});
    const gate_result change = f.change(subject({"CHG0012345"}));
    CHECK(change.state == gate_state::unknown);
    CHECK(change.evidence == "ServiceNow answered HTTP 500");
    CHECK(f.incidents().state == gate_state::unknown);

    fake_dynatrace fake;
    fake.set_failure({.status = 503});
    asio::io_context ioc;
    const gate_result perf = dynatrace_check(ioc, options_for(fake));
    CHECK(perf.state == gate_state::unknown);
    CHECK(perf.evidence == "Dynatrace answered HTTP 503");
}

TEST_CASE("malformed JSON from the service makes the gates unknown") {
    servicenow_fixture f;
    f.fake.add_record("change_request", change_row("CHG0012345", "approved", "-1"));
    f.fake.set_failure({.malformed_body = true});
    const gate_result change = f.change(subject({"CHG0012345"}));
    CHECK(change.state == gate_state::unknown);
    CHECK(change.evidence == "ServiceNow's answer could not be read: the answer is not JSON");

    fake_dynatrace fake;
    fake.add_problem({{"title", "x"}, {"status", "OPEN"}, {"severityLevel", "ERROR"}});
    fake.set_failure({.malformed_body = true});
    asio::io_context ioc;
    const gate_result perf = dynatrace_check(ioc, options_for(fake));
    CHECK(perf.state == gate_state::unknown);
    CHECK(perf.evidence == "Dynatrace's answer could not be read: the answer is not JSON");
}

TEST_CASE("a service slower than the timeout makes the gates unknown, asked once") {
    servicenow_fixture f([](servicenow_options o) {
        o.timeout = 300ms;
        return o;
    });
    f.fake.add_record("change_request", change_row("CHG0012345", "approved", "-1"));
    f.fake.set_failure({.delay = 20s});
    const gate_result change = f.change(subject({"CHG0012345"}));
    CHECK(change.state == gate_state::unknown);
    CHECK(change.evidence == "ServiceNow did not answer within 300 ms");
    // A timed-out GET is not sent again: it already spent the gate's time.
    CHECK(f.fake.requests().size() == 1);

    fake_dynatrace fake;
    fake.set_failure({.delay = 20s});
    asio::io_context ioc;
    dynatrace_options o = options_for(fake);
    o.timeout = 300ms;
    const gate_result perf = dynatrace_check(ioc, o);
    CHECK(perf.state == gate_state::unknown);
    CHECK(perf.evidence == "Dynatrace did not answer within 300 ms");
}

TEST_CASE("a refused connection makes the gates unknown") {
    asio::io_context ioc;
    const std::string url = "https://127.0.0.1:" + std::to_string(closed_port(ioc));
    servicenow_options so;
    so.url = url;
    so.token = "any-token";
    auto client = std::make_shared<servicenow_client>(ioc.get_executor(), so);
    servicenow_change_gate change_gate(client);
    const gate_subject s = subject({"CHG0012345"});
    const gate_result change = run(ioc, change_gate.check(s));
    CHECK(change.state == gate_state::unknown);
    CHECK_THAT(change.evidence, Catch::StartsWith("ServiceNow could not be reached (") &&
                                    Catch::Contains("refused", Catch::CaseSensitive::No));
    CHECK_THAT(change.evidence, !Catch::Contains("any-token"));

    dynatrace_options d;
    d.url = url;
    d.api_token = "any-token";
    const gate_result perf = dynatrace_check(ioc, d);
    CHECK(perf.state == gate_state::unknown);
    CHECK_THAT(perf.evidence, Catch::StartsWith("Dynatrace could not be reached ("));
}

// --- secrets from the environment -------------------------------------------------

TEST_CASE("ServiceNow and Dynatrace secrets are read from the environment") {
    std::map<std::string, std::string> env{{"SERVICENOW_USERNAME", "svc.promotebot"},
                                           {"SERVICENOW_PASSWORD", "pw"},
                                           {"DYNATRACE_API_TOKEN", "dt0c01.X.Y"}};
    auto lookup = [&](const char* name) {
        auto it = env.find(name);
        return it == env.end() ? std::string{} : it->second;
    };
    servicenow_options so;
    CHECK(promotebot::servicenow::read_servicenow_secrets(so, lookup));
    CHECK(so.username == "svc.promotebot");
    CHECK(so.password == "pw");
    CHECK(so.token.empty());

    env = {{"SERVICENOW_TOKEN", "oauth"}, {"SERVICENOW_USERNAME", "only-a-user"}};
    servicenow_options token_only;
    CHECK(promotebot::servicenow::read_servicenow_secrets(token_only, lookup));
    CHECK(token_only.token == "oauth");
    CHECK(token_only.username.empty());  // a user without a password is not taken

    env.clear();
    servicenow_options none;
    CHECK_FALSE(promotebot::servicenow::read_servicenow_secrets(none, lookup));

    env = {{"DYNATRACE_API_TOKEN", "dt0c01.X.Y"}};
    dynatrace_options d;
    CHECK(promotebot::dynatrace::read_dynatrace_secrets(d, lookup));
    CHECK(d.api_token == "dt0c01.X.Y");
    env.clear();
    dynatrace_options nothing;
    CHECK_FALSE(promotebot::dynatrace::read_dynatrace_secrets(nothing, lookup));
}
