#include <catch2/catch.hpp>
TEST_CASE("bot placeholder") { CHECK(1 + 1 == 2); }
