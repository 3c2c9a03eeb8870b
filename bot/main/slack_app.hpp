#pragma once
// The bot connected to Slack: Socket Mode in, Web API out, the command
// router in between, stopped by SIGINT/SIGTERM or stop().
#include <memory>
#include <string>

#include "bot/config/config.hpp"
#include "integrations/store/common/synchronous_store.hpp"

namespace promotebot::bot {

// Secrets and endpoints from the environment (never from the config file).
struct slack_environment {
    std::string app_token;  // SLACK_APP_TOKEN (xapp-)
    std::string bot_token;  // SLACK_BOT_TOKEN (xoxb-)
    std::string api_url = "https://slack.com/api/";  // SLACK_API_URL
    std::string ca_file;    // SSL_CERT_FILE, else slack.ca_file (also trusted for ServiceNow and Dynatrace)
    bool dry_run = false;   // --dry-run: deployment steps print their argv instead of running
    // PROMOTEBOT_REPLICA_ID, else the host name (a pod's name): stable across
    // restarts of one replica, distinct between replicas sharing a store.
    std::string replica;
};

// Reads SLACK_APP_TOKEN, SLACK_BOT_TOKEN, SLACK_API_URL, SSL_CERT_FILE and PROMOTEBOT_REPLICA_ID.
slack_environment slack_environment_from_env(const config& cfg);

class slack_app {
public:
    // The store is used from the app's store thread only while run() runs.
    slack_app(const config& cfg, storage::synchronous_store& db, slack_environment env);
    ~slack_app();
    // Runs until stopped (exit code 0) or a fatal error (non-zero, explained in the log).
    int run(bool handle_signals = true);
    // Thread-safe: starts a graceful stop.
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace promotebot::bot
