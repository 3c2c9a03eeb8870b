// The backoff shared by Socket Mode reconnects and Web API resends.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>

#include "integrations/net/backoff.hpp"

using namespace std::chrono_literals;
using promotebot::net::backoff_delay;
using promotebot::net::backoff_policy;

TEST_CASE("backoff doubles from the base up to the cap, half of it fixed and half drawn") {
    const backoff_policy p{500ms, 30s};
    CHECK(backoff_delay(p, 0, 1.0) == 0ms);
    CHECK(backoff_delay(p, 1, 0.0) == 250ms);
    CHECK(backoff_delay(p, 1, 1.0) == 500ms);
    CHECK(backoff_delay(p, 2, 1.0) == 1000ms);
    CHECK(backoff_delay(p, 3, 0.5) == 1500ms);
    CHECK(backoff_delay(p, 7, 1.0) == 30s);  // 32 s capped
    CHECK(backoff_delay(p, 7, 0.0) == 15s);
    CHECK(backoff_delay(p, 1000, 1.0) == 30s);  // no overflow however long it fails
    CHECK(backoff_delay(p, 1, 7.0) == 500ms);   // a draw outside [0, 1] is clamped
}

TEST_CASE("backoff draws from the random source it is given") {
    const backoff_policy p{100ms, 10s};
    std::mt19937_64 a(7);
    std::mt19937_64 b(7);
    for (int failures = 1; failures < 12; ++failures) {
        const auto d = backoff_delay(p, failures, a);
        CHECK(d == backoff_delay(p, failures, b));
        const auto ceiling = std::min<std::chrono::milliseconds>(100ms * (1LL << (failures - 1)), 10s);
        CHECK(d >= ceiling / 2);
        CHECK(d <= ceiling);
    }
}
