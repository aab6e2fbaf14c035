// SSL and SSL_CTX objects created through these are counted as live objects until OpenSSL
// destroys them, wherever that happens (librtmp frees a connection's SSL in RTMP_Close, and
// an SSL_CTX lives on while any SSL holds a reference to it).
#pragma once

#include <openssl/ssl.h>

namespace librtmp_node {

// Null on failure, like SSL_CTX_new and SSL_new.
SSL_CTX* NewCountedSslCtx(const SSL_METHOD* method);
SSL* NewCountedSsl(SSL_CTX* ctx);

}  // namespace librtmp_node
