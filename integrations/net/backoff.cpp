#include "integrations/net/backoff.hpp"

#include <algorithm>

namespace promotebot::net {

std::chrono::milliseconds backoff_delay(const backoff_policy& policy, int failures, double unit) {
    if (failures <= 0) return std::chrono::milliseconds{0};
    const auto base = std::max(policy.base, std::chrono::milliseconds{0});
    const auto max = std::max(policy.max, std::chrono::milliseconds{0});
    // 2^30 times any sensible base is beyond every cap; the exponent stops there so it cannot overflow.
    const int exponent = std::min(failures - 1, 30);
    const long long cap = max.count();
    long long ceiling = base.count();
    for (int i = 0; i < exponent && ceiling < cap; ++i) ceiling *= 2;
    ceiling = std::min(ceiling, cap);
    const double draw = std::clamp(unit, 0.0, 1.0);
    const auto half = static_cast<double>(ceiling) / 2.0;
    return std::chrono::milliseconds{static_cast<long long>(half + half * draw)};
}

}  // namespace promotebot::net
