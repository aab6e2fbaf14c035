#include "js_values.h"

namespace librtmp_node {
namespace {

bool GetString(const Napi::Object& o, const char* key, std::string* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsString()) return false;
  *out = v.As<Napi::String>().Utf8Value();
  return true;
}

bool GetBool(const Napi::Object& o, const char* key, bool* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsBoolean()) return false;
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

bool GetInt(const Napi::Object& o, const char* key, int* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsNumber()) return false;
  *out = v.As<Napi::Number>().Int32Value();
  return true;
}

bool GetStrings(const Napi::Object& o, const char* key, std::vector<std::string>* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value item = a[i];
    if (!item.IsString()) return false;
    out->push_back(item.As<Napi::String>().Utf8Value());
  }
  return true;
}

// A Buffer's bytes (binary data: no UTF-8 round trip).
bool GetBytes(const Napi::Object& o, const char* key, std::string* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsBuffer()) return false;
  Napi::Buffer<char> b = v.As<Napi::Buffer<char>>();
  out->assign(b.Data(), b.Length());
  return true;
}

// [[name, value], ...]
bool GetPairs(const Napi::Object& o, const char* key,
              std::vector<std::pair<std::string, std::string>>* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsArray()) return false;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value item = a[i];
    if (!item.IsArray()) return false;
    Napi::Array pair = item.As<Napi::Array>();
    Napi::Value name = pair[0u];
    Napi::Value value = pair[1u];
    if (!name.IsString() || !value.IsString()) return false;
    out->emplace_back(name.As<Napi::String>().Utf8Value(), value.As<Napi::String>().Utf8Value());
  }
  return true;
}

bool TlsOptionsFromJs(const Napi::Value& value, TlsOptions* out) {
  if (value.IsUndefined() || value.IsNull()) return true;
  if (!value.IsObject()) return false;
  Napi::Object o = value.As<Napi::Object>();
  return GetStrings(o, "ca", &out->caPem) &&
         GetBool(o, "rejectUnauthorized", &out->rejectUnauthorized) &&
         GetBool(o, "opensslStore", &out->opensslStore) &&
         GetString(o, "servername", &out->servername) &&
         GetInt(o, "minVersion", &out->minVersion) && GetInt(o, "maxVersion", &out->maxVersion) &&
         GetString(o, "ciphers", &out->ciphers) &&
         GetString(o, "ciphersuites", &out->ciphersuites) &&
         GetBool(o, "resumeSessions", &out->resumeSessions);
}

Napi::Array StringArray(Napi::Env env, const std::vector<std::string>& items) {
  Napi::Array a = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); ++i) a.Set(static_cast<uint32_t>(i), items[i]);
  return a;
}

}  // namespace

void ThrowCoded(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.ThrowAsJavaScriptException();
}

Napi::Object StatusToJs(Napi::Env env, const Status& status) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("code", status.code);
  o.Set("message", status.message);
  if (!status.statusCode.empty()) o.Set("statusCode", status.statusCode);
  if (!status.statusDescription.empty()) o.Set("statusDescription", status.statusDescription);
  if (status.sysErrno != 0) o.Set("errno", status.sysErrno);
  if (status.verifyResult != 0) o.Set("verifyResult", static_cast<double>(status.verifyResult));
  if (status.deviceTimeMs != 0) {
    o.Set("certNotBefore", status.certNotBeforeMs);
    o.Set("certNotAfter", status.certNotAfterMs);
    o.Set("deviceTime", status.deviceTimeMs);
    o.Set("certSubject", status.certSubject);
  }
  return o;
}

Napi::Object TlsInfoToJs(Napi::Env env, const TlsInfo& info) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("protocol", info.protocol);
  o.Set("cipher", info.cipher);
  o.Set("cipherStandardName", info.cipherStandardName);
  o.Set("servername", info.servername);
  o.Set("peerSubject", info.peerSubject);
  o.Set("peerIssuer", info.peerIssuer);
  o.Set("peerFingerprint256", info.peerFingerprint256);
  o.Set("authorized", info.authorized);
  if (!info.authorizationError.empty()) o.Set("authorizationError", info.authorizationError);
  o.Set("engine", info.engineId.empty() ? env.Null() : Napi::String::New(env, info.engineId));
  o.Set("engineServed", info.engineServed);
  o.Set("macEngineServed", info.macEngineServed);
  o.Set("resumed", info.resumed);
  o.Set("handshakeCpuMs", info.handshakeCpuMs);
  o.Set("handshakeMs", info.handshakeMs);
  return o;
}

