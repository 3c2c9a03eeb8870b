#include "bot/services/command_gates.hpp"

#include "bot/services/tool_commands.hpp"
#include "commands/promotion/argv_template.hpp"
#include "commands/promotion/command_gates.hpp"
#include "commands/promotion/tool_output.hpp"

namespace promotebot::bot {

namespace asio = boost::asio;
using commands::gate_result;
using commands::gate_state;

namespace {

gate_result unknown(const std::string& id, const std::string& title, std::string why) {
    return commands::gate_answer(id, title, gate_state::unknown, std::move(why));
}

// Runs a template with the values; answers the output or why it could not.
struct ran {
    std::optional<captured_output> output;
    std::string error;
};

asio::awaitable<ran> run_template(const config& cfg, process_runner& runner, const commands::redactor& redact,
                                  const std::string& environment, const std::vector<std::string>& argv_template,
                                  std::map<std::string, std::string> values, std::chrono::seconds timeout) {
    auto argv = commands::expand_argv(argv_template, values);
    if (!argv.ok()) co_return ran{std::nullopt, "cannot build the command: " + argv.error};
    const auto tool = argv.argv.empty() ? std::string{} : argv.argv.front();
    const auto spec = command_spec(cfg, environment, std::move(argv.argv), timeout);
    auto out = co_await run_capture(runner, spec, redact);
    if (!out.outcome.succeeded())
        co_return ran{std::nullopt, tool + ": " + ended_text(out.outcome) +
                                        (out.tail.empty() ? "" : " (" + commands::evidence_text(out.tail.back()) + ")")};
    co_return ran{std::move(out), {}};
}

std::map<std::string, std::string> with(std::map<std::string, std::string> v, const gate_subject& s) {
    v["version"] = s.version;
    return v;
}

// Since when int runs this version: the bot's own int deployment, else the registry's upload time of the tag.
asio::awaitable<std::pair<std::optional<std::chrono::sys_seconds>, std::string>> int_since(
    const config& cfg, process_runner& runner, const commands::redactor& redact, const gate_subject& s) {
    if (s.int_deployed_at) co_return std::pair{s.int_deployed_at, std::string{}};
    if (cfg.promotion.soak.tag_time.empty()) co_return std::pair{std::optional<std::chrono::sys_seconds>{}, std::string{"no source for the int deploy time"}};
    auto values = with(environment_values(cfg, "int"), s);
    auto r = co_await run_template(cfg, runner, redact, "int", cfg.promotion.soak.tag_time, std::move(values),
                                   std::chrono::seconds{60});
    if (!r.output) co_return std::pair{std::optional<std::chrono::sys_seconds>{}, r.error};
    const auto tags = commands::parse_gcloud_list_tags(r.output->out);
    if (!tags.ok()) co_return std::pair{std::optional<std::chrono::sys_seconds>{}, "registry answer unreadable: " + tags.error};
    const auto* entry = commands::tag_entry(*tags.value, s.version);
    if (!entry) co_return std::pair{std::optional<std::chrono::sys_seconds>{}, "the registry has no image tagged " + s.version};
    if (!entry->uploaded) co_return std::pair{std::optional<std::chrono::sys_seconds>{}, "the registry gives no upload time for " + s.version};
    co_return std::pair{entry->uploaded, std::string{}};
}

class soak_gate final : public gate_checker {
public:
    soak_gate(const config& cfg, process_runner& runner, const commands::redactor& redact)
        : cfg_(cfg), runner_(runner), redact_(redact) {}
    [[nodiscard]] std::string id() const override { return "soak"; }
    [[nodiscard]] std::string title() const override { return gate_title(cfg_, "soak"); }

    asio::awaitable<gate_result> check(const gate_subject& s) override {
        auto values = with(environment_values(cfg_, "int"), s);
        auto image = co_await run_template(cfg_, runner_, redact_, "int", cfg_.promotion.soak.running_image,
                                           std::move(values), std::chrono::seconds{60});
        if (!image.output) co_return unknown(id(), title(), "cannot read what int runs: " + image.error);
        const auto running = commands::cronjob_container_image(image.output->out, cfg_.promotion.soak.container);
        if (!running.ok()) co_return unknown(id(), title(), "cannot read what int runs: " + running.error);
        const auto tag = commands::image_tag(*running.value);
        const auto [since, why] = co_await int_since(cfg_, runner_, redact_, s);
        auto r = commands::soak_verdict(s.version, tag ? std::optional<std::string_view>{*tag} : std::nullopt, since,
                                        cfg_.promotion.soak.hours, s.now);
        if (r.state == gate_state::unknown && !why.empty()) r.evidence += " (" + why + ")";
        r.id = id();
        r.title = title();
        co_return r;
    }

private:
    const config& cfg_;
    process_runner& runner_;
    const commands::redactor& redact_;
};

class cycles_gate final : public gate_checker {
public:
    cycles_gate(const config& cfg, process_runner& runner, const commands::redactor& redact)
        : cfg_(cfg), runner_(runner), redact_(redact) {}
    [[nodiscard]] std::string id() const override { return "pipeline_cycles"; }
    [[nodiscard]] std::string title() const override { return gate_title(cfg_, "pipeline_cycles"); }

