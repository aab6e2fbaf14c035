#include "addon.h"

#include <librtmp/log.h>
#include <librtmp/rtmp.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include "cipher_list.h"
#include "connection.h"
#include "engine.h"
#include "js_values.h"
#include "librtmp_heap.h"
#include "live_objects.h"
#include "log_bridge.h"
#include "openssl_guard.h"
#include "openssl_init.h"
#include "openssl_patches.h"
#include "tls_session_cache.h"

namespace librtmp_node {
namespace {

void InitProcessOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    InitOpenSsl();
    // librtmp prints to stderr by default, and some lines name the playpath (the stream
    // key): its output goes to the connection that logged it instead, or nowhere.
    InstallLogBridge();
    // librtmp's handshake fills its random bytes with rand(), which nobody seeds.
    std::srand(static_cast<unsigned>(std::time(nullptr)) ^ static_cast<unsigned>(getpid()));
  });
}

}  // namespace

Addon::Addon(Napi::Env env, Napi::Object exports) {
  InitProcessOnce();
  DefineAddon(exports, {
                           InstanceMethod<&Addon::Versions>("versions"),
                           InstanceMethod<&Addon::Engine>("engine"),
                           InstanceMethod<&Addon::ProbeEngine>("probeEngine"),
                           InstanceMethod<&Addon::ExpandCiphers>("expandCiphers"),
                           InstanceMethod<&Addon::LiveObjects>("liveObjects"),
                           InstanceMethod<&Addon::TlsSessionCache>("tlsSessionCache"),
                           InstanceMethod<&Addon::ClearTlsSessionCache>("clearTlsSessionCache"),
                       });
  exports.Set("Connection", Connection::Define(env));
  env_ = env;
  napi_add_env_cleanup_hook(env, &Addon::Cleanup, this);
}

Addon::~Addon() {
  napi_remove_env_cleanup_hook(env_, &Addon::Cleanup, this);
  CloseAll();
}

void Addon::Cleanup(void* addon) { static_cast<Addon*>(addon)->CloseAll(); }

void Addon::CloseAll() {
  if (cleanedUp_) return;
  cleanedUp_ = true;
  for (auto& thread : threads_) thread->Abandon();
  for (auto& thread : threads_) thread->Join();
  threads_.clear();
}

void Addon::Track(const std::shared_ptr<ConnectionThread>& thread) {
  Reap();
  threads_.push_back(thread);
}

void Addon::Reap() {
  threads_.erase(
      std::remove_if(threads_.begin(), threads_.end(),
                     [](const std::shared_ptr<ConnectionThread>& t) { return t->TryJoin(); }),
      threads_.end());
}

Napi::Value Addon::Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("librtmp", LIBRTMP_VERSION_STRING);
  o.Set("openssl", OpenSSL_version(OPENSSL_VERSION));
  o.Set("opensslNumber", static_cast<double>(OpenSSL_version_num()));
  o.Set("opensslDir", OpenSSL_version(OPENSSL_DIR));
  // What the version string cannot say: Debian's security patches built in (or why none).
  o.Set("opensslPatchLevel", kOpensslPatchLevel);
  o.Set("opensslPatchNote",
        kOpensslPatchNote ? Napi::Value(Napi::String::New(env, kOpensslPatchNote)) : env.Null());
  Napi::Array patches = Napi::Array::New(env, kOpensslPatchCount);
  for (std::size_t i = 0; i < kOpensslPatchCount; ++i) {
    Napi::Object patch = Napi::Object::New(env);
    patch.Set("name", kOpensslPatches[i].name);
    patch.Set("cves", kOpensslPatches[i].cves);
    patches.Set(static_cast<uint32_t>(i), patch);
  }
  o.Set("opensslPatches", patches);
  return o;
}

Napi::Value Addon::Engine(const Napi::CallbackInfo& info) {
  return EngineReportToJs(info.Env(), CurrentEngine());
}

// probeEngine(options) -> { report, error | null }, without changing what is in force.
Napi::Value Addon::ProbeEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EngineOptions options;
  if (!EngineOptionsFromJs(info[0], &options)) {
    ThrowCoded(env, code::kInvalidArg, "probeEngine(options): invalid options");
    return env.Undefined();
  }
  Status status;
  EngineReport report = ::librtmp_node::ProbeEngine(options, &status);
  Napi::Object o = Napi::Object::New(env);
  o.Set("report", EngineReportToJs(env, report));
  o.Set("error", status.ok() ? env.Null() : StatusToJs(env, status));
  return o;
}

// expandCiphers(ciphers, engineOptions) -> { suites, error | null }
Napi::Value Addon::ExpandCiphers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EngineOptions engine;
  if (!info[0].IsString() || !EngineOptionsFromJs(info[1], &engine)) {
    ThrowCoded(env, code::kInvalidArg, "expandCiphers(ciphers, engineOptions): invalid arguments");
    return env.Undefined();
  }
  std::vector<CipherSuite> suites;
  Status status = ExpandTls12Ciphers(info[0].As<Napi::String>().Utf8Value(), engine, &suites);
  Napi::Array list = Napi::Array::New(env, suites.size());
  for (size_t i = 0; i < suites.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", suites[i].name);
    o.Set("standardName", suites[i].standardName);
    o.Set("keyExchange", suites[i].keyExchange);
    o.Set("authentication", suites[i].authentication);
    o.Set("bulk", suites[i].bulk);
    o.Set("mac", suites[i].mac);
    o.Set("aead", suites[i].aead);
    list.Set(static_cast<uint32_t>(i), o);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("suites", list);
  o.Set("error", status.ok() ? env.Null() : StatusToJs(env, status));
  return o;
}

// liveObjects() -> { connections, sessions, threads, rtmp, ssl, sslCtx, librtmpBlocks,
// librtmpBytes }: process-wide, every worker's connections included.
Napi::Value Addon::LiveObjects(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Threads that have finished are joined first: they are not left behind, only not yet
  // collected (that happens at the next open or close).
  Reap();
  Napi::Object o = Napi::Object::New(env);
  for (int i = 0; i < static_cast<int>(LiveObject::kCount); ++i) {
    const auto kind = static_cast<LiveObject>(i);
    o.Set(LiveObjectName(kind), static_cast<double>(LiveCount(kind)));
  }
  const LibrtmpHeapUse heap = CurrentLibrtmpHeapUse();
  o.Set("librtmpBlocks", static_cast<double>(heap.blocks));
  o.Set("librtmpBytes", static_cast<double>(heap.bytes));
  return o;
}

// tlsSessionCache() -> { entries, liveSessions, capacity }: process-wide.
Napi::Value Addon::TlsSessionCache(const Napi::CallbackInfo& info) {
  const SessionCacheReport report = SessionCacheState();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("entries", static_cast<double>(report.entries));
  o.Set("liveSessions", static_cast<double>(report.liveSessions));
  o.Set("capacity", static_cast<double>(report.capacity));
  return o;
}

Napi::Value Addon::ClearTlsSessionCache(const Napi::CallbackInfo& info) {
  ClearSessionCache();
  return info.Env().Undefined();
}

}  // namespace librtmp_node

// The registration macro pastes the class name into an identifier: no qualified name.
using librtmp_node::Addon;
NODE_API_ADDON(Addon)
