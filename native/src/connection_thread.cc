#include "connection_thread.h"

#include <pthread.h>

#include "live_objects.h"

namespace librtmp_node {

namespace {
constexpr int kMaxLogLinesInFlight = 256;
}  // namespace

ConnectionThread::ConnectionThread(Napi::Env env, Napi::Function logHandler, int logLevel)
    : dispatcher_(std::make_unique<JsDispatcher>(env, "librtmp:connection")),
      logLevel_(logHandler.IsEmpty() ? -1 : logLevel),
      logHandler_(logHandler.IsEmpty()
                      ? nullptr
                      : std::make_shared<Napi::FunctionReference>(Napi::Persistent(logHandler))) {
  if (logLevel_ >= 0) RequireLogLevel(logLevel_);
  CountCreated(LiveObject::kThread);  // counted down by the thread itself, as it returns
  thread_ = std::thread([this] { Run(); });
}

void ConnectionThread::Log(int level, std::string message) {
  if (!logHandler_) return;
  if (logInFlight_->load() >= kMaxLogLinesInFlight) {
    ++logDropped_;
    return;
  }
  const uint64_t dropped = logDropped_.exchange(0);
  if (dropped > 0) message = "[" + std::to_string(dropped) + " log lines dropped] " + message;
  ++*logInFlight_;
  dispatcher_->Post([handler = logHandler_, counter = logInFlight_, level,
                     message = std::move(message)](Napi::Env env) {
    --*counter;
    handler->Call({Napi::Number::New(env, level), Napi::String::New(env, message)});
  });
}

ConnectionThread::~ConnectionThread() {
  Abandon();
  Join();
}

void ConnectionThread::Submit(Work work, Completion completion) {
  Enqueue({std::move(work), std::move(completion), false});
}

void ConnectionThread::SubmitFinal(Work work, Completion completion) {
  Enqueue({std::move(work), std::move(completion), true});
}

void ConnectionThread::Enqueue(Job job) {
  std::lock_guard<std::mutex> guard(lock_);
  if (job.final) finalQueued_ = true;
  jobs_.push_back(std::move(job));
  wake_.notify_one();
}

void ConnectionThread::Abandon() {
  bool queueFinal = false;
  {
    std::lock_guard<std::mutex> guard(lock_);
    queueFinal = !finalQueued_;
  }
  session_.Abandon();
  if (queueFinal) SubmitFinal([](Session& s, bool) { s.Close(); }, nullptr);
}

void ConnectionThread::Join() {
  if (thread_.joinable()) thread_.join();
}

bool ConnectionThread::TryJoin() {
  {
    std::lock_guard<std::mutex> guard(lock_);
    if (!finished_) return false;
  }
  if (thread_.joinable()) thread_.join();
  return true;
}

void ConnectionThread::Run() {
  // Named for top -H, perf and gdb: one "librtmp-conn" thread per open connection.
  pthread_setname_np(pthread_self(), "librtmp-conn");
  SetThreadLogSink(this);
  bool done = false;
  while (!done) {
    Job job;
    {
      std::unique_lock<std::mutex> guard(lock_);
      wake_.wait(guard, [this] { return !jobs_.empty(); });
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job.work(session_, false);
    done = job.final;
    if (done) session_.Teardown();  // before JS hears of the close: nothing is left open
    if (job.completion) dispatcher_->Post(std::move(job.completion));
  }
  // Anything submitted after the final job is answered as skipped.
  std::deque<Job> rest;
  {
    std::lock_guard<std::mutex> guard(lock_);
    rest.swap(jobs_);
    finished_ = true;
  }
  for (Job& job : rest) {
    if (job.work) job.work(session_, true);
    if (job.completion) dispatcher_->Post(std::move(job.completion));
  }
  session_.Teardown();
  SetThreadLogSink(nullptr);
  dispatcher_->ReleaseFromProducer();
  CountDestroyed(LiveObject::kThread);
}

}  // namespace librtmp_node
