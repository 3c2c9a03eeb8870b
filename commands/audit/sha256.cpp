#include "commands/audit/sha256.hpp"

#include <array>
#include <stdexcept>

#include <openssl/evp.h>

namespace promotebot::commands {

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 digest failed in OpenSSL");
    static constexpr char hex_digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex.push_back(hex_digits[digest[i] >> 4]);
        hex.push_back(hex_digits[digest[i] & 0x0f]);
    }
    return hex;
}

}  // namespace promotebot::commands
