// The one way a library-owned thread reaches JavaScript: it posts a completion, and the
// completion runs later on the JS thread with a live Napi::Env. Nothing on the posting
// thread ever touches napi_env.
//
// Ownership: exactly one producer thread. It holds the thread-safe function's only thread
// count and gives it back with ReleaseFromProducer() after its last Post(); from then on
// nothing may use the dispatcher except the completions already queued.
#pragma once

#include <napi.h>

#include <functional>

namespace librtmp_node {

class JsDispatcher {
 public:
  using Completion = std::function<void(Napi::Env)>;

  // JS thread. Starts referenced: keeps the event loop alive, like an open socket.
  JsDispatcher(Napi::Env env, const char* resourceName);

  JsDispatcher(const JsDispatcher&) = delete;
  JsDispatcher& operator=(const JsDispatcher&) = delete;

  // Producer thread. Returns false when the environment is shutting down; the completion
  // then never runs (and is leaked, not destroyed off the JS thread).
  bool Post(Completion completion);

  // Producer thread, last call.
  void ReleaseFromProducer();

  // JS thread, while the producer has not yet released.
  void Ref();
  void Unref();

 private:
  static void CallJs(Napi::Env env, Napi::Function, void*, Completion* completion);
  using Tsfn = Napi::TypedThreadSafeFunction<void, Completion, &JsDispatcher::CallJs>;

  Napi::Env env_;
  Tsfn tsfn_;
};

}  // namespace librtmp_node
