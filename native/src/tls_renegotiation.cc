#include "tls_renegotiation.h"

#include <mutex>

namespace librtmp_node {
namespace {

int FlagSlot() {
  static int slot = -1;
  static std::once_flag once;
  std::call_once(once, [] { slot = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr); });
  return slot;
}

// OpenSSL reports each alert it sends as (level << 8) | description.
void OnInfo(const SSL* ssl, int where, int value) {
  if ((where & SSL_CB_WRITE_ALERT) != SSL_CB_WRITE_ALERT) return;
  if ((value & 0xff) != SSL_AD_NO_RENEGOTIATION) return;
  if (auto* refused = static_cast<bool*>(SSL_get_ex_data(ssl, FlagSlot()))) *refused = true;
}

}  // namespace

void WatchRenegotiation(SSL* ssl, bool* refused) {
  *refused = false;
  // Without its slot the watch is only silent: the refusal itself is SSL_OP_NO_RENEGOTIATION's.
  if (SSL_set_ex_data(ssl, FlagSlot(), refused)) SSL_set_info_callback(ssl, OnInfo);
}

}  // namespace librtmp_node
