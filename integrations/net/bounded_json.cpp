#include "integrations/net/bounded_json.hpp"

namespace promotebot::net {

std::size_t json_depth(std::string_view text, std::size_t stop_at) {
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') ++i;  // the escaped character cannot end the string
            else if (c == '"') in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > deepest) {
                deepest = depth;
                if (deepest >= stop_at) return deepest;
            }
            break;
        case ']':
        case '}':
            // A stray closer makes the text malformed; the parser says so.
            if (depth > 0) --depth;
            break;
        default:
            break;
        }
    }
    return deepest;
}

bounded_json parse_bounded(std::string_view text, const json_limits& limits) {
    bounded_json out;
    out.value = nlohmann::json(nlohmann::json::value_t::discarded);
    if (text.size() > limits.max_bytes) {
        out.what = bounded_json::verdict::too_large;
        return out;
    }
    // Any prefix the parser accepts was counted here the same way, so even a
    // partial value it builds before an error stays within the bound.
    if (json_depth(text, limits.max_depth + 1) > limits.max_depth) {
        out.what = bounded_json::verdict::too_deep;
        return out;
    }
    auto value = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (value.is_discarded()) {
        out.what = bounded_json::verdict::malformed;
        return out;
    }
    out.value = std::move(value);
    out.what = bounded_json::verdict::ok;
    return out;
}

std::string bounded_json::why(const json_limits& limits) const {
    switch (what) {
    case verdict::ok: return "ok";
    case verdict::too_deep: return "nested deeper than " + std::to_string(limits.max_depth) + " levels";
    case verdict::too_large: return "longer than " + std::to_string(limits.max_bytes) + " bytes";
    case verdict::malformed: break;
    }
    return "not JSON";
}

}  // namespace promotebot::net