Napi::Object EngineReportToJs(Napi::Env env, const EngineReport& report) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("configured", report.configured);
  o.Set("id", report.id.empty() ? env.Null() : Napi::String::New(env, report.id));
  o.Set("name", report.name);
  if (!report.unavailableReason.empty()) o.Set("unavailableReason", report.unavailableReason);
  o.Set("ciphers", StringArray(env, report.ciphers));
  o.Set("digests", StringArray(env, report.digests));
  o.Set("digestsServed", report.digestsServed);
  if (!report.digestCalibration.empty()) {
    Napi::Array list = Napi::Array::New(env, report.digestCalibration.size());
    for (size_t i = 0; i < report.digestCalibration.size(); ++i) {
      const DigestCalibration& c = report.digestCalibration[i];
      Napi::Object item = Napi::Object::New(env);
      item.Set("digest", c.digest);
      Napi::Array costs = Napi::Array::New(env, c.costs.size());
      for (size_t j = 0; j < c.costs.size(); ++j) {
        Napi::Object cost = Napi::Object::New(env);
        cost.Set("bytes", static_cast<double>(c.costs[j].bytes));
        cost.Set("engineNs", c.costs[j].engineNs);
        cost.Set("softwareNs", c.costs[j].softwareNs);
        costs.Set(static_cast<uint32_t>(j), cost);
      }
      item.Set("costs", costs);
      item.Set("engineCallNs", c.engineCallNs);
      item.Set("engineByteNs", c.engineByteNs);
      item.Set("softwareCallNs", c.softwareCallNs);
      item.Set("softwareByteNs", c.softwareByteNs);
      item.Set("crossoverBytes",
               c.crossoverBytes < 0 ? env.Null() : Napi::Number::New(env, c.crossoverBytes));
      item.Set("decisionBytes", static_cast<double>(kDigestDecisionBytes));
      item.Set("enginePays", c.enginePays);
      list.Set(static_cast<uint32_t>(i), item);
    }
    o.Set("digestCalibration", list);
  }
  return o;
}

bool EngineOptionsFromJs(const Napi::Value& value, EngineOptions* out) {
  if (value.IsUndefined() || value.IsNull()) return true;
  if (!value.IsObject()) return false;
  Napi::Object o = value.As<Napi::Object>();
  std::string mode = "auto";
  if (!GetString(o, "mode", &mode)) return false;
  if (mode == "auto") {
    out->mode = EngineOptions::Mode::kAuto;
  } else if (mode == "off") {
    out->mode = EngineOptions::Mode::kOff;
  } else if (mode == "id") {
    out->mode = EngineOptions::Mode::kId;
  } else if (mode == "path") {
    out->mode = EngineOptions::Mode::kPath;
  } else {
    return false;
  }
  return GetString(o, "id", &out->id) && GetString(o, "path", &out->path) &&
         GetBool(o, "required", &out->required) && GetBool(o, "ciphers", &out->ciphers) &&
         GetBool(o, "digests", &out->digests) && GetPairs(o, "ctrl", &out->ctrl);
}

bool OpenParamsFromJs(const Napi::Value& value, OpenParams* out) {
  if (!value.IsObject()) return false;
  Napi::Object o = value.As<Napi::Object>();
  return GetString(o, "url", &out->url) && !out->url.empty() && GetString(o, "host", &out->host) &&
         !out->host.empty() && GetInt(o, "port", &out->port) &&
         GetBool(o, "publish", &out->publish) && GetInt(o, "timeoutMs", &out->timeoutMs) &&
         GetString(o, "localAddress", &out->localAddress) && GetInt(o, "family", &out->family) &&
         GetInt(o, "chunkSize", &out->chunkSize) && GetPairs(o, "rtmpOptions", &out->rtmpOptions) &&
         GetBytes(o, "connectProperties", &out->connectProperties) &&
         TlsOptionsFromJs(o.Get("tls"), &out->tls) &&
         EngineOptionsFromJs(o.Get("engine"), &out->engine);
}

}  // namespace librtmp_node
