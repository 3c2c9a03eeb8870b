#pragma once
// Posts the audit log's head (SEQ:HASH) to `audit.channel` once a day through
// the outbox, so a copy of it lives outside the database: whoever can rewrite
// the file cannot rewrite what was already posted. `promotebot audit verify
// --anchor SEQ:HASH` checks the log against any posted head.
#include <chrono>

#include <boost/asio/awaitable.hpp>

#include "bot/config/config.hpp"
#include "bot/ports/store.hpp"
#include "bot/services/freeze_service.hpp"

namespace promotebot::bot {

class audit_anchor_service {
public:
    audit_anchor_service(const config& cfg, store& st, wall_clock now);

    // Queues the post when one is due (a day after the last); records it in
    // the audit log. A broken chain is never anchored: an alert is posted
    // instead. Returns whether anything was queued.
    boost::asio::awaitable<bool> post_if_due();
    // Checks every `every` until the executor stops.
    boost::asio::awaitable<void> run(std::chrono::minutes every = std::chrono::minutes(60));

private:
    const config& cfg_;
    store& store_;
    wall_clock clock_;
};

}  // namespace promotebot::bot
