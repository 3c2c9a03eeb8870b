#include "bot/main/console_mode.hpp"

#include <iostream>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "bot/main/gate_wiring.hpp"
#include "bot/services/command_router.hpp"
#include "bot/services/promotion_service.hpp"
#include "bot/services/rollback_service.hpp"
#include "bot/services/simulated_gates.hpp"
#include "bot/services/tool_commands.hpp"
#include "integrations/process/child_process_runner.hpp"
#include "integrations/process/dry_run_runner.hpp"
#include "bot/services/freeze_service.hpp"
#include "bot/services/home_service.hpp"
#include "bot/services/outbox_dispatcher.hpp"
#include "integrations/console/console_chat.hpp"
#include "integrations/console/console_form.hpp"
#include "bot/services/role_resolver.hpp"

namespace promotebot::bot {

namespace {

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

std::string roles_text(const commands::role_set& roles) {
    if (roles.empty()) return "no roles";
    std::string out;
    for (auto r : roles) out += (out.empty() ? "" : ", ") + std::string{commands::display_name(r)};
    return out;
}

const char* console_help =
    "Console commands:\n"
    "  /freeze [status|calendar [YYYY-MM]|list [days]|add <from> <to> <reason>|remove <id>|help]\n"
    "  /promote <version> [to int|prod] [change CHG…] [infra] [emergency]   (/promote help)\n"
    "  /rollback [prod|int] [to <version>] | dbt <model> | infra           (/rollback help)\n"
    "  click <N>       press button [N]\n"
    "  home            the app's Home tab: freeze, open requests, deployments, locks\n"
    "  gates           the demonstration's simulated gate answers\n"
    "  gate <id> pass|fail|unknown   flip one (e.g. `gate soak fail`)\n"
    "  as <user-id>    act as another configured user (see `users`)\n"
    "  users           configured users and their roles\n"
    "  whoami          your identity and roles\n"
    "  quit            leave\n";

}  // namespace

int run_console(const config& cfg, storage::synchronous_store& db, std::istream& in, std::ostream& out,
                const console_options& options) {
    boost::asio::io_context io;
    console::console_chat chat(out);
    auto st = storage::threaded_store(db);
    role_resolver roles(cfg, {}, std::chrono::steady_clock::now);
    freeze_service freeze(cfg, *st, std::chrono::system_clock::now);
    // The demonstration profile: on the embedded example every outside system is simulated.
    const bool demo = cfg.source_name == "<embedded>";
    const bool dry_run = demo || options.dry_run;
    const auto redact = known_secrets_redactor();
    // Gates only read: they run for real even when the steps are a dry run.
    process::child_process_runner gate_runner;
    std::unique_ptr<process_runner> runner;
    if (dry_run) runner = std::make_unique<process::dry_run_runner>();
    else runner = std::make_unique<process::child_process_runner>();
    auto fixtures = std::make_shared<gate_fixtures>();
    auto checkers = demo ? simulated_gate_checkers(cfg, fixtures)
                         : real_gate_checkers(io.get_executor(), cfg, gate_runner, redact, cfg.slack.ca_file);
    promotion_options popts;
    popts.dry_run = dry_run;
    promotion_service promotions(io.get_executor(), cfg, *st, freeze, *runner, std::move(checkers), redact,
                                 std::chrono::system_clock::now, popts);
    auto facts = demo ? make_demo_facts(*st, std::chrono::system_clock::now)
                      : make_command_facts(cfg, gate_runner, redact);
    rollback_service rollbacks(io.get_executor(), cfg, *st, freeze, *runner, std::move(facts), promotions, redact,
                               std::chrono::system_clock::now, popts);
    command_router router(cfg, *st, roles, freeze, std::chrono::system_clock::now);
    router.answer_failures_through(chat);
    router.serve_promotions(promotions, chat);
    router.serve_rollbacks(rollbacks);
    home_service home(cfg, *st, chat, std::chrono::system_clock::now);
    // The terminal takes every message at once (no pacing of updates); a retry waits a second.
    outbox_options delivery;
    delivery.backoff = [](int) { return std::chrono::milliseconds(1000); };
    delivery.update_interval = std::chrono::milliseconds(0);
    outbox_dispatcher dispatcher(io.get_executor(), *st, chat, std::chrono::system_clock::now, std::move(delivery));
    const auto directory = roles.directory();

    std::string user = options.user;
    if (user.empty()) {
        auto rm = directory.members.find(commands::role::release_manager);
        user = rm != directory.members.end() && !rm->second.empty() ? *rm->second.begin() : "UCONSOLE";
    }
    const std::string channel = cfg.slack.release_channel;

    auto run = [&](boost::asio::awaitable<void> task) {
        boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                out << "error: " << x.what() << "\n";
            }
        });
        io.restart();
        io.run();
    };
    auto deliver = [&] {
        run([&]() -> boost::asio::awaitable<void> {
            while (co_await dispatcher.deliver_due() > 0) {
            }
        }());
    };
    const console::form_prompt_options prompting{
        .max_tries = 3, .validate = [&router](const commands::form_submission& s) { return router.validate_form(s); }};
    // Runs a handler, then shows what it queued; a form it opened is asked
    // for at once (the console has no modals) and its answers are handled
    // in turn, which may open the next form.
    auto handle = [&](boost::asio::awaitable<void> task) {
        run(std::move(task));
        deliver();
        while (auto pending = chat.take_pending_form()) {
            auto submitted = console::prompt_form(*pending, user, in, out, prompting);
            if (!submitted) break;
            run(router.on_form(std::move(*submitted)));
            deliver();
        }
    };

    // Requests an earlier run left open are picked up.
    run(promotions.resume());
    run(rollbacks.resume());
    deliver();

    if (options.banner) {
        out << "promotebot console: Slack is simulated here; answers print below.\n";
        if (demo)
            out << "Demonstration profile: ServiceNow, Dynatrace, the registry, the cluster and BigQuery are\n"
                   "simulated (`gates` shows their answers, `gate soak fail` flips one), and deployment steps\n"
                   "are printed, not run.\n";
        else if (dry_run)
            out << "Dry run: deployment steps are printed, not run.\n";
        out
            << "You are " << user << " (" << roles_text(directory.roles_of(user)) << ") in #" << channel
            << ". Type `help` for commands.\n\n";
        // A newcomer's first question: may we ship today?
        handle(router.on_command({"/freeze", "", user, channel, "", ""}));
    }

    std::string line;
    while (true) {
        out << user << "> " << std::flush;
        if (!std::getline(in, line)) break;
        line = trim(line);
        if (line.empty()) continue;
        if (line == "quit" || line == "exit") break;
        if (line == "help") {
            out << console_help;
            continue;
        }
        if (line == "gates") {
            if (!demo) {
                out << "Gates ask the real systems here (this is not the demonstration profile).\n";
                continue;
            }
            for (const auto& [id, a] : fixtures->all())
                out << "  " << id << ": " << commands::to_string(a.state) << " — " << a.evidence << "\n";
            continue;
        }
        if (line.rfind("gate ", 0) == 0) {
            std::istringstream words(line.substr(5));
            std::string id, verdict;
            words >> id >> verdict;
            const auto state = commands::gate_state_named(verdict);
            if (!demo) {
                out << "Gates ask the real systems here; only the demonstration profile simulates them.\n";
            } else if (id.empty() || !state || *state == commands::gate_state::checking || !fixtures->set(id, *state)) {
                out << "usage: gate <id> pass|fail|unknown   (ids: `gates`)\n";
            } else {
                out << "The " << id << " gate now answers " << verdict
                    << ". Press Re-check gates (or sign off) to ask again.\n";
            }
            continue;
        }
        if (line == "home") {
            run(home.opened({user}));
            continue;
        }
        if (line == "whoami") {
            out << user << ": " << roles_text(directory.roles_of(user)) << "\n";
            continue;
        }
        if (line == "users") {
            std::set<std::string> everyone;
            for (const auto& [r, members] : directory.members) everyone.insert(members.begin(), members.end());
            for (const auto& u : everyone) out << "  " << u << ": " << roles_text(directory.roles_of(u)) << "\n";
            if (roles.has_groups()) out << "  (members of Slack user groups are only known when connected to Slack)\n";
            continue;
        }
        if (line.rfind("as ", 0) == 0) {
            auto next = trim(line.substr(3));
            if (next.empty() || next.find_first_of(" \t") != std::string::npos) {
                out << "usage: as <user-id>\n";
                continue;
            }
            user = next;
            const auto held = directory.roles_of(user);
            out << "You are now " << user << " (" << roles_text(held) << ")";
            if (held.empty()) out << ": not in the configuration, so every role-checked action will be refused";
            out << ".\n";
            continue;
        }
        if (line.rfind("click", 0) == 0) {
            std::istringstream words(line.substr(5));
            int n = 0;
            const auto* b = (words >> n) ? chat.button(n) : nullptr;
            if (!b) {
                out << "No button [" << (n > 0 ? std::to_string(n) : std::string{"?"}) << "]. Usage: click <N>\n";
                continue;
            }
            if (b->button.confirm) out << "(" << b->button.confirm->title << " — confirmed)\n";
            handle(router.on_button({b->button.action_id, b->button.value, user, b->channel, b->ts, "", ""}));
            continue;
        }
        if (line.front() == '/') {
            const auto space = line.find(' ');
            const auto command = line.substr(0, space);
            const auto text = space == std::string::npos ? std::string{} : trim(line.substr(space + 1));
            handle(router.on_command({command, text, user, channel, "", ""}));
            continue;
        }
        out << "Not understood: lines starting with / are slash commands; `help` lists the rest.\n";
    }
    out << "\n";
    return 0;
}

}  // namespace promotebot::bot
