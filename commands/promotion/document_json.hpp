#pragma once
// Reading the JSON documents the store keeps (promotions, rollbacks) with
// every field's type checked: a field that does not fit throws
// std::runtime_error "<document>: <field> is not text", so a request is
// reported unreadable, never guessed. Times are Unix seconds.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands/promotion/promotion.hpp"

namespace promotebot::commands {

class document_reader {
public:
    explicit document_reader(std::string document) : document_(std::move(document)) {}

    [[noreturn]] void bad(const std::string& what) const;
    const nlohmann::json& member(const nlohmann::json& j, const char* key) const;
    std::string text(const nlohmann::json& j, const char* key) const;
    std::string text_or(const nlohmann::json& j, const char* key) const;  // absent or null: empty
    std::int64_t number(const nlohmann::json& j, const char* key) const;
    bool flag(const nlohmann::json& j, const char* key) const;  // absent: false
    std::vector<std::string> texts(const nlohmann::json& j, const char* key) const;  // absent: empty
    sys_seconds time(const nlohmann::json& j, const char* key) const;
    std::optional<sys_seconds> optional_time(const nlohmann::json& j, const char* key) const;  // absent or null
    environment environment_of(const nlohmann::json& j, const char* key) const;
    std::vector<step_run> steps(const nlohmann::json& j, const char* key) const;

private:
    std::string document_;
};

std::int64_t seconds_of(sys_seconds t);
nlohmann::json optional_time_json(const std::optional<sys_seconds>& t);
nlohmann::json steps_json(const std::vector<step_run>& steps);

}  // namespace promotebot::commands
