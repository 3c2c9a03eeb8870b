#include "commands/promotion/redactor.hpp"

#include <algorithm>
#include <array>

namespace promotebot::commands {

namespace {

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_upper(c) || is_lower(c) || is_digit(c); }
char lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_token_char(char c) { return is_alnum(c) || c == '-' || c == '_'; }
bool is_bearer_char(char c) {
    return is_alnum(c) || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=' || c == '-';
}
bool is_base64_char(char c) { return is_alnum(c) || c == '+' || c == '/'; }
bool is_ident_char(char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; }

bool istarts_with(std::string_view s, std::size_t pos, std::string_view word) {
    if (pos + word.size() > s.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i)
        if (lower(s[pos + i]) != word[i]) return false;
    return true;
}

bool iends_with(std::string_view s, std::string_view word) {
    return s.size() >= word.size() && istarts_with(s, s.size() - word.size(), word);
}

std::vector<std::size_t> failure_table(std::string_view p) {
    std::vector<std::size_t> f(p.size(), 0);
    std::size_t k = 0;
    for (std::size_t i = 1; i < p.size(); ++i) {
        while (k > 0 && p[i] != p[k]) k = f[k - 1];
        if (p[i] == p[k]) ++k;
        f[i] = k;
    }
    return f;
}

// Calls on_match(begin) for every occurrence of p in text, overlapping ones too.
template <typename F>
void kmp_search(std::string_view text, std::string_view p, const std::vector<std::size_t>& f, F&& on_match) {
    if (p.empty()) return;
    std::size_t k = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        while (k > 0 && text[i] != p[k]) k = f[k - 1];
        if (text[i] == p[k]) ++k;
        if (k == p.size()) {
            on_match(i + 1 - p.size());
            k = f[k - 1];
        }
    }
}

// The bytes of one line to be replaced; each scanner below marks spans in a
// single pass over the line.
class span_mask {
public:
    explicit span_mask(std::size_t n) : starts_(n + 1, 0) {}
    // Constant time: overlapping spans (a secret found at every offset of a
    // repetitive line) cost no more than the line.
    void mark(std::size_t begin, std::size_t end) {
        const std::size_t n = starts_.size() - 1;
        end = std::min(end, n);
        if (begin >= end) return;
        ++starts_[begin];
        --starts_[end];
        any_ = true;
    }
    [[nodiscard]] bool any() const { return any_; }
    [[nodiscard]] std::string apply(std::string_view line) const {
        std::string out;
        out.reserve(line.size());
        long depth = 0;
        bool in_span = false;
        for (std::size_t i = 0; i < line.size(); ++i) {
            depth += starts_[i];
            if (depth == 0) {
                out += line[i];
                in_span = false;
            } else if (!in_span) {
                out += redaction_marker;
                in_span = true;
            }
        }
        return out;
    }

private:
    std::vector<long> starts_;  // +1 where a span begins, -1 where it ends
    bool any_ = false;
};

std::size_t run_end(std::string_view s, std::size_t pos, bool (*in_run)(char)) {
    while (pos < s.size() && in_run(s[pos])) ++pos;
    return pos;
}

// xoxb-…, xoxp-…, xapp-…: Slack bot, user, app-level and refresh tokens.
void mark_slack_tokens(std::string_view s, span_mask& m) {
    constexpr std::string_view kinds = "abposre";
    for (std::size_t i = 0; i + 5 < s.size(); ++i) {
        std::size_t body = 0;
        if (s.compare(i, 3, "xox") == 0 && kinds.find(s[i + 3]) != std::string_view::npos && s[i + 4] == '-')
            body = i + 5;
        else if (s.compare(i, 5, "xapp-") == 0)
            body = i + 5;
        if (body == 0) continue;
        const auto end = run_end(s, body, is_token_char);
        if (end - body >= 6) {
            m.mark(i, end);
            i = end - 1;
        }
    }
}

// "Bearer <token>" and "Api-Token <token>" wherever they stand (headers in
// curl commands, logged requests).
void mark_scheme_tokens(std::string_view s, span_mask& m) {
    constexpr std::array<std::string_view, 3> schemes = {"bearer", "api-token", "token"};
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i > 0 && is_ident_char(s[i - 1])) continue;
        for (const auto scheme : schemes) {
            if (!istarts_with(s, i, scheme)) continue;
            std::size_t p = i + scheme.size();
            if (p >= s.size() || s[p] != ' ') continue;
            while (p < s.size() && s[p] == ' ') ++p;
            const auto end = run_end(s, p, is_bearer_char);
            // "Token" is an ordinary word: only a long token after it counts.
            const std::size_t least = scheme == "token" ? 20 : 8;
            if (end - p >= least) {
                m.mark(p, end);
                i = end - 1;
            }
            break;
        }
    }
}

