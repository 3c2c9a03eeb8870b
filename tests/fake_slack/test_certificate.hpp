#pragma once
// A throwaway certificate authority and a server certificate it signed, made
// in memory for loopback TLS in tests.
#include <string>

namespace promotebot::testing {

struct test_certificate {
    std::string ca_cert_pem;      // trust anchor for clients
    std::string server_cert_pem;  // SAN: IP:127.0.0.1, DNS:localhost
    std::string server_key_pem;
};

// EC P-256 keys; valid from an hour ago for a day. Throws std::runtime_error
// when OpenSSL fails.
test_certificate make_test_certificate();

}  // namespace promotebot::testing
