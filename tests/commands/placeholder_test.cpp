#include <catch2/catch.hpp>
TEST_CASE("commands placeholder") { CHECK(1 + 1 == 2); }
