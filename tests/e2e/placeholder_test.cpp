#include <catch2/catch.hpp>
TEST_CASE("e2e placeholder") { CHECK(1 + 1 == 2); }
