#pragma once
// A fresh directory under the system temp dir, removed with everything in it.
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace promotebot::testing {

struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::random_device rd;
        path = std::filesystem::temp_directory_path() /
               ("promotebot-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    [[nodiscard]] std::string file(const std::string& name = "promotebot.db") const { return (path / name).string(); }
};

}  // namespace promotebot::testing
