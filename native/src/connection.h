// The JS-facing Connection object (declared for TypeScript in lib/native.ts). It only
// converts arguments and results; every blocking call runs on its ConnectionThread.
#pragma once

#include <napi.h>

#include <memory>

#include "camera_sender.h"
#include "connection_thread.h"
#include "live_objects.h"

namespace librtmp_node {

class Addon;

class Connection : public Napi::ObjectWrap<Connection> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Connection(const Napi::CallbackInfo& info);
  ~Connection() override;

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value SendFile(const Napi::CallbackInfo& info);
  Napi::Value StopFile(const Napi::CallbackInfo& info);
  Napi::Value SendCamera(const Napi::CallbackInfo& info);
  Napi::Value CameraHeaders(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Abandon(const Napi::CallbackInfo& info);
  Napi::Value StopReading(const Napi::CallbackInfo& info);
  Napi::Value TlsInfo(const Napi::CallbackInfo& info);
  Napi::Value SocketInfo(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);

  // Throws (returns false) unless the connection is open for more work.
  bool CheckUsable(Napi::Env env);

  Addon* addon_;
  std::shared_ptr<ConnectionThread> thread_;
  bool closing_ = false;
  bool referenced_ = true;
  // The running camera feed's answers to its header requests (camera_sender.h).
  std::shared_ptr<HeaderAnswers> cameraAnswers_;
  uint32_t cameraId_ = 0;
  LiveToken<LiveObject::kConnection> live_;
};

}  // namespace librtmp_node
