#pragma once
// Exponential backoff with equal jitter, shared by every reconnect and retry
// loop (Socket Mode links, Web API calls). Pure: the random draw is passed in,
// so callers choose (and tests fix) the source.
#include <chrono>
#include <random>

namespace promotebot::net {

struct backoff_policy {
    std::chrono::milliseconds base{500};   // the ceiling after the first failure
    std::chrono::milliseconds max{30000};  // the ceiling never grows beyond this
};

// The wait after `failures` consecutive failures (0 or less: no wait). The
// ceiling is base * 2^(failures-1), capped at max; the wait is half of it
// fixed and half random (`unit` in [0, 1], clamped), so replicas that failed
// together do not retry in step.
[[nodiscard]] std::chrono::milliseconds backoff_delay(const backoff_policy& policy, int failures, double unit);

// The same with the draw taken from `random` (any uniform random bit generator).
template <class UniformRandomBitGenerator>
[[nodiscard]] std::chrono::milliseconds backoff_delay(const backoff_policy& policy, int failures,
                                                      UniformRandomBitGenerator& random) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    return backoff_delay(policy, failures, unit(random));
}

}  // namespace promotebot::net
