#include "tests/fake_slack/test_certificate.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace promotebot::testing {
namespace {

struct evp_pkey_free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct x509_free {
    void operator()(X509* c) const { X509_free(c); }
};
struct bio_free {
    void operator()(BIO* b) const { BIO_free(b); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, evp_pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using bio_ptr = std::unique_ptr<BIO, bio_free>;

[[noreturn]] void fail(const char* what) {
    char buf[256] = {};
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    throw std::runtime_error(std::string("test certificate: ") + what + ": " + buf);
}

void check(int rc, const char* what) {
    if (rc <= 0) fail(what);
}

pkey_ptr make_key() {
    pkey_ptr key(EVP_EC_gen("P-256"));
    if (!key) fail("EC key generation");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) fail("certificate extension");
    const int rc = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    check(rc, "add extension");
}

x509_ptr make_cert(EVP_PKEY* subject_key, const char* common_name, long serial) {
    x509_ptr cert(X509_new());
    if (!cert) fail("X509_new");
    check(X509_set_version(cert.get(), 2), "set version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial), "set serial");
    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600)) fail("notBefore");
    if (!X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600)) fail("notAfter");
    check(X509_set_pubkey(cert.get(), subject_key), "set public key");
    X509_NAME* name = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("promotebot tests"), -1, -1, 0),
          "subject O");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0),
          "subject CN");
    return cert;
}

std::string to_pem(X509* cert) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509(bio.get(), cert), "write certificate");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string to_pem(EVP_PKEY* key) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "write key");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

test_certificate make_test_certificate() {
    pkey_ptr ca_key = make_key();
    x509_ptr ca = make_cert(ca_key.get(), "promotebot test CA", 1);
    check(X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())), "CA issuer");
    add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()), "sign CA");

    pkey_ptr server_key = make_key();
    x509_ptr server = make_cert(server_key.get(), "localhost", 2);
    check(X509_set_issuer_name(server.get(), X509_get_subject_name(ca.get())), "server issuer");
    add_extension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
    add_extension(server.get(), ca.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    add_extension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
    check(X509_sign(server.get(), ca_key.get(), EVP_sha256()), "sign server certificate");

    return {to_pem(ca.get()), to_pem(server.get()), to_pem(server_key.get())};
}

}  // namespace promotebot::testing
