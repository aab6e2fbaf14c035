#include "engine.h"

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "openssl_init.h"

namespace librtmp_node {
namespace {

struct Decision {
  bool taken = false;
  ENGINE* engine = nullptr;  // functional reference, held for the life of the process
  unsigned methods = 0;
  bool turnedOff = false;  // `engine: false` was the request that decided
  std::string unavailableReason;
  std::vector<DigestCalibration> digestCalibration;  // measured by 'auto'
};

Decision& TheDecision() {
  static Decision d;
  return d;
}

unsigned MethodsOf(const EngineOptions& o) {
  return (o.ciphers ? ENGINE_METHOD_CIPHERS : 0u) | (o.digests ? ENGINE_METHOD_DIGESTS : 0u);
}

std::string WantedId(const EngineOptions& o) {
  return o.mode == EngineOptions::Mode::kAuto ? "devcrypto" : o.id;
}

// Why an engine id did not load, in words a camera integrator can act on.
std::string UnavailableReason(const std::string& id) {
  std::string why = "engine '" + id + "' is not available";
  // Drained either way: whatever OpenSSL queued while looking is not the reason here.
  const std::string ssl = TakeOpenSslErrors();
  if (id == "devcrypto" && access("/dev/crypto", R_OK | W_OK) != 0) {
    return why + ": /dev/crypto: " + std::strerror(errno) +
           " (is the cryptodev kernel module loaded?)";
  }
  if (!ssl.empty()) why += " [" + ssl + "]";
  return why;
}

// A built-in engine by id (a structural reference, as ENGINE_by_id gives), never a shared
// object: ENGINE_by_id, for an id it does not have (devcrypto without /dev/crypto), goes on to
// dlopen "<id>.so" from $OPENSSL_ENGINES or the compiled-in ENGINESDIR and run it. Code is
// loaded only from an `engine.path` the caller gave.
ENGINE* BuiltinEngine(const std::string& id) {
  for (ENGINE* e = ENGINE_get_first(); e != nullptr; e = ENGINE_get_next(e)) {
    if (id == ENGINE_get_id(e)) return e;
  }
  return nullptr;
}

// Structural reference to the engine, or null with *why set.
ENGINE* FindEngine(const EngineOptions& o, std::string* why) {
  ENGINE_load_builtin_engines();
  ENGINE* e = nullptr;
  if (o.mode == EngineOptions::Mode::kPath) {
    e = ENGINE_by_id("dynamic");
    if (e != nullptr && (!ENGINE_ctrl_cmd_string(e, "SO_PATH", o.path.c_str(), 0) ||
                         (!o.id.empty() && !ENGINE_ctrl_cmd_string(e, "ID", o.id.c_str(), 0)) ||
                         !ENGINE_ctrl_cmd_string(e, "LOAD", nullptr, 0))) {
      ENGINE_free(e);
      e = nullptr;
    }
    if (e == nullptr) *why = UnavailableReason(o.path);
    return e;
  }
  e = BuiltinEngine(WantedId(o));
  if (e == nullptr) *why = UnavailableReason(WantedId(o));
  return e;
}

std::vector<std::string> NidNames(const int* nids, int count) {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    const char* sn = OBJ_nid2sn(nids[i]);
    names.emplace_back(sn != nullptr ? sn : std::to_string(nids[i]));
  }
  return names;
}

void Describe(ENGINE* e, EngineReport* report) {
  report->id = ENGINE_get_id(e);
  report->name = ENGINE_get_name(e) != nullptr ? ENGINE_get_name(e) : "";
  const int* nids = nullptr;
  if (ENGINE_CIPHERS_PTR ciphers = ENGINE_get_ciphers(e)) {
    int n = ciphers(e, nullptr, &nids, 0);
    report->ciphers = NidNames(nids, n);
  }
  if (ENGINE_DIGESTS_PTR digests = ENGINE_get_digests(e)) {
    int n = digests(e, nullptr, &nids, 0);
    report->digests = NidNames(nids, n);
  }
}

// On x86, TLS 1.2 CBC suites without encrypt-then-MAC use OpenSSL's "stitched"
// AES-CBC-HMAC ciphers, which bypass a default engine's AES-CBC. With an engine serving
// ciphers, those names are withdrawn so every CBC record goes through the engine.
void WithdrawStitchedCiphers() {
  for (const char* name : {"AES-128-CBC-HMAC-SHA1", "AES-256-CBC-HMAC-SHA1",
                           "AES-128-CBC-HMAC-SHA256", "AES-256-CBC-HMAC-SHA256"}) {
    OBJ_NAME_remove(name, OBJ_NAME_TYPE_CIPHER_METH);
  }
  ERR_clear_error();
}

// engine: 'auto': digests go to the engine only when every TLS MAC digest it offers is
// cheaper there at the decision size (OpenSSL's engine table takes an engine's digests all
// or none). Measured with the digests not yet registered, so software is the other side.
void DecideDigests(ENGINE* e, Decision* d) {
  d->digestCalibration = CalibrateDigests(e);
  ERR_clear_error();
  if (d->digestCalibration.empty()) return;
  for (const DigestCalibration& c : d->digestCalibration) {
    if (!c.enginePays) return;
  }
  if (ENGINE_set_default_digests(e) == 1) {
    d->methods |= ENGINE_METHOD_DIGESTS;
  } else {
    ERR_clear_error();
  }
}

Status Decide(const EngineOptions& o) {
  Decision& d = TheDecision();
  d.taken = true;
  if (o.mode == EngineOptions::Mode::kOff) {
    d.turnedOff = true;
    return Status::Ok();
  }
  std::string why;
  ENGINE* e = FindEngine(o, &why);
  for (const auto& cmd : o.ctrl) {
    if (e == nullptr) break;
    const char* arg = cmd.second.empty() ? nullptr : cmd.second.c_str();
    if (!ENGINE_ctrl_cmd_string(e, cmd.first.c_str(), arg, 0)) {
      why = "engine control command '" + cmd.first + "' failed: " + TakeOpenSslErrors();
      ENGINE_free(e);
      e = nullptr;
    }
  }
  if (e != nullptr && !ENGINE_init(e)) {
    why = "engine '" + std::string(ENGINE_get_id(e)) +
          "' failed to initialise: " + TakeOpenSslErrors();
    ENGINE_free(e);
    e = nullptr;
  }
  if (e != nullptr) {
    ENGINE_free(e);  // the functional reference from ENGINE_init keeps it alive
    unsigned methods = MethodsOf(o);
    if (methods != 0 && !ENGINE_set_default(e, methods)) {
      why = "engine '" + std::string(ENGINE_get_id(e)) +
            "' could not be made the default: " + TakeOpenSslErrors();
      ENGINE_finish(e);
      e = nullptr;
    } else {
      d.engine = e;
      d.methods = methods;
      // ENGINE_load_builtin_engines() registered every method the engine has (it calls
      // ENGINE_register_all_complete()), and a registered, initialised engine serves its nids
      // even where it is not the default: withdraw what was not asked for, or a device that
      // offers SHA would take every digest (the TLS MAC included) behind `methods`' back.
      if (!(methods & ENGINE_METHOD_DIGESTS)) ENGINE_unregister_digests(e);
      if (!(methods & ENGINE_METHOD_CIPHERS)) ENGINE_unregister_ciphers(e);
      if (methods & ENGINE_METHOD_CIPHERS) WithdrawStitchedCiphers();
      if (o.mode == EngineOptions::Mode::kAuto) DecideDigests(e, &d);
      return Status::Ok();
    }
  }
  ERR_clear_error();
  d.unavailableReason = why;
  if (o.required) return Status::Error(code::kEngineUnavailable, why);
  return Status::Ok();
}

}  // namespace

