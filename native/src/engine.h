// The process-wide OpenSSL engine (devcrypto / cryptodev offload). OpenSSL's engine table
// is global, so so is this: configured once, strictly before the first SSL_CTX exists.
#pragma once

#include <string>
#include <vector>

#include "digest_calibration.h"
#include "status.h"
#include "tls_options.h"

namespace librtmp_node {

struct EngineReport {
  bool configured = false;           // an engine decision has been taken in this process
  std::string id;                    // the engine in use, empty for software
  std::string name;                  // its long name
  std::string unavailableReason;     // why 'auto' fell back to software, if it did
  std::vector<std::string> ciphers;  // what the engine serves (short names)
  std::vector<std::string> digests;
  bool digestsServed = false;  // the engine is the default for its digests (TLS MACs offloaded)
  // engine: 'auto' only: what it measured to decide on digests (see digest_calibration.h).
  std::vector<DigestCalibration> digestCalibration;
};

// Loads and sets the default engine for `options` unless a decision was taken already;
// then checks `options` against that decision (a contradiction is ERR_ENGINE_CONFLICT).
// Caller holds TlsGlobalLock().
Status EnsureEngine(const EngineOptions& options);

// What is in force (callable any time; takes the lock itself).
EngineReport CurrentEngine();

// Probes an engine without making it the default, for diagnostics (`librtmp info`).
EngineReport ProbeEngine(const EngineOptions& options, Status* status);

// Whether the engine in force serves the cipher with this NID.
bool EngineServesCipher(int nid);
// True when `nid` (a digest, e.g. a TLS 1.2 suite's MAC hash) runs on the default engine.
bool EngineServesDigest(int nid);

}  // namespace librtmp_node
