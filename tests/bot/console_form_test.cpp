// Forms on the console: console_chat keeps an opened form as pending, and
// prompt_form asks for its fields on a stream, as a person would answer.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "integrations/console/console_chat.hpp"
#include "integrations/console/console_form.hpp"

using namespace promotebot;
using commands::form;
using commands::form_field;
using console::pending_form;
using console::prompt_form;

namespace {

form request_form() {
    form f;
    f.title = "Promote v1.2.3";
    f.callback_id = "promote.request";
    f.private_metadata = R"({"channel":"C0RELEASE01"})";
    f.intro = {commands::rich_text("Promote v1.2.3 to prod for ") + commands::user_mention("U0RM00001")};
    f.fields = {
        {.id = "change", .label = "Change Record number(s)", .initial = "CHG0012345", .required = true,
         .hint = "Comma-separated", .max_length = 40},
        {.id = "rollback", .label = "Rollback plan", .kind = form_field::kind::multiline, .required = true,
         .hint = "Text or a link"},
        {.id = "option", .label = "Deployment", .kind = form_field::kind::choice, .initial = "B", .required = true,
         .options = {{"A", "Terraform"}, {"B", "Application only"}}},
        {.id = "notes", .label = "Notes"},
    };
    return f;
}

pending_form pending(form f = request_form()) { return {std::move(f), "console.form.1"}; }

struct prompted {
    std::optional<commands::form_submission> submission;
    std::string shown;
};

prompted answer(const std::string& typed, const pending_form& p = pending(),
                const console::form_prompt_options& options = {}) {
    std::istringstream in(typed);
    std::ostringstream out;
    auto s = prompt_form(p, "U0RM00001", in, out, options);
    return {std::move(s), out.str()};
}

}  // namespace

TEST_CASE("the console shows the form's intro and each field with its hint default and numbered choices") {
    const auto r = answer("\nRedeploy v1.2.2\n.\n\n\n");
    const auto& shown = r.shown;
    CHECK_THAT(shown, Catch::StartsWith("── form: Promote v1.2.3 ──\nPromote v1.2.3 to prod for @U0RM00001\n"));
    CHECK_THAT(shown, Catch::Contains("Change Record number(s) (required)\n  Comma-separated\n  [CHG0012345]> "));
    CHECK_THAT(shown, Catch::Contains("Rollback plan (required) (several lines: end with a line holding only \".\")\n"
                                      "  Text or a link\n> "));
    CHECK_THAT(shown, Catch::Contains("Deployment (required)\n  1) Terraform (A)\n  2) Application only (B)\n"
                                      "  Choose 1-2 [2]: "));
    CHECK_THAT(shown, Catch::Contains("Notes\n> "));
}

TEST_CASE("empty answers take the defaults and the submission carries the form's IDs and the user") {
    const auto r = answer("\nRedeploy v1.2.2\nhttps://wiki/rollback\n.\n\n\n");
    REQUIRE(r.submission);
    const auto& s = *r.submission;
    CHECK(s.callback_id == "promote.request");
    CHECK(s.private_metadata == R"({"channel":"C0RELEASE01"})");
    CHECK(s.user_id == "U0RM00001");
    CHECK(s.view_id == "console.form.1");
    CHECK(s.trigger_id.empty());
    CHECK(s.values == std::map<std::string, std::string>{{"change", "CHG0012345"},
                                                         {"rollback", "Redeploy v1.2.2\nhttps://wiki/rollback"},
                                                         {"option", "B"},
                                                         {"notes", ""}});
}

TEST_CASE("typed answers replace the defaults and a choice takes a number or a value") {
    auto r = answer("  CHG1, CHG2  \nline 1\n\nline 3\n.\n1\nsee ticket\n");
    REQUIRE(r.submission);
    CHECK(r.submission->values.at("change") == "CHG1, CHG2");
    CHECK(r.submission->values.at("rollback") == "line 1\n\nline 3");
    CHECK(r.submission->values.at("option") == "A");
    CHECK(r.submission->values.at("notes") == "see ticket");

    r = answer("\nplan\n.\na\n\n");
    REQUIRE(r.submission);
    CHECK(r.submission->values.at("option") == "A");
}

