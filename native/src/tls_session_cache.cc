#include "tls_session_cache.h"

#include <atomic>
#include <ctime>
#include <map>
#include <mutex>

namespace librtmp_node {
namespace {

// Keys are per server and configuration; a camera has a handful. The bound only guards a
// process that connects to ever new servers.
constexpr size_t kCapacity = 64;

// SSL_SESSION objects this cache has taken, counted until OpenSSL destroys them (ex_data
// free callback): after ClearSessionCache() with no connection open it must read zero,
// which shows every reference taken was given back.
std::atomic<int64_t> liveSessions{0};
int counted = 1;  // the mark stored in a counted session's ex_data slot

void SessionFreed(void*, void* mark, CRYPTO_EX_DATA*, int, long, void*) {
  if (mark == &counted) --liveSessions;
}

// OpenSSL copies a session when TLS 1.3 tickets arrive on a resumed connection; the copy is
// a new object, counted only if it is cached in its turn.
// OpenSSL 3 declares the slot's address as void**; 1.1.1 as void* (passing the same address).
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
using ExDupSlot = void**;
#else
using ExDupSlot = void*;
#endif
int DropOnDup(CRYPTO_EX_DATA*, const CRYPTO_EX_DATA*, ExDupSlot fromData, int, long, void*) {
  *static_cast<void**>(fromData) = nullptr;
  return 1;
}

// An SSL's cache key, owned by the SSL (freed with it).
void KeyFreed(void*, void* key, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::string*>(key);
}

struct Slots {
  int session = -1;
  int key = -1;
};

const Slots& CacheSlots() {
  static Slots slots;
  static std::once_flag once;
  std::call_once(once, [] {
    slots.session = SSL_SESSION_get_ex_new_index(0, nullptr, nullptr, DropOnDup, SessionFreed);
    slots.key = SSL_get_ex_new_index(0, nullptr, nullptr, DropOnDup, KeyFreed);
  });
  return slots;
}

struct Entry {
  SSL_SESSION* session = nullptr;  // one reference, owned by the cache
  uint64_t stored = 0;             // insertion order, for eviction
};

std::mutex cacheLock;
std::map<std::string, Entry> cache;
uint64_t storeCount = 0;

void Count(SSL_SESSION* session) {
  if (SSL_SESSION_get_ex_data(session, CacheSlots().session) == &counted) return;
  if (SSL_SESSION_set_ex_data(session, CacheSlots().session, &counted)) ++liveSessions;
}

bool Expired(SSL_SESSION* session) {
  // A clock that reads 1970 before NTP makes every session look young: the server then
  // refuses the ticket and the handshake is a full one, which is only slower.
  const long now = static_cast<long>(std::time(nullptr));
  return now > SSL_SESSION_get_time(session) + SSL_SESSION_get_timeout(session);
}

// Holds cacheLock.
void EvictOldest() {
  while (cache.size() > kCapacity) {
    auto oldest = cache.begin();
    for (auto it = cache.begin(); it != cache.end(); ++it) {
      if (it->second.stored < oldest->second.stored) oldest = it;
    }
    SSL_SESSION_free(oldest->second.session);
    cache.erase(oldest);
  }
}

// OpenSSL's new-session callback, on the connection thread: after a full TLS 1.2
// handshake, and for each TLS 1.3 NewSessionTicket (read after the handshake). Returning 1
// keeps the reference OpenSSL took for us.
int NewSession(SSL* ssl, SSL_SESSION* session) {
  const auto* key = static_cast<const std::string*>(SSL_get_ex_data(ssl, CacheSlots().key));
  if (key == nullptr || !SSL_SESSION_is_resumable(session)) return 0;
  Count(session);
  std::lock_guard<std::mutex> lock(cacheLock);
  Entry& entry = cache[*key];
  if (entry.session != nullptr) SSL_SESSION_free(entry.session);
  entry.session = session;
  entry.stored = ++storeCount;
  EvictOldest();
  return 1;
}

}  // namespace

void EnableSessionCaching(SSL_CTX* ctx) {
  CacheSlots();
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, NewSession);
}

bool OfferCachedSession(SSL* ssl, const std::string& key) {
  auto* owned = new std::string(key);
  if (!SSL_set_ex_data(ssl, CacheSlots().key, owned)) {
    delete owned;
    return false;
  }
  SSL_SESSION* session = nullptr;  // one reference of our own
  {
    std::lock_guard<std::mutex> lock(cacheLock);
    auto it = cache.find(key);
    if (it == cache.end()) return false;
    if (Expired(it->second.session)) {
      SSL_SESSION_free(it->second.session);
      cache.erase(it);
      return false;
    }
    session = it->second.session;
    if (SSL_SESSION_get_protocol_version(session) >= TLS1_3_VERSION) {
      // A TLS 1.3 ticket is used once (RFC 8446, C.4: reuse lets observers link
      // connections); the connection it resumes brings fresh ones.
      cache.erase(it);
    } else {
      SSL_SESSION_up_ref(session);
    }
  }
  const bool offered = SSL_set_session(ssl, session) == 1;  // takes a reference of its own
  SSL_SESSION_free(session);
  return offered;
}

void ForgetCachedSession(const std::string& key) {
  std::lock_guard<std::mutex> lock(cacheLock);
  auto it = cache.find(key);
  if (it == cache.end()) return;
  SSL_SESSION_free(it->second.session);
  cache.erase(it);
}

SessionCacheReport SessionCacheState() {
  std::lock_guard<std::mutex> lock(cacheLock);
  SessionCacheReport report;
  report.entries = cache.size();
  report.liveSessions = liveSessions;
  report.capacity = kCapacity;
  return report;
}

void ClearSessionCache() {
  std::lock_guard<std::mutex> lock(cacheLock);
  for (auto& entry : cache) SSL_SESSION_free(entry.second.session);
  cache.clear();
}

}  // namespace librtmp_node
