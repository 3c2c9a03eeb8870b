#include "bot/services/simulated_gates.hpp"

namespace promotebot::bot {

using commands::gate_state;

namespace {

// What each gate says in the demonstration, passing and failing.
struct script {
    const char* pass;
    const char* fail;
};

const std::map<std::string, script>& scripts() {
    static const std::map<std::string, script> s{
        {"soak", {"(simulated) int has run the version for 31 h of the 24 h required",
                  "(simulated) int has run the version for 5 h 12 min of the 24 h required"}},
        {"pipeline_cycles", {"(simulated) 3 successful pipeline cycles since the int deploy",
                             "(simulated) 1 successful pipeline cycle since the int deploy; 2 required"}},
        {"incidents", {"(simulated) 0 open P1/P2 incidents", "(simulated) INC0010042 (P2) open: late trade feed"}},
        {"change_record", {"(simulated) approved, Implement, window open now",
                           "(simulated) approval requested, not yet approved"}},
        {"performance", {"(simulated) 0 open problems in markets-prod", "(simulated) 1 open problem: response time degradation"}},
        {"quarantine", {"(simulated) 12 quarantined rows today, 14 yesterday",
                        "(simulated) quarantined rows rose from 14 to 2310"}},
    };
    return s;
}

class simulated_gate final : public gate_checker {
public:
    simulated_gate(std::string id, std::string title, std::shared_ptr<gate_fixtures> f)
        : id_(std::move(id)), title_(std::move(title)), fixtures_(std::move(f)) {}
    [[nodiscard]] std::string id() const override { return id_; }
    [[nodiscard]] std::string title() const override { return title_; }
    boost::asio::awaitable<commands::gate_result> check(const gate_subject&) override {
        const auto a = fixtures_->of(id_);
        co_return commands::gate_answer(id_, title_, a.state, a.evidence);
    }

private:
    std::string id_, title_;
    std::shared_ptr<gate_fixtures> fixtures_;
};

}  // namespace

gate_fixtures::gate_fixtures() {
    for (const auto& [id, s] : scripts()) answers_[id] = {gate_state::pass, s.pass};
}

bool gate_fixtures::set(const std::string& id, gate_state state) {
    if (id.empty() || id.size() > 64) return false;
    const auto known = scripts().find(id);
    auto& a = answers_[id];
    a.state = state;
    if (state == gate_state::unknown) a.evidence = "(simulated) the source did not answer in time";
    else if (known != scripts().end()) a.evidence = state == gate_state::pass ? known->second.pass : known->second.fail;
    else a.evidence = state == gate_state::pass ? "(simulated) exit 0" : "(simulated) exit 1";
    return true;
}

gate_fixtures::answer gate_fixtures::of(const std::string& id) const {
    const auto it = answers_.find(id);
    if (it != answers_.end()) return it->second;
    return {gate_state::pass, "(simulated) passes"};
}

std::shared_ptr<gate_checker> make_simulated_gate(std::string id, std::string title,
                                                  std::shared_ptr<gate_fixtures> fixtures) {
    return std::make_shared<simulated_gate>(std::move(id), std::move(title), std::move(fixtures));
}

}  // namespace promotebot::bot
