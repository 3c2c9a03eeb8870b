#include "bot/services/step_executor.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bot/services/tool_commands.hpp"
#include "commands/grammar/grammar.hpp"
#include "commands/promotion/tool_output.hpp"

namespace promotebot::bot {

namespace asio = boost::asio;
using namespace commands;

namespace {

std::string namespace_of(const std::vector<std::string>& argv) {
    for (std::size_t i = 0; i + 1 < argv.size(); ++i)
        if (argv[i] == "-n" || argv[i] == "--namespace") return argv[i + 1];
    return "markets";
}

bool was_cancelled(const step_job& job) { return job.cancel && job.cancel->cancelled(); }

}  // namespace

message code_tail(const std::string& title, const std::vector<std::string>& lines) {
    message m;
    m.text = title;
    if (!lines.empty()) {
        std::string block;
        for (const auto& l : lines) block += (block.empty() ? "" : "\n") + l;
        if (block.size() > 2500) block = "…" + block.substr(block.size() - 2500);
        m.context.push_back(block);
    }
    return m;
}

step_executor::step_executor(asio::any_io_executor ex, const config& cfg, process_runner& runner,
                             const redactor& redact, bool dry_run)
    : ex_(std::move(ex)), cfg_(cfg), runner_(runner), redactor_(redact), dry_run_(dry_run) {}

asio::awaitable<step_done> step_executor::run(const step_job& job) {
    step_done d;
    const auto spec = command_spec(cfg_, job.environment, job.argv, job.timeout, job.dir);
    if (dry_run_) {
        auto out = co_await run_capture(runner_, spec, redactor_, job.cancel);
        d.succeeded = out.outcome.succeeded();
        d.summary = d.succeeded ? "dry run: printed, not run" : ended_text(out.outcome);
        d.lines = std::move(out.lines);
        d.tail = std::move(out.tail);
        if (job.kind == step_kind::push) d.digest = "sha256:" + std::string(64, '0');
        if (job.kind == step_kind::terraform_plan) d.summary = "dry run: no plan was made.";
    } else if (job.kind == step_kind::verify_jobs) {
        d = co_await follow_jobs(job);
        if (!d.finished) co_return d;
    } else {
        auto out = co_await run_capture(runner_, spec, redactor_, job.cancel);
        d.lines = std::move(out.lines);
        d.tail = std::move(out.tail);
        d.succeeded = out.outcome.succeeded();
        d.summary = ended_text(out.outcome);
        if (d.succeeded) {
            switch (job.kind) {
            case step_kind::push: {
                const auto digest = pushed_digest(out.out, job.version);
                if (digest.ok()) {
                    d.digest = *digest.value;
                    d.summary = "pushed " + d.digest;
                } else {
                    d.succeeded = false;
                    d.summary = "docker push reported no digest for " + job.version + " (" + digest.error + ")";
                }
                break;
            }
            case step_kind::check_digest: {
                const auto tags = parse_gcloud_list_tags(out.out);
                const auto* entry = tags.ok() ? tag_entry(*tags.value, job.version) : nullptr;
                if (!entry) {
                    d.succeeded = false;
                    d.summary = tags.ok() ? "the registry has no image tagged " + job.version
                                          : "registry answer unreadable: " + tags.error;
                } else if (job.pushed_digest.empty()) {
                    d.summary = "registry digest " + entry->digest + " (nothing pushed by this deploy)";
                } else if (entry->digest != job.pushed_digest) {
                    d.succeeded = false;
                    d.summary = "the tag moved: the registry has " + entry->digest + ", docker push reported " +
                                job.pushed_digest + ". Stopped before kubectl set image.";
                } else {
                    d.summary = "the registry still has " + entry->digest;
                }
                break;
            }
            case step_kind::terraform_plan: {
                const auto plan = parse_terraform_plan(out.out);
                if (!plan.ok()) {
                    d.succeeded = false;
                    d.summary = "the plan's summary could not be read: " + plan.error;
                } else if (plan.value->no_changes) {
                    d.summary = "No changes.";
                } else {
                    d.summary = "Plan: " + std::to_string(plan.value->add) + " to add, " +
                                std::to_string(plan.value->change) + " to change, " +
                                std::to_string(plan.value->destroy) + " to destroy.";
                    d.tail = plan.value->resources;
                    if (d.tail.size() > 30) d.tail.resize(30);
                }
                break;
            }
            default: break;
            }
        }
    }
    for (auto& l : d.tail) l = redactor_.redact(l);
    d.summary = redactor_.redact(d.summary);
    co_return d;
}

asio::awaitable<step_done> step_executor::follow_jobs(const step_job& job) {
    step_done d;
    const auto deadline = std::chrono::steady_clock::now() + cfg_.promotion.verify_timeout;
    std::string last_error;
    asio::steady_timer wait(ex_);
    const auto spec = command_spec(cfg_, job.environment, job.argv, job.timeout, job.dir);
    while (!stopping_) {
        if (was_cancelled(job)) {
            d.summary = "cancelled";
            co_return d;
        }
        auto out = co_await run_capture(runner_, spec, redactor_, job.cancel);
        if (was_cancelled(job)) {
            d.summary = "cancelled";
            co_return d;
        }
        if (!out.outcome.succeeded()) {
            last_error = "kubectl: " + ended_text(out.outcome);
        } else if (auto jobs = parse_kubectl_jobs(out.out); !jobs.ok()) {
            last_error = jobs.error;
        } else if (const auto* found = first_job_after(*jobs.value, cfg_.promotion.cronjob, job.since)) {
            const auto state = job_outcome(*found);
            if (state == job_state::succeeded) {
                d.succeeded = true;
                d.summary = "job " + found->name + " succeeded";
                co_return d;
            }
            if (state == job_state::failed) {
                d.summary = "job " + found->name + " failed";
                if (is_valid_job_name(found->name)) {
                    std::vector<std::string> logs_argv{std::string{"kubectl"}, std::string{"logs"}, "job/" + found->name, std::string{"-n"},
                                                       namespace_of(job.argv), "--tail=20"};
                    const auto logs_spec = command_spec(cfg_, job.environment, logs_argv, std::chrono::seconds{60});
                    auto logs = co_await run_capture(runner_, logs_spec, redactor_, job.cancel);
                    d.tail = std::move(logs.tail);
                    d.lines = std::move(logs.lines);
                }
                co_return d;
            }
            last_error = "job " + found->name + " is running";
        } else {
            last_error = "no run of " + cfg_.promotion.cronjob + " has started since the change";
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            d.summary = "no run of " + cfg_.promotion.cronjob + " finished within " +
                        std::to_string(cfg_.promotion.verify_timeout.count() / 60) + " min (" + last_error + ")";
            co_return d;
        }
        wait.expires_after(cfg_.promotion.verify_poll);
        boost::system::error_code ignored;
        co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    d.finished = false;
    co_return d;
}

}  // namespace promotebot::bot
