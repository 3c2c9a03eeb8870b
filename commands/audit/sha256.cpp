#include "commands/audit/sha256.hpp"

#include <array>
#include <stdexcept>

#include <openssl/evp.h>

namespace promotebot::commands {

namespace {

std::string to_hex(const unsigned char* bytes, std::size_t length) {
    static constexpr char hex_digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(length * 2);
    for (std::size_t i = 0; i < length; ++i) {
        hex.push_back(hex_digits[bytes[i] >> 4]);
        hex.push_back(hex_digits[bytes[i] & 0x0f]);
    }
    return hex;
}

}  // namespace

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 digest failed in OpenSSL");
    return to_hex(digest.data(), length);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    if (key.empty()) throw std::invalid_argument("an HMAC key must not be empty");
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    std::size_t length = 0;
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                  reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), mac.size(),
                  &length) == nullptr)
        throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
    return to_hex(mac.data(), length);
}

}  // namespace promotebot::commands
