#include "integrations/store/common/synchronous_store.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace promotebot::storage {

namespace {

namespace asio = boost::asio;

// One worker thread, a queue of jobs, and each job's completion posted back
// to the executor of the coroutine that awaits it.
class threaded : public bot::store {
public:
    explicit threaded(synchronous_store& db) : db_(db), worker_([this] { work(); }) {}
    ~threaded() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        worker_.join();
    }

    // Not a coroutine: the awaitable runs the job on the worker and resumes
    // the awaiting coroutine on its own executor, rethrowing what the job threw.
    template <typename Job>
    auto run(Job job, bool first = false) {
        return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr)>(
            [this, first](auto handler, Job job) {
                // Keeps the caller's executor alive while the job is on the worker.
                auto guard = asio::make_work_guard(asio::get_associated_executor(handler));
                enqueue([job, handler = std::move(handler), guard = std::move(guard)]() mutable {
                    std::exception_ptr error;
                    try {
                        job();
                    } catch (...) {
                        error = std::current_exception();
                    }
                    auto target = guard.get_executor();
                    asio::post(target, [handler = std::move(handler), error, guard = std::move(guard)]() mutable {
                        handler(error);
                    });
                }, first);
            },
            asio::use_awaitable, job);
    }

    // The work stays in this coroutine's frame, which outlives the job that
    // runs it: the job only points at it. (Closures with owning captures
    // inside a co_await expression are miscompiled by g++ 12.)
    asio::awaitable<void> write(std::function<void(bot::store_session&)> work) override {
        const auto* w = &work;
        co_await run([this, w] { db_.transaction(*w); });
        if (on_commit) on_commit();
    }

    asio::awaitable<void> write_first(std::function<void(bot::store_session&)> work) override {
        const auto* w = &work;
        co_await run([this, w] { db_.transaction(*w); }, true);
        if (on_commit) on_commit();
    }

    asio::awaitable<void> read(std::function<void(const bot::store_session&)> work) override {
        const auto* w = &work;
        co_await run([this, w] { db_.snapshot(*w); });
    }

private:
    // Jobs own move-only completion handlers, which std::function cannot hold.
    struct job_base {
        virtual ~job_base() = default;
        virtual void operator()() = 0;
    };
    template <typename F>
    struct job_of : job_base {
        explicit job_of(F f) : f(std::move(f)) {}
        void operator()() override { f(); }
        F f;
    };

    template <typename F>
    void enqueue(F job, bool first) {
        {
            std::lock_guard lock(mutex_);
            auto j = std::make_unique<job_of<F>>(std::move(job));
            (first ? first_ : jobs_).push_back(std::move(j));
        }
        wake_.notify_one();
    }

    void work() {
        for (;;) {
            std::unique_ptr<job_base> job;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [this] { return stopping_ || !jobs_.empty() || !first_.empty(); });
                if (jobs_.empty() && first_.empty()) return;
                // The first lane goes ahead, but takes turns with the other:
                // under a flood of first-lane jobs the rest still gets half the worker.
                const bool take_first = !first_.empty() && (jobs_.empty() || !last_was_first_);
                auto& lane = take_first ? first_ : jobs_;
                last_was_first_ = take_first;
                job = std::move(lane.front());
                lane.pop_front();
            }
            (*job)();
        }
    }

    synchronous_store& db_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::unique_ptr<job_base>> jobs_;
    std::deque<std::unique_ptr<job_base>> first_;  // write_first's lane
    bool last_was_first_ = false;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace

std::unique_ptr<bot::store> threaded_store(synchronous_store& db) { return std::make_unique<threaded>(db); }

}  // namespace promotebot::storage
