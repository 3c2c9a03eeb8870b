#pragma once
// Takes secrets out of the runbook commands' output before it is posted to
// Slack, logged or written to the audit log. Two nets: the values the bot
// knows to be secret (registered with add_secret), and anything shaped like a
// credential (Slack, Dynatrace, AWS and bearer tokens, JWTs, PEM private keys,
// `password=` style assignments, passwords in URLs). Ordinary deploy output
// stays readable: image names with sha256 digests, Kubernetes object names,
// Terraform's own "(sensitive value)".
//
// redact() runs in time linear in the line (per registered secret): no
// backtracking regex, hand-written scanners only.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace promotebot::commands {

inline constexpr std::string_view redaction_marker = "[redacted]";

class redactor {
public:
    // Values shorter than min_secret_length are ignored (a short secret would
    // blank ordinary words), and so are values found inside the marker itself
    // ("redacted"), which no output could be cleared of. Adding the same value
    // twice keeps one.
    static constexpr std::size_t min_secret_length = 6;
    void add_secret(std::string value);

    // The line with every registered secret and every credential-shaped span
    // replaced by "[redacted]" (a key like `password=` is kept, its value
    // replaced). The result never contains a registered secret.
    [[nodiscard]] std::string redact(std::string_view line) const;

    [[nodiscard]] std::size_t secret_count() const { return secrets_.size(); }

private:
    struct secret {
        std::string value;
        std::vector<std::size_t> failure;  // Knuth-Morris-Pratt table: linear search
    };
    std::vector<secret> secrets_;
};

}  // namespace promotebot::commands
