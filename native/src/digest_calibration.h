// engine: 'auto' and digests. Offloading a digest to /dev/crypto costs a fixed price per
// operation (an ioctl for each init, update, copy and final: about a dozen per TLS record
// MAC) and saves the CPU's per-byte hashing, so it pays only above some size, and on many
// SoCs never (OpenWrt's guidance for cryptodev). Rather than guess, 'auto' measures, once,
// before any TLS context exists: the thread CPU time of a TLS 1.2 record MAC (HMAC from a
// keyed context copied per record, as OpenSSL's tls1_mac does) at a ladder of sizes, on the
// engine and in software, and offloads digests only when the engine is cheaper at the
// decision size. CPU time, not wall time: it is what a camera saves, and another process
// taking the CPU between two readings does not count against either side.
#pragma once

#include <openssl/engine.h>

#include <cstddef>
#include <string>
#include <vector>

namespace librtmp_node {

// A TLS record MAC of this many bytes decides: between the camera bench's mean record
// (~6.5 KB at 4.5 Mbit/s) and the 16 KB maximum that carries most of a video stream's bytes.
constexpr size_t kDigestDecisionBytes = 8192;

struct DigestCost {
  size_t bytes = 0;
  double engineNs = 0;    // CPU ns per record MAC, digest on the engine
  double softwareNs = 0;  // the same in OpenSSL's own code
};

struct DigestCalibration {
  std::string digest;  // short name: SHA1, SHA256, SHA384
  std::vector<DigestCost> costs;
  // Fitted from the ladder's ends: fixed cost per record MAC and cost per byte, each side.
  double engineCallNs = 0, engineByteNs = 0, softwareCallNs = 0, softwareByteNs = 0;
  // The record size from which the engine is cheaper; -1 when it never is.
  double crossoverBytes = -1;
  bool enginePays = false;  // cheaper on the engine at kDigestDecisionBytes
};

// Measures every TLS MAC digest `e` offers (SHA1, SHA256, SHA384). `e` must be initialised
// and must not be registered for digests yet (the software side is OpenSSL's default).
std::vector<DigestCalibration> CalibrateDigests(ENGINE* e);

}  // namespace librtmp_node
