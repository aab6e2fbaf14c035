// Per-environment state of the addon (context-aware: main thread and each worker get
// their own), and the environment cleanup that closes what is still open.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "connection_thread.h"

namespace librtmp_node {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);
  ~Addon();

  // JS thread: every connection thread is tracked until it has been joined.
  void Track(const std::shared_ptr<ConnectionThread>& thread);
  // JS thread: joins the threads that have finished.
  void Reap();

 private:
  Napi::Value Versions(const Napi::CallbackInfo& info);
  Napi::Value Engine(const Napi::CallbackInfo& info);
  Napi::Value ProbeEngine(const Napi::CallbackInfo& info);
  Napi::Value ExpandCiphers(const Napi::CallbackInfo& info);
  Napi::Value LiveObjects(const Napi::CallbackInfo& info);
  Napi::Value TlsSessionCache(const Napi::CallbackInfo& info);
  Napi::Value ClearTlsSessionCache(const Napi::CallbackInfo& info);

  // Environment teardown (process exit, worker termination): interrupt, close, join.
  static void Cleanup(void* addon);
  void CloseAll();

  std::vector<std::shared_ptr<ConnectionThread>> threads_;
  napi_env env_ = nullptr;
  bool cleanedUp_ = false;
};

}  // namespace librtmp_node
