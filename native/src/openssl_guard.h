// Stops the build when the OpenSSL headers in use are not the static OpenSSL this addon links
// (1.1.1w, or 3.5 with NODE_LIBRTMP_OPENSSL=3.5): Node's include dir ships OpenSSL 3.0 headers
// (include/node/openssl) that must never stand in for it. Force-included into librtmp
// (cmake/librtmp.cmake); include it first in any addon source that uses OpenSSL.
#ifndef NATIVE_SRC_OPENSSL_GUARD_H_
#define NATIVE_SRC_OPENSSL_GUARD_H_

#include <openssl/opensslv.h>

#if defined(NODE_LIBRTMP_OPENSSL_NUMBER)
// The build names the exact OpenSSL its prefix holds (1.1.1w by default, 3.5.x when built with
// NODE_LIBRTMP_OPENSSL=3.5): Node's 3.0 headers never match either.
#if !defined(OPENSSL_VERSION_NUMBER) || OPENSSL_VERSION_NUMBER != NODE_LIBRTMP_OPENSSL_NUMBER
#error "OpenSSL headers are not the prefix's: put OPENSSL_PREFIX/include before Node's include dir"
#endif
#elif !defined(OPENSSL_VERSION_NUMBER) || OPENSSL_VERSION_NUMBER < 0x10101000L || \
    OPENSSL_VERSION_NUMBER >= 0x10200000L
#error "OpenSSL headers are not 1.1.1: put OPENSSL_PREFIX/include before Node's include dir"
#endif

#endif  // NATIVE_SRC_OPENSSL_GUARD_H_
