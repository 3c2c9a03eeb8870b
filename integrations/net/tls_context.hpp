#pragma once
// Client TLS: the system trust store plus an optional CA bundle, peers verified.
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace promotebot::net {

// Throws std::runtime_error when the CA file cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file);

}  // namespace promotebot::net