// dt0c01.<public part>.<secret part>: Dynatrace API tokens.
void mark_dynatrace_tokens(std::string_view s, span_mask& m) {
    constexpr std::string_view prefix = "dt0c01.";
    for (auto at = s.find(prefix); at != std::string_view::npos; at = s.find(prefix, at + 1)) {
        const auto end = run_end(s, at + prefix.size(), [](char c) { return is_alnum(c) || c == '.'; });
        if (end - at - prefix.size() >= 8) {
            m.mark(at, end);
            at = end - 1;
        }
    }
}

// AKIA/ASIA followed by 16 upper-case letters or digits: AWS access key IDs.
void mark_aws_keys(std::string_view s, span_mask& m) {
    for (std::size_t i = 0; i + 20 <= s.size(); ++i) {
        if (s.compare(i, 4, "AKIA") != 0 && s.compare(i, 4, "ASIA") != 0) continue;
        bool shaped = true;
        for (std::size_t k = i + 4; k < i + 20 && shaped; ++k) shaped = is_upper(s[k]) || is_digit(s[k]);
        if (shaped) {
            m.mark(i, i + 20);
            i += 19;
        }
    }
}

// -----BEGIN … PRIVATE KEY----- up to its END line (or the end of the text).
void mark_pem_keys(std::string_view s, span_mask& m) {
    constexpr std::string_view begin = "-----BEGIN ";
    constexpr std::string_view end_marker = "-----END ";
    for (auto at = s.find(begin); at != std::string_view::npos; at = s.find(begin, at + 1)) {
        const auto header_end = s.find("-----", at + begin.size());
        if (header_end == std::string_view::npos || header_end - at > 80) continue;
        if (s.substr(at, header_end - at).find("PRIVATE KEY") == std::string_view::npos) continue;
        auto end = s.find(end_marker, header_end + 5);
        if (end == std::string_view::npos) {
            m.mark(at, s.size());
            return;
        }
        const auto close = s.find("-----", end + end_marker.size());
        end = close == std::string_view::npos ? s.size() : close + 5;
        m.mark(at, end);
        at = end - 1;
    }
}

// eyJ….eyJ….<signature>: JSON Web Tokens (header and payload are base64url JSON).
void mark_jwts(std::string_view s, span_mask& m) {
    for (auto at = s.find("eyJ"); at != std::string_view::npos; at = s.find("eyJ", at + 1)) {
        const auto header_end = run_end(s, at, is_token_char);
        // Any later "eyJ" inside this run ends at the same place: skip them.
        const auto resume = header_end;
        if (header_end < s.size() && s[header_end] == '.' && s.compare(header_end + 1, 3, "eyJ") == 0) {
            const auto payload_end = run_end(s, header_end + 1, is_token_char);
            if (payload_end < s.size() && s[payload_end] == '.') {
                const auto end = run_end(s, payload_end + 1, is_token_char);
                m.mark(at, end);
                at = end - 1;
                continue;
            }
        }
        at = resume - 1;
    }
}

// A line made only of base64 (40 to 100 characters, upper and lower case and
// digits): the body of a PEM key or a printed key file.
void mark_base64_lines(std::string_view s, span_mask& m) {
    std::size_t start = 0;
    while (start <= s.size()) {
        auto nl = s.find('\n', start);
        if (nl == std::string_view::npos) nl = s.size();
        std::size_t b = start;
        std::size_t e = nl;
        while (b < e && (is_space(s[b]) || s[b] == '"')) ++b;
        while (e > b && (is_space(s[e - 1]) || s[e - 1] == '\r' || s[e - 1] == '"' || s[e - 1] == ',')) --e;
        std::size_t body = e;
        while (body > b && e - body < 2 && s[body - 1] == '=') --body;
        const auto len = e - b;
        if (len >= 40 && len <= 100 && run_end(s, b, is_base64_char) == body) {
            bool up = false;
            bool low = false;
            bool dig = false;
            for (std::size_t i = b; i < body; ++i) {
                up = up || is_upper(s[i]);
                low = low || is_lower(s[i]);
                dig = dig || is_digit(s[i]);
            }
            if (up && low && dig) m.mark(b, e);
        }
        start = nl + 1;
    }
}

