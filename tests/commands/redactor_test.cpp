#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "commands/promotion/redactor.hpp"

using namespace promotebot::commands;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

const std::string digest = "sha256:4f1e3a9d8c2b7e6f5a4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f";

}  // namespace

TEST_CASE("registered secrets are replaced wherever they appear") {
    redactor r;
    r.add_secret("s3cr3t-Passw0rd");
    r.add_secret("hunter2hunter2");
    CHECK(r.redact("login with s3cr3t-Passw0rd ok") == "login with [redacted] ok");
    CHECK(r.redact("s3cr3t-Passw0rds3cr3t-Passw0rd") == "[redacted]");
    CHECK(r.redact("a hunter2hunter2 b s3cr3t-Passw0rd c") == "a [redacted] b [redacted] c");
    CHECK(r.redact("nothing secret here") == "nothing secret here");
    CHECK(r.secret_count() == 2);
    r.add_secret("hunter2hunter2");
    CHECK(r.secret_count() == 2);
}

TEST_CASE("short secrets and the marker's own words are not registered") {
    redactor r;
    r.add_secret("");
    r.add_secret("abc12");
    r.add_secret("redacted");
    r.add_secret("[redacted]");
    CHECK(r.secret_count() == 0);
    CHECK(r.redact("abc12 is a short word") == "abc12 is a short word");
}

TEST_CASE("a multi-line secret is redacted line by line") {
    redactor r;
    r.add_secret("first-line-of-key\r\nsecond-line-of-key\nxy");
    CHECK(r.redact("second-line-of-key") == "[redacted]");
    CHECK(r.redact("first-line-of-key") == "[redacted]");
    CHECK(r.redact("xy stays") == "xy stays");
}

TEST_CASE("a secret that ends in a carriage return is redacted from lines that lost it") {
    // Found by fuzz_tool_output_fuzz: output lines lose one trailing '\r'
    // (child_process_runner), so a value read from a CRLF file was missed.
    redactor r;
    r.add_secret("tok3n-from-crlf-file\r");
    CHECK(r.redact("echo tok3n-from-crlf-file done") == "echo [redacted] done");
    CHECK(r.redact("tok3n-from-crlf-file\r") == "[redacted]");
}

TEST_CASE("overlapping secrets are both covered") {
    redactor r;
    r.add_secret("abcdef");
    r.add_secret("defghi");
    CHECK(r.redact("xxabcdefghixx") == "xx[redacted]xx");
    // A secret re-formed around the marker is never left in the output.
    redactor tricky;
    tricky.add_secret("ab[redacted]");
    tricky.add_secret("SECRETTT");
    const auto out = tricky.redact("abSECRETTT");
    CHECK_FALSE(contains(out, "ab[redacted]"));
    CHECK_FALSE(contains(out, "SECRETTT"));
}

TEST_CASE("Slack tokens are redacted") {
    redactor r;
    CHECK(r.redact("token xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx used") == "token [redacted] used");
    CHECK(r.redact("xoxp-1234-5678-abcdef") == "[redacted]");
    CHECK(r.redact("xapp-1-A0123456789-1234567890123-abcdef0123456789") == "[redacted]");
    CHECK(r.redact("SLACK=xoxs-aaaaaaaa") == "SLACK=[redacted]");
    CHECK(r.redact("xoxb-") == "xoxb-");
}

TEST_CASE("Authorization headers keep the scheme and lose the credential") {
    redactor r;
    CHECK(r.redact("Authorization: Bearer ya29.a0AfH6SMBx-abc_def") == "Authorization: Bearer [redacted]");
    CHECK(r.redact("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA==' https://x") ==
          "curl -H 'Authorization: Basic [redacted]' https://x");
    CHECK(r.redact(R"({"Authorization": "Api-Token dt0c01.ST2EY72KQINMH574WMNVI7YN.G3DFPBEJYMODIDAEX454M7YWBUVEFOWKPRVMWFASS64NFH52PX6BNDVFFM572RZM"})") ==
          R"({"Authorization": "Api-Token [redacted]"})");
    CHECK(r.redact("sent bearer abcdefghijkl to the api") == "sent bearer [redacted] to the api");
    CHECK(r.redact("Api-Token abcdefghijklmnop") == "Api-Token [redacted]");
    // Ordinary words after "Basic" are left alone when not a header.
    CHECK(r.redact("Basic checks passed") == "Basic checks passed");
}

TEST_CASE("Dynatrace, AWS, JWT and PEM shapes are redacted") {
    redactor r;
    CHECK(r.redact("DT token dt0c01.ST2EY72KQINMH574WMNVI7YN.G3DFPBEJYMODIDAEX454M7YWBUVEFOWKPRVMWFASS64NFH52PX6BNDVFFM572RZM end") ==
          "DT token [redacted] end");
    CHECK(r.redact("aws AKIAIOSFODNN7EXAMPLE here") == "aws [redacted] here");
    CHECK(r.redact("ASIAY34FZKBOKMUTVV7A") == "[redacted]");
    CHECK(r.redact("AKIA is a prefix") == "AKIA is a prefix");
    CHECK(r.redact("jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok") ==
          "jwt [redacted] ok");
    CHECK(r.redact("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.") == "[redacted]");
    CHECK(r.redact("eyJustAWord.notAToken") == "eyJustAWord.notAToken");
    CHECK(r.redact("-----BEGIN RSA PRIVATE KEY-----") == "[redacted]");
    CHECK(r.redact("-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA -----END OPENSSH PRIVATE KEY----- tail") ==
          "[redacted] tail");
    CHECK(r.redact("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj") == "[redacted]");
    CHECK(r.redact("-----BEGIN CERTIFICATE-----") == "-----BEGIN CERTIFICATE-----");
}

