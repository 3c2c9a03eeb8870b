// The form model's own checks: what makes a form impossible to show as built.
#include <catch2/catch.hpp>

#include "commands/message/form.hpp"

using namespace promotebot::commands;

namespace {

form valid_form() {
    form f;
    f.title = "Promote v1.2.3";
    f.callback_id = "promote.request";
    f.fields = {{.id = "change", .label = "Change Record number(s)", .required = true},
                {.id = "option", .label = "Deployment", .kind = form_field::kind::choice, .initial = "A",
                 .options = {{"A", "Terraform"}, {"B", "Application only"}}}};
    return f;
}

}  // namespace

TEST_CASE("a well-built form has no defect and its parts read back") {
    const auto f = valid_form();
    CHECK_FALSE(form_defect(f));
    REQUIRE(option_label(f.fields[1], "B"));
    CHECK(*option_label(f.fields[1], "B") == "Application only");
    CHECK_FALSE(option_label(f.fields[1], "C"));
    CHECK(max_length_of(f.fields[0]) == 3000);
    CHECK(max_length_of({.max_length = 40}) == 40);
    CHECK(max_length_of({.max_length = 5000}) == 3000);
}

TEST_CASE("a form with a defect is named by what is wrong with it") {
    auto check = [](auto change, const std::string& expected) {
        auto f = valid_form();
        change(f);
        const auto d = form_defect(f);
        REQUIRE(d);
        CHECK_THAT(*d, Catch::Contains(expected));
    };
    check([](form& f) { f.callback_id.clear(); }, "the callback_id is empty");
    check([](form& f) { f.callback_id = std::string(256, 'c'); }, "longer than 255 bytes");
    check([](form& f) { f.callback_id = "promote\nrequest"; }, "control character");
    check([](form& f) { f.private_metadata = std::string(3001, 'm'); }, "longer than 3000 characters");
    check([](form& f) { f.private_metadata = "\xff"; }, "not UTF-8");
    check([](form& f) { f.fields.clear(); }, "no fields");
    check([](form& f) { f.fields.resize(101, {.id = "x"}); }, "more than 100 fields");
    check([](form& f) { f.fields[0].id.clear(); }, "a field ID is empty");
    check([](form& f) { f.fields[1].id = "change"; }, "'change' is used twice");
    check([](form& f) { f.fields[1].options.clear(); }, "has no options");
    check([](form& f) { f.fields[1].options.emplace_back("A", "again"); }, "offers 'A' twice");
    check([](form& f) { f.fields[1].options[0].first = std::string(151, 'v'); }, "longer than 150 characters");
    check([](form& f) { f.fields[1].initial = "C"; }, "pre-selects 'C'");
    // 3000 characters of metadata are fine even in multi-byte UTF-8.
    auto f = valid_form();
    f.private_metadata.clear();
    for (int i = 0; i < 3000; ++i) f.private_metadata += "é";
    CHECK_FALSE(form_defect(f));
}
