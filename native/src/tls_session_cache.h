// TLS session resumption across reconnects: the last session each (host, port, TLS
// configuration) received — a TLS 1.2 ticket or session id, a TLS 1.3 PSK ticket — kept in
// process memory and offered on the next connect with the same key. Tickets arrive through
// OpenSSL's new-session callback on connection threads (TLS 1.3's after the handshake, with
// the first read), so the cache is locked; it is bounded, and never shared between keys: a
// session verified under one CA, servername, verification setting or cipher configuration is
// never offered under another.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace librtmp_node {

// On a new SSL_CTX: client-side caching, held by this cache only (not OpenSSL's internal
// store, which a client never looks up).
void EnableSessionCaching(SSL_CTX* ctx);

// Before SSL_connect: tags `ssl` with its cache key and, when a live session is cached under
// that key, offers it. A server that rejects it (expired, unknown ticket key) makes OpenSSL
// fall back to a full handshake by itself. Returns whether a session was offered.
bool OfferCachedSession(SSL* ssl, const std::string& key);

// Forgets the session cached under `key` (a failed handshake must not offer it again).
void ForgetCachedSession(const std::string& key);

struct SessionCacheReport {
  size_t entries = 0;        // keys with a session
  int64_t liveSessions = 0;  // SSL_SESSION objects the cache took that still exist
  size_t capacity = 0;
};

SessionCacheReport SessionCacheState();

// Drops every cached session (tests, and users who rotate credentials).
void ClearSessionCache();

}  // namespace librtmp_node
