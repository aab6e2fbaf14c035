#include "counted_ssl.h"

#include <mutex>

#include "live_objects.h"

namespace librtmp_node {
namespace {

// Marks an object as counted: ex_data free callbacks run for every object of the class,
// counted or not (ours for cipher listing, OpenSSL's own), with the slot's value.
int counted = 1;

void SslFreed(void*, void* mark, CRYPTO_EX_DATA*, int, long, void*) {
  if (mark == &counted) CountDestroyed(LiveObject::kSsl);
}

void SslCtxFreed(void*, void* mark, CRYPTO_EX_DATA*, int, long, void*) {
  if (mark == &counted) CountDestroyed(LiveObject::kSslCtx);
}

struct Slots {
  int ssl = -1;
  int sslCtx = -1;
};

const Slots& CountingSlots() {
  static Slots slots;
  static std::once_flag once;
  std::call_once(once, [] {
    slots.ssl = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, SslFreed);
    slots.sslCtx = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, SslCtxFreed);
  });
  return slots;
}

}  // namespace

SSL_CTX* NewCountedSslCtx(const SSL_METHOD* method) {
  SSL_CTX* ctx = SSL_CTX_new(method);
  if (ctx == nullptr) return nullptr;
  if (!SSL_CTX_set_ex_data(ctx, CountingSlots().sslCtx, &counted)) {
    SSL_CTX_free(ctx);  // not marked yet, so not counted down either
    return nullptr;
  }
  CountCreated(LiveObject::kSslCtx);
  return ctx;
}

SSL* NewCountedSsl(SSL_CTX* ctx) {
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  if (!SSL_set_ex_data(ssl, CountingSlots().ssl, &counted)) {
    SSL_free(ssl);
    return nullptr;
  }
  CountCreated(LiveObject::kSsl);
  return ssl;
}

}  // namespace librtmp_node
