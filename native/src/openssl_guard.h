// Stops the build when the OpenSSL headers in use are not 1.1.1: Node's include dir ships
// OpenSSL 3 headers (include/node/openssl) that must never stand in for the static 1.1.1w
// this addon links. Force-included into librtmp (cmake/librtmp.cmake); include it first in
// any addon source that uses OpenSSL.
#ifndef NATIVE_SRC_OPENSSL_GUARD_H_
#define NATIVE_SRC_OPENSSL_GUARD_H_

#include <openssl/opensslv.h>

#if !defined(OPENSSL_VERSION_NUMBER) || OPENSSL_VERSION_NUMBER < 0x10101000L || \
    OPENSSL_VERSION_NUMBER >= 0x10200000L
#error "OpenSSL headers are not 1.1.1: put OPENSSL_PREFIX/include before Node's include dir"
#endif

#endif  // NATIVE_SRC_OPENSSL_GUARD_H_