    asio::awaitable<gate_result> check(const gate_subject& s) override {
        const auto [since, why] = co_await int_since(cfg_, runner_, redact_, s);
        if (!since) co_return unknown(id(), title(), "since when int runs " + s.version + " is unknown: " + why);
        auto values = with(environment_values(cfg_, "int"), s);
        values["since"] = commands::format_rfc3339(*since);
        auto r = co_await run_template(cfg_, runner_, redact_, "int", cfg_.promotion.cycles.argv, values,
                                       std::chrono::seconds{120});
        if (!r.output) co_return unknown(id(), title(), "the cycle count query failed: " + r.error);
        const auto cell = commands::bq_first_cell(r.output->out);
        auto g = commands::cycles_verdict(cell.ok() ? std::optional<std::string_view>{*cell.value} : std::nullopt,
                                          cfg_.promotion.cycles.minimum, *since, s.now);
        if (!cell.ok()) g.evidence += " (" + cell.error + ")";
        g.id = id();
        g.title = title();
        co_return g;
    }

private:
    const config& cfg_;
    process_runner& runner_;
    const commands::redactor& redact_;
};

class command_check final : public gate_checker {
public:
    command_check(const config& cfg, check_settings check, process_runner& runner, const commands::redactor& redact)
        : cfg_(cfg), check_(std::move(check)), runner_(runner), redact_(redact) {}
    [[nodiscard]] std::string id() const override { return check_.id; }
    [[nodiscard]] std::string title() const override { return check_.title; }

    asio::awaitable<gate_result> check(const gate_subject& s) override {
        auto values = with(environment_values(cfg_, check_.environment), s);
        values["promotion_id"] = std::to_string(s.promotion_id);
        if (!s.change_records.empty()) values["change_record"] = s.change_records.front();
        auto argv = commands::expand_argv(check_.argv, values);
        if (!argv.ok()) co_return unknown(id(), title(), "cannot build the command: " + argv.error);
        const auto spec = command_spec(cfg_, check_.environment, std::move(argv.argv), check_.timeout);
        const auto out = co_await run_capture(runner_, spec, redact_);
        commands::command_exit exit;
        exit.ended = static_cast<commands::command_exit::how>(static_cast<int>(out.outcome.ended));
        exit.exit_code = out.outcome.exit_code;
        auto first = out.first_line;
        if (out.outcome.ended == process_outcome::how::failed_to_start) first = out.outcome.error;
        co_return commands::command_check_verdict(id(), title(), exit, first);
    }

private:
    const config& cfg_;
    check_settings check_;
    process_runner& runner_;
    const commands::redactor& redact_;
};

class unconfigured_gate final : public gate_checker {
public:
    unconfigured_gate(std::string id, std::string title, std::string why)
        : id_(std::move(id)), title_(std::move(title)), why_(std::move(why)) {}
    [[nodiscard]] std::string id() const override { return id_; }
    [[nodiscard]] std::string title() const override { return title_; }
    asio::awaitable<gate_result> check(const gate_subject&) override { co_return unknown(id_, title_, why_); }

private:
    std::string id_, title_, why_;
};

}  // namespace

std::shared_ptr<gate_checker> make_soak_gate(const config& cfg, process_runner& runner, const commands::redactor& redact) {
    return std::make_shared<soak_gate>(cfg, runner, redact);
}
std::shared_ptr<gate_checker> make_cycles_gate(const config& cfg, process_runner& runner,
                                               const commands::redactor& redact) {
    return std::make_shared<cycles_gate>(cfg, runner, redact);
}
std::shared_ptr<gate_checker> make_command_check(const config& cfg, const check_settings& check,
                                                 process_runner& runner, const commands::redactor& redact) {
    return std::make_shared<command_check>(cfg, check, runner, redact);
}
std::shared_ptr<gate_checker> make_unconfigured_gate(std::string id, std::string title, std::string why) {
    return std::make_shared<unconfigured_gate>(std::move(id), std::move(title), std::move(why));
}

}  // namespace promotebot::bot
