// Conversions between JS values and the plain native structures (JS thread only).
#pragma once

#include <napi.h>

#include "engine.h"
#include "session.h"
#include "status.h"
#include "tls_client.h"

namespace librtmp_node {

// Throws an Error with a stable `code` property.
void ThrowCoded(Napi::Env env, const char* code, const std::string& message);

// { code, message, statusCode?, statusDescription?, errno?, verifyResult? }
Napi::Object StatusToJs(Napi::Env env, const Status& status);

Napi::Object TlsInfoToJs(Napi::Env env, const TlsInfo& info);
Napi::Object EngineReportToJs(Napi::Env env, const EngineReport& report);

// Reads what lib/connection.ts builds; false when a field has the wrong type.
bool OpenParamsFromJs(const Napi::Value& value, OpenParams* out);
bool EngineOptionsFromJs(const Napi::Value& value, EngineOptions* out);

}  // namespace librtmp_node
