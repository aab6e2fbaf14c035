// Process-wide OpenSSL set-up shared by the engine and the TLS contexts.
#pragma once

#include <mutex>
#include <string>

namespace librtmp_node {

// Initialises libssl once, without reading any openssl.cnf: the file at our compiled-in
// OPENSSLDIR belongs to the system's OpenSSL and may configure things this build must not
// pick up behind the caller's back. Creates no SSL_CTX.
void InitOpenSsl();

// Serialises engine selection and SSL_CTX creation across connection threads and workers.
std::mutex& TlsGlobalLock();

// Drains this thread's OpenSSL error queue into one readable line ("" when empty).
std::string TakeOpenSslErrors();

}  // namespace librtmp_node
