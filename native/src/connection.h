// The JS-facing Connection object (declared for TypeScript in lib/native.ts). It only
// converts arguments and results; every blocking call runs on its ConnectionThread.
#pragma once

#include <napi.h>

#include <memory>
#include <unordered_map>

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
  // Each camera feed's mailbox for the answers to its header requests (camera_sender.h), by
  // feed id, while it is queued or running (several may be queued). JS thread only.
  using CameraFeeds = std::unordered_map<uint32_t, std::shared_ptr<HeaderAnswers>>;
  std::shared_ptr<CameraFeeds> cameraFeeds_ = std::make_shared<CameraFeeds>();
  LiveToken<LiveObject::kConnection> live_;
};

}  // namespace librtmp_node