// password=…, "client_secret": "…", DB_PASSWORD: …, --token=…, --password …,
// Authorization: Basic …: the value, not the key. Terraform's
// "(sensitive value)" is left as it is.
void mark_assignments(std::string_view s, span_mask& m) {
    constexpr std::array<std::string_view, 11> keys = {
        "password", "passwd", "secret", "token", "api_key", "apikey", "api-key", "private_key",
        "access_key", "secret_key", "authorization",
    };
    std::size_t i = 0;
    while (i < s.size()) {
        if (!is_ident_char(s[i])) {
            ++i;
            continue;
        }
        const std::size_t ident_begin = i;
        const std::size_t ident_end = run_end(s, i, is_ident_char);
        i = ident_end;
        const auto ident = s.substr(ident_begin, ident_end - ident_begin);
        std::string_view key;
        for (const auto k : keys)
            if (iends_with(ident, k)) key = k;
        if (key.empty()) continue;

        std::size_t p = ident_end;
        if (p < s.size() && (s[p] == '"' || s[p] == '\'')) ++p;
        while (p < s.size() && is_space(s[p])) ++p;
        const bool flag = ident.substr(0, 2) == "--";
        if (p < s.size() && (s[p] == '=' || s[p] == ':')) {
            if (s.compare(p, 3, "://") == 0) continue;
            ++p;
        } else if (!(flag && p > ident_end)) {
            continue;  // "--password <value>": a flag and its value
        }
        while (p < s.size() && is_space(s[p])) ++p;
        char quote = 0;
        if (p < s.size() && (s[p] == '"' || s[p] == '\'')) quote = s[p++];
        if (s.compare(p, 10, "(sensitive") == 0) continue;
        if (flag && quote == 0 && p < s.size() && s[p] == '-') continue;  // the next flag, not a value
        if (key == "authorization") {
            // Keep the scheme ("Basic", "Bearer", "Api-Token"), take the credential.
            const auto scheme_end = run_end(s, p, [](char c) { return is_alnum(c) || c == '-'; });
            if (scheme_end > p && scheme_end < s.size() && s[scheme_end] == ' ') {
                p = scheme_end;
                while (p < s.size() && s[p] == ' ') ++p;
            }
        }
        std::size_t end = p;
        if (quote != 0) {
            while (end < s.size() && s[end] != quote) end += s[end] == '\\' ? 2 : 1;
            end = std::min(end, s.size());
        } else {
            while (end < s.size() && !is_space(s[end]) && s[end] != '\r' && s[end] != '\n' && s[end] != ',' &&
                   s[end] != ';' && s[end] != '&' && s[end] != '"' && s[end] != '\'')
                ++end;
        }
        if (end > p) m.mark(p, end);
        i = std::max(i, end);
    }
}

// scheme://user:password@host: the password.
void mark_url_passwords(std::string_view s, span_mask& m) {
    for (auto at = s.find("://"); at != std::string_view::npos; at = s.find("://", at + 1)) {
        const std::size_t start = at + 3;
        std::size_t end = start;
        while (end < s.size() && s[end] != '/' && s[end] != '?' && s[end] != '#' && !is_space(s[end]) &&
               s[end] != '\n' && s[end] != '"' && s[end] != '\'' && s[end] != '<' && s[end] != '>')
            ++end;
        const auto authority = s.substr(start, end - start);
        const auto userinfo_end = authority.rfind('@');
        if (userinfo_end != std::string_view::npos) {
            const auto colon = authority.find(':');
            if (colon < userinfo_end && colon + 1 < userinfo_end) m.mark(start + colon + 1, start + userinfo_end);
        }
        at = end > start ? end - 1 : at;
    }
}

}  // namespace

void redactor::add_secret(std::string value) {
    auto add_one = [this](std::string v) {
        if (v.size() < min_secret_length) return;
        if (redaction_marker.find(v) != std::string_view::npos) return;
        for (const auto& s : secrets_)
            if (s.value == v) return;
        auto table = failure_table(v);
        secrets_.push_back({std::move(v), std::move(table)});
    };
    // A multi-line secret (a key file) reaches the output line by line, and
    // output lines lose their trailing '\r': so does a value that ends in one
    // (a secret file saved with CRLF).
    if (value.find('\n') != std::string::npos || (!value.empty() && value.back() == '\r')) {
        std::size_t start = 0;
        while (start < value.size()) {
            auto nl = value.find('\n', start);
            if (nl == std::string::npos) nl = value.size();
            auto line = value.substr(start, nl - start);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            add_one(std::move(line));
            start = nl + 1;
        }
    }
    add_one(std::move(value));
}

std::string redactor::redact(std::string_view line) const {
    span_mask mask(line.size());
    for (const auto& s : secrets_)
        kmp_search(line, s.value, s.failure, [&](std::size_t at) { mask.mark(at, at + s.value.size()); });
    mark_slack_tokens(line, mask);
    mark_scheme_tokens(line, mask);
    mark_dynatrace_tokens(line, mask);
    mark_aws_keys(line, mask);
    mark_pem_keys(line, mask);
    mark_jwts(line, mask);
    mark_base64_lines(line, mask);
    mark_assignments(line, mask);
    mark_url_passwords(line, mask);
    if (!mask.any()) return std::string(line);
    std::string out = mask.apply(line);
    // A secret could be re-formed across the marker and its neighbours
    // (a secret that itself holds "[redacted]"): then nothing of the line is kept.
    for (const auto& s : secrets_) {
        bool found = false;
        kmp_search(out, s.value, s.failure, [&](std::size_t) { found = true; });
        if (found) return std::string(redaction_marker);
    }
    return out;
}

}  // namespace promotebot::commands
