#include "js_dispatcher.h"

namespace librtmp_node {

JsDispatcher::JsDispatcher(Napi::Env env, const char* resourceName) : env_(env) {
  tsfn_ = Tsfn::New(env, resourceName, 0, 1);
}

bool JsDispatcher::Post(Completion completion) {
  auto* boxed = new Completion(std::move(completion));
  // On failure the environment is going away: the completion may own JS references that
  // must not be released from this thread, so it is leaked rather than destroyed.
  return tsfn_.NonBlockingCall(boxed) == napi_ok;
}

void JsDispatcher::ReleaseFromProducer() { tsfn_.Release(); }

void JsDispatcher::Ref() { tsfn_.Ref(env_); }

void JsDispatcher::Unref() { tsfn_.Unref(env_); }

void JsDispatcher::CallJs(Napi::Env env, Napi::Function, void*, Completion* completion) {
  // env is null when the environment is torn down with completions still queued.
  // env is null when the environment is torn down with completions still queued; their
  // JS references die with it, so they are not released one by one.
  if (env == nullptr || completion == nullptr) return;
  {
    Napi::HandleScope scope(env);
    (*completion)(env);
  }
  delete completion;
}

}  // namespace librtmp_node
