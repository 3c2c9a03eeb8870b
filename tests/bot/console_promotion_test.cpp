// The console's demonstration profile: a whole promotion on the terminal,
// every outside system simulated, every step printed and not run.
#include <catch2/catch.hpp>

#include <sstream>

#include "bot/config/config.hpp"
#include "bot/main/console_mode.hpp"
#include "commands/promotion/promotion_json.hpp"
#include "integrations/store/sqlite/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace promotebot;

namespace {

struct console_run {
    testing::temp_dir dir;
    bot::config cfg = bot::embedded_default_config();
    std::unique_ptr<sqlite::sqlite_store> db;
    std::string out;

    console_run() {
        cfg.store = dir.file();
        // Whatever today is: no freeze unless a test wants one.
        cfg.freeze.rules.month_end_enabled = false;
        cfg.freeze.rules.year_end_enabled = false;
        cfg.freeze.rules.bank_holidays_enabled = false;
        cfg.freeze.rules.regulatory.clear();
        db = sqlite::open_sqlite_store(cfg.store);
    }

    void play(const std::string& script) {
        std::istringstream in(script);
        std::ostringstream o;
        bot::console_options options;
        options.banner = false;
        options.user = "U0RM00001";
        REQUIRE(bot::run_console(cfg, *db, in, o, options) == 0);
        out = o.str();
    }
};

// The form's answers: the CR as typed in the command, a plan ("." ends it), Option B.
const std::string form_answers = "\nRoll back with kubectl set image to v1.2.2\n.\n1\n";

}  // namespace

TEST_CASE("the console walks a whole promotion with simulated gates and printed steps") {
    console_run c;
    // Buttons are numbered as messages are shown: [7] technical, then [13] data quality, then [18] Deploy.
    c.play("/promote v1.2.3 change CHG0012345\n" + form_answers +
           "as U0DE00001\nclick 7\n"
           "as U0BIZ00001\nclick 13\n"
           "as U0RM00001\nclick 18\n"
           "quit\n");
    INFO(c.out);
    CHECK_THAT(c.out, Catch::Contains("(simulated) 0 open P1/P2 incidents"));
    CHECK_THAT(c.out, Catch::Contains("Release Manager notified: @U0RM00001 @U0RM00002"));
    CHECK_THAT(c.out, Catch::Contains("dry run: docker build -t gcr.io/markets-prod-12345/markets-orchestrator:v1.2.3 ."));
    CHECK_THAT(c.out, Catch::Contains("v1.2.3 is deployed to prod."));
    const auto p = commands::promotion_from_json(c.db->promotion(1)->doc);
    CHECK(p.ph == commands::phase::done);
    CHECK(c.db->deployment_of_promotion(1)->result == "succeeded");
}

TEST_CASE("a gate flipped in the console blocks the request and Deploy says why") {
    console_run c;
    c.play("gate soak fail\n"
           "/promote v1.2.3 change CHG0012345\n" + form_answers +
           "click 9\n"  // Deploy
           "quit\n");
    INFO(c.out);
    CHECK_THAT(c.out, Catch::Contains("The soak gate now answers fail"));
    CHECK_THAT(c.out, Catch::Contains("Blocked:"));
    CHECK_THAT(c.out, Catch::Contains("int has run the version for 5 h 12 min"));
    CHECK_THAT(c.out, Catch::Contains("Not ready to deploy"));
    CHECK(commands::promotion_from_json(c.db->promotion(1)->doc).ph == commands::phase::open);
}

TEST_CASE("the console prints the Home tab with the open request and the calendar grid as plain lines") {
    console_run c;
    c.play("/promote v1.2.3 change CHG0012345\n" + form_answers + "home\n/freeze calendar 2026-12\nquit\n");
    INFO(c.out);
    CHECK_THAT(c.out, Catch::Contains("── Home tab of @U0RM00001 ──"));
    CHECK_THAT(c.out, Catch::Contains("Production is not frozen now."));
    CHECK_THAT(c.out, Catch::Contains("v1.2.3 → prod*"));
    CHECK_THAT(c.out, Catch::Contains("_prod_\n• none yet"));
    // No freeze rule is on here; the grid has no marks and no code fence.
    CHECK_THAT(c.out, Catch::Contains("Freeze calendar: December 2026\nNo day of December 2026 is frozen.\n"
                                      " Mo   Tu   We   Th   Fr   Sa   Su\n"));
    CHECK_THAT(c.out, Catch::Contains("\n 28   29   30   31\n"));
    CHECK(c.out.find("```") == std::string::npos);
}

TEST_CASE("the console walks a rollback: the proposal from the simulated registry, the confirm, the printed steps") {
    console_run c;
    c.play("/rollback\n"
           "as U0ENG00001\nclick 1\n"
           "as U0ONC00001\nclick 1\n"
           "quit\n");
    INFO(c.out);
    CHECK_THAT(c.out, Catch::Contains("Rollback #1: prod v1.2.3 → v1.2.2"));
    CHECK_THAT(c.out, Catch::Contains("Only"));  // the engineer is refused
    CHECK_THAT(c.out, Catch::Contains(
                          "dry run: kubectl --context gke_markets-prod-12345_europe-west2_markets set image -n markets "
                          "cronjob/markets-pipeline orchestrator=gcr.io/markets-prod-12345/markets-orchestrator:v1.2.2"));
    CHECK_THAT(c.out, Catch::Contains("prod runs v1.2.2 again"));
    const auto bad = c.db->bad_version_of("prod", "v1.2.3");
    REQUIRE(bad);
    CHECK(bad->marked_by == "U0ONC00001");
}
