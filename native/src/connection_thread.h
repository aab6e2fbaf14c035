// The thread that owns one connection's Session. JS submits jobs in order; each job's
// work runs here and its completion runs back on the JS thread through the dispatcher.
//
// Completions may hold JS references, so they are only ever destroyed on the JS thread:
// the thread posts every completion, even for jobs it skipped, and a completion that
// cannot be posted (the environment is going away) is deliberately leaked.
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "js_dispatcher.h"
#include "log_bridge.h"
#include "session.h"

namespace librtmp_node {

class ConnectionThread : public LogSink {
 public:
  using Work = std::function<void(Session&, bool skipped)>;
  using Completion = JsDispatcher::Completion;

  // JS thread. Starts the thread. `logHandler` (may be empty) receives (level, message)
  // for what librtmp logs on this thread at or below `logLevel`.
  ConnectionThread(Napi::Env env, Napi::Function logHandler, int logLevel);
  ~ConnectionThread() override;

  // LogSink, on this connection's thread. Never blocks: past a bound of lines in flight
  // to JS, lines are dropped and counted.
  void Log(int level, std::string message) override;
  int level() const override { return logLevel_; }

  // JS thread. Work runs in submission order. After a final job the thread exits; later
  // submissions run with skipped = true.
  void Submit(Work work, Completion completion);
  void SubmitFinal(Work work, Completion completion);

  // JS thread: for a finalizer or environment teardown. Abandons the session's I/O and
  // queues its close without telling JS; the thread then ends by itself.
  void Abandon();
  // JS thread: waits for the thread to end (after Abandon() or a final job).
  void Join();

  // JS thread. Joins the thread once it has finished; returns whether it has.
  bool TryJoin();

  // Thread-safe parts of the session (interrupt, stats, TLS info after open).
  Session& session() { return session_; }
  JsDispatcher& dispatcher() { return *dispatcher_; }

 private:
  struct Job {
    Work work;
    Completion completion;
    bool final;
  };

  void Enqueue(Job job);
  void Run();

  Session session_;
  std::unique_ptr<JsDispatcher> dispatcher_;
  std::mutex lock_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool finalQueued_ = false;
  const int logLevel_;
  std::shared_ptr<Napi::FunctionReference> logHandler_;
  std::shared_ptr<std::atomic<int>> logInFlight_ = std::make_shared<std::atomic<int>>(0);
  std::atomic<uint64_t> logDropped_{0};
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace librtmp_node