TEST_CASE("a required field left empty is asked again and a wrong choice or an overlong answer too") {
    SECTION("a required multiline field without a default") {
        const auto r = answer("\n.\nplan\n.\n\n\n");
        REQUIRE(r.submission);
        CHECK(r.submission->values.at("rollback") == "plan");
        CHECK_THAT(r.shown, Catch::Contains("  ! This field is required.\nRollback plan (required)"));
    }
    SECTION("a choice that is not offered") {
        const auto r = answer("\nplan\n.\n3\nC\n2\n\n");
        REQUIRE(r.submission);
        CHECK(r.submission->values.at("option") == "B");
        CHECK_THAT(r.shown, Catch::Contains("  ! Answer with a number from 1 to 2.\n"));
    }
    SECTION("an answer longer than the field takes") {
        const auto r = answer(std::string(41, 'C') + "\nCHG1\nplan\n.\n\n\n");
        REQUIRE(r.submission);
        CHECK(r.submission->values.at("change") == "CHG1");
        CHECK_THAT(r.shown, Catch::Contains("  ! At most 40 characters, please.\n"));
    }
}

TEST_CASE("a required field left empty three times abandons the form and so does the end of input") {
    SECTION("three empty tries") {
        const auto r = answer("\n.\n.\n.\nnever read\n.\n");
        CHECK_FALSE(r.submission);
        CHECK_THAT(r.shown, Catch::Contains("Form abandoned: \"Rollback plan\" was not answered after 3 tries. "
                                            "Nothing was submitted.\n"));
    }
    SECTION("the input ends inside a multiline answer") {
        const auto r = answer("\nhalf a plan\n");
        CHECK_FALSE(r.submission);
        CHECK_THAT(r.shown, Catch::Contains("Form abandoned: the input ended."));
    }
}

TEST_CASE("a validator's errors are shown and only the refused fields asked again") {
    console::form_prompt_options options;
    int rounds = 0;
    options.validate = [&](const commands::form_submission& s) -> std::optional<commands::form_errors> {
        ++rounds;
        if (s.values.at("change").starts_with("CHG")) return std::nullopt;
        return commands::form_errors{{{"change", "Not a Change Record number."}}};
    };
    const auto r = answer("INC1\nplan\n.\n\n\nCHG7\n", pending(), options);
    REQUIRE(r.submission);
    CHECK(rounds == 2);
    CHECK(r.submission->values.at("change") == "CHG7");
    CHECK(r.submission->values.at("rollback") == "plan");
    CHECK_THAT(r.shown, Catch::Contains("  ! Not a Change Record number.\nChange Record number(s) (required)"));
}

TEST_CASE("text in a form never brings control characters to the terminal") {
    auto f = request_form();
    f.title = "T\x1b[2J";
    f.fields[0].label = "Label\x1b]0;owned\x07";
    f.fields[0].initial = "CHG\x9b" "1";
    f.fields[2].options[0].second = "Terraform\r\x1b[1A";
    const auto r = answer("\nplan\n.\n\n\n", pending(f));
    CHECK(r.shown.find('\x1b') == std::string::npos);
    CHECK(r.shown.find('\x07') == std::string::npos);
    CHECK(r.shown.find('\r') == std::string::npos);
}

TEST_CASE("console_chat keeps an opened form as pending for the console to ask and refuses a defective one") {
    std::ostringstream out;
    console::console_chat chat(out);
    boost::asio::io_context io;
    // The coroutines run later, in io.run(): their arguments must outlive this statement.
    const std::string no_trigger;
    const auto good = request_form();
    auto defective = request_form();
    defective.callback_id.clear();
    auto opened = boost::asio::co_spawn(io, chat.open_form(no_trigger, good), boost::asio::use_future);
    auto refused = boost::asio::co_spawn(io, chat.open_form(no_trigger, defective), boost::asio::use_future);
    io.run();
    const auto r = opened.get();
    CHECK(r.ok());
    CHECK(r.ts == "console.form.1");
    CHECK(refused.get().what == bot::delivery_result::outcome::rejected);

    auto p = chat.take_pending_form();
    REQUIRE(p);
    CHECK(p->form == request_form());
    CHECK(p->view_id == "console.form.1");
    CHECK_FALSE(chat.take_pending_form());
    CHECK(out.str().empty());  // nothing is shown until the console asks
}