Status EnsureEngine(const EngineOptions& o) {
  InitOpenSsl();
  Decision& d = TheDecision();
  if (!d.taken) return Decide(o);

  // A decision exists and TLS contexts were built on it; OpenSSL cannot swap engines
  // under live contexts, so a different request is refused rather than ignored.
  using Mode = EngineOptions::Mode;
  if (o.mode == Mode::kAuto) return Status::Ok();
  const std::string active = d.engine != nullptr ? ENGINE_get_id(d.engine) : "";
  if (o.mode == Mode::kOff) {
    if (active.empty()) return Status::Ok();
    return Status::Error(
        code::kEngineConflict,
        "engine '" + active + "' is already in use in this process; it cannot be turned off");
  }
  if (active.empty()) {
    if (!o.required) return Status::Ok();
    // Software by request is a contradicting configuration; software because the engine
    // did not load is the same unavailability as before.
    if (d.turnedOff) {
      const std::string name = o.mode == Mode::kPath && o.id.empty() ? o.path : o.id;
      return Status::Error(code::kEngineConflict,
                           "TLS already runs in software in this process (engine: false came "
                           "first); engine '" +
                               name + "' cannot be required now");
    }
    return Status::Error(code::kEngineUnavailable, d.unavailableReason.empty()
                                                       ? "no engine is in use in this process"
                                                       : d.unavailableReason);
  }
  const std::string wanted = o.mode == Mode::kPath && o.id.empty() ? active : o.id;
  if (wanted != active || MethodsOf(o) != d.methods) {
    return Status::Error(code::kEngineConflict,
                         "engine '" + active +
                             "' is already configured in this process with other settings; "
                             "engine options must be the same for every connection");
  }
  return Status::Ok();
}

EngineReport CurrentEngine() {
  std::lock_guard<std::mutex> lock(TlsGlobalLock());
  const Decision& d = TheDecision();
  EngineReport r;
  r.configured = d.taken;
  r.unavailableReason = d.unavailableReason;
  if (d.engine != nullptr) Describe(d.engine, &r);
  r.digestsServed = (d.methods & ENGINE_METHOD_DIGESTS) != 0;
  r.digestCalibration = d.digestCalibration;
  return r;
}

EngineReport ProbeEngine(const EngineOptions& o, Status* status) {
  std::lock_guard<std::mutex> lock(TlsGlobalLock());
  InitOpenSsl();
  EngineReport r;
  r.configured = TheDecision().taken;
  std::string why;
  ENGINE* e = o.mode == EngineOptions::Mode::kOff ? nullptr : FindEngine(o, &why);
  if (e == nullptr) {
    r.unavailableReason = why;
    *status = Status::Error(code::kEngineUnavailable, why);
    return r;
  }
  Describe(e, &r);
  ENGINE_free(e);
  *status = Status::Ok();
  return r;
}

bool EngineServesCipher(int nid) {
  ENGINE* e = ENGINE_get_cipher_engine(nid);
  if (e == nullptr) return false;
  ENGINE_finish(e);
  return true;
}

bool EngineServesDigest(int nid) {
  if (nid == NID_undef) return false;  // AEAD suites have no separate MAC
  ENGINE* e = ENGINE_get_digest_engine(nid);
  if (e == nullptr) return false;
  ENGINE_finish(e);
  return true;
}

}  // namespace librtmp_node
