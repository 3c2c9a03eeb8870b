#include "integrations/store/common/store_rules.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string_view>

namespace promotebot::storage {

using json = nlohmann::json;

std::string valid_utf8(const std::string& s) {
    if (is_valid_utf8(s)) return s;
    return json::parse(json(s).dump(-1, ' ', false, json::error_handler_t::replace)).get<std::string>();
}

json valid_utf8(const json& j) { return json::parse(j.dump(-1, ' ', false, json::error_handler_t::replace)); }

bool is_valid_utf8(const std::string& s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (i + len > n) return false;
        if (p[i + 1] < lo || p[i + 1] > hi) return false;
        for (std::size_t k = 2; k < len; ++k)
            if ((p[i + k] & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

json object_detail(const json& detail, const char* what) {
    if (detail.is_null()) return json::object();
    if (!detail.is_object())
        throw std::invalid_argument(std::string(what) + " must be a JSON object, not " + detail.type_name());
    return valid_utf8(detail);
}

void require_non_empty(const std::string& value, const char* what) {
    if (value.empty()) throw std::invalid_argument(std::string(what) + " must not be empty");
}

json parse_stored_json(const std::string& text, const std::string& where) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error("store: " + where + " holds invalid JSON");
    return j;
}

std::string json_text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::vector<std::string> stored_strings(const std::string& text, const std::string& where) {
    const json j = parse_stored_json(text, where);
    if (!j.is_array()) throw std::runtime_error("store: " + where + " is not a JSON array");
    std::vector<std::string> out;
    for (const auto& e : j) {
        if (!e.is_string()) throw std::runtime_error("store: " + where + " holds a non-string");
        out.push_back(e.get<std::string>());
    }
    return out;
}

namespace {
constexpr std::array<std::string_view, 5> deployment_results{"running", "succeeded", "failed", "interrupted",
                                                             "cancelled"};
}

void require_deployment_result(const std::string& result) {
    if (std::find(deployment_results.begin(), deployment_results.end(), result) == deployment_results.end())
        throw std::invalid_argument("unknown deployment result \"" + valid_utf8(result.substr(0, 40)) + "\"");
}

std::string bounded_output_line(const std::string& text) {
    constexpr std::string_view ellipsis = "\xE2\x80\xA6";
    const bool too_long = text.size() > step_output_line_bytes;
    // Only what can be kept is looked at: a line of many megabytes costs no more than one of 8 KiB.
    std::string s = valid_utf8(too_long ? text.substr(0, step_output_line_bytes) : text);
    if (!too_long && s.size() <= step_output_line_bytes) return s;
    std::size_t end = std::min(s.size(), step_output_line_bytes - ellipsis.size());
    // Back to the first byte of a character, so the cut splits none.
    while (end > 0 && end < s.size() && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s.resize(end);
    s += ellipsis;
    return s;
}

std::string output_truncated_marker(std::int64_t dropped) {
    return "\xE2\x80\xA6 output truncated: " + std::to_string(dropped) + " lines dropped";
}

std::string bounded_error(const std::string& error) { return valid_utf8(error.substr(0, 1000)); }

}  // namespace promotebot::storage
