#pragma once
// A clock that moves only when the test says so, with the alarms components
// set on it: advance() fires every alarm that has come due, in time order.
#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "integrations/slack/update_coalescer.hpp"

namespace promotebot::testing {

class manual_clock {
public:
    using time_point = std::chrono::steady_clock::time_point;

    [[nodiscard]] time_point now() const { return now_; }

    void alarm(time_point at, std::function<void()> fire) { alarms_.emplace_back(at, std::move(fire)); }

    // Moves time forward by `d`, firing the alarms due by then.
    void advance(std::chrono::nanoseconds d) { advance_to(now_ + d); }

    void advance_to(time_point t) {
        t = std::max(t, now_);
        for (;;) {
            auto next = std::min_element(alarms_.begin(), alarms_.end(),
                                         [](const auto& a, const auto& b) { return a.first < b.first; });
            if (next == alarms_.end() || next->first > t) break;
            now_ = std::max(now_, next->first);
            auto fire = std::move(next->second);
            alarms_.erase(next);
            fire();
        }
        now_ = t;
    }

    // Moves time to the earliest pending alarm and fires it; false when none is set.
    bool advance_to_next_alarm() {
        if (alarms_.empty()) return false;
        auto next = std::min_element(alarms_.begin(), alarms_.end(),
                                     [](const auto& a, const auto& b) { return a.first < b.first; });
        advance_to(next->first);
        return true;
    }

    [[nodiscard]] slack::coalescer_clock coalescer_clock() {
        return {[this] { return now(); },
                [this](time_point at, std::function<void()> fire) { alarm(at, std::move(fire)); }};
    }

private:
    time_point now_ = time_point{} + std::chrono::hours(1);
    std::vector<std::pair<time_point, std::function<void()>>> alarms_;
};

}  // namespace promotebot::testing