TEST_CASE("a GCP service account key is redacted") {
    redactor r;
    const std::string line =
        R"({"type": "service_account", "project_id": "markets-int-4821", "private_key_id": "a1b2c3", )"
        R"("private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n", )"
        R"("client_email": "deployer@markets-int-4821.iam.gserviceaccount.com"})";
    const auto out = r.redact(line);
    CHECK(out ==
          R"({"type": "service_account", "project_id": "markets-int-4821", "private_key_id": "a1b2c3", )"
          R"("private_key": "[redacted]", )"
          R"("client_email": "deployer@markets-int-4821.iam.gserviceaccount.com"})");
}

TEST_CASE("assignments keep the key and lose the value") {
    redactor r;
    CHECK(r.redact("password=hunter2 user=bob") == "password=[redacted] user=bob");
    CHECK(r.redact("DB_PASSWORD: correct-horse") == "DB_PASSWORD: [redacted]");
    CHECK(r.redact("passwd:abc") == "passwd:[redacted]");
    CHECK(r.redact("client_secret = \"s e c r e t\" next") == "client_secret = \"[redacted]\" next");
    CHECK(r.redact("https://api.example/cb?token=abc123&state=x") == "https://api.example/cb?token=[redacted]&state=x");
    CHECK(r.redact("docker login --password pa55word --username u") == "docker login --password [redacted] --username u");
    CHECK(r.redact("--token=abc --next") == "--token=[redacted] --next");
    CHECK(r.redact("--password --stdin") == "--password --stdin");
    CHECK(r.redact(R"("api_key": "k-123", "name": "x")") == R"("api_key": "[redacted]", "name": "x")");
    CHECK(r.redact(R"(secret: "esc\"aped" after)") == R"(secret: "[redacted]" after)");
    // Words that merely contain a key, or keys without a value, stay.
    CHECK(r.redact("secretName: markets-creds") == "secretName: markets-creds");
    CHECK(r.redact("token_file=/var/run/token") == "token_file=/var/run/token");
    CHECK(r.redact("secret/markets-creds created") == "secret/markets-creds created");
    CHECK(r.redact("password=") == "password=");
}

TEST_CASE("Terraform's sensitive values stay as Terraform prints them") {
    redactor r;
    CHECK(r.redact("      + password    = (sensitive value)") == "      + password    = (sensitive value)");
    CHECK(r.redact("      ~ secret_data = (sensitive value)") == "      ~ secret_data = (sensitive value)");
}

TEST_CASE("passwords in URLs are redacted, the rest of the URL kept") {
    redactor r;
    CHECK(r.redact("remote https://deploy:gh-pass-123@github.example/org/repo.git") ==
          "remote https://deploy:[redacted]@github.example/org/repo.git");
    CHECK(r.redact("postgres://app:p@ss@db.internal:5432/markets") == "postgres://app:[redacted]@db.internal:5432/markets");
    CHECK(r.redact("ssh://git@github.example/org/repo") == "ssh://git@github.example/org/repo");
    CHECK(r.redact("https://console.cloud.google.com/gcr/images/p?x=1") ==
          "https://console.cloud.google.com/gcr/images/p?x=1");
}

TEST_CASE("ordinary deploy output is left alone") {
    redactor r;
    r.add_secret("xoxb-real-bot-token-value");
    const std::vector<std::string> lines = {
        "job.batch/markets-pipeline-28911 created",
        "cronjob.batch/markets-pipeline image updated",
        "gcr.io/markets-int-4821/markets-orchestrator:v1.2.3@" + digest,
        "v1.2.3: digest: " + digest + " size: 1780",
        "The push refers to repository [gcr.io/markets-int-4821/markets-orchestrator]",
        "3f4ca61aafcd: Pushed",
        "  # terraform_data.release must be replaced",
        "Plan: 1 to add, 0 to change, 1 to destroy.",
        "[{\"successful_cycles\":\"3\"}]",
        "Waiting on bqjob_r1a2b3c4d5_0000018c_1 ... (0s) Current status: DONE",
        "kubectl set image -n markets cronjob/markets-pipeline orchestrator=gcr.io/p/markets-orchestrator:v1.2.3",
        "uid: 0b6c3c8e-8f4e-4f0e-9c61-7d1c2b8f6a10",
        "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "",
    };
    for (const auto& line : lines) CHECK(r.redact(line) == line);
}

TEST_CASE("redaction of long hostile lines takes linear time") {
    redactor r;
    std::string repetitive_secret(2000, 'a');
    r.add_secret(repetitive_secret + "b");
    r.add_secret(std::string(1000, 'a'));
    const std::string line(4 * 1024 * 1024, 'a');
    const auto start = std::chrono::steady_clock::now();
    const auto out = r.redact(line);
    CHECK(out == "[redacted]");
    // Shapes whose scanners could backtrack: many starts, no end.
    std::string shapes;
    for (int i = 0; i < 100000; ++i) shapes += "eyJa.eyJb xoxb- AKIA password= https://a:b ";
    const auto shaped = r.redact(shapes);
    CHECK_FALSE(shaped.empty());
    // Generous: a quadratic scan of these lines would take hours.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}
