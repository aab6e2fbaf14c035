#include "connection.h"

#include <librtmp/rtmp.h>

#include "addon.h"
#include "camera_sender.h"
#include "file_sender.h"
#include "js_values.h"

namespace librtmp_node {
namespace {

using Callback = std::shared_ptr<Napi::FunctionReference>;

Callback Persist(const Napi::Value& value) {
  return std::make_shared<Napi::FunctionReference>(Napi::Persistent(value.As<Napi::Function>()));
}

// Calls back with (error | null, ...results). Errors are data; lib/ makes them RtmpErrors
// with the caller's stack.
void Answer(Napi::Env env, const Callback& cb, const Status& status,
            std::initializer_list<napi_value> results = {}) {
  std::vector<napi_value> args;
  args.push_back(status.ok() ? env.Null() : StatusToJs(env, status));
  args.insert(args.end(), results.begin(), results.end());
  cb->Call(args);
}

}  // namespace

Napi::Function Connection::Define(Napi::Env env) {
  return DefineClass(env, "Connection",
                     {
                         InstanceMethod<&Connection::Open>("open"),
                         InstanceMethod<&Connection::Write>("write"),
                         InstanceMethod<&Connection::SendFile>("sendFile"),
                         InstanceMethod<&Connection::StopFile>("stopFile"),
                         InstanceMethod<&Connection::SendCamera>("sendCamera"),
                         InstanceMethod<&Connection::CameraHeaders>("cameraHeaders"),
                         InstanceMethod<&Connection::Read>("read"),
                         InstanceMethod<&Connection::Close>("close"),
                         InstanceMethod<&Connection::Abandon>("abandon"),
                         InstanceMethod<&Connection::StopReading>("stopReading"),
                         InstanceMethod<&Connection::TlsInfo>("tlsInfo"),
                         InstanceMethod<&Connection::SocketInfo>("socketInfo"),
                         InstanceMethod<&Connection::Stats>("stats"),
                         InstanceMethod<&Connection::Ref>("ref"),
                         InstanceMethod<&Connection::Unref>("unref"),
                     });
}

Connection::Connection(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<Connection>(info), addon_(info.Env().GetInstanceData<Addon>()) {}

Connection::~Connection() {
  // Garbage-collected without close(): the thread closes the session on its own and the
  // addon joins it later (or at environment teardown).
  if (thread_ && !closing_) thread_->Abandon();
}

bool Connection::CheckUsable(Napi::Env env) {
  if (!thread_ || closing_) {
    ThrowCoded(env, code::kClosed,
               thread_ ? "the connection is closed" : "the connection is not open");
    return false;
  }
  return true;
}

Napi::Value Connection::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (thread_) {
    ThrowCoded(env, code::kInvalidArg, "open() was already called on this connection");
    return env.Undefined();
  }
  auto params = std::make_shared<OpenParams>();
  if (!OpenParamsFromJs(info[0], params.get()) || !info[1].IsFunction()) {
    ThrowCoded(env, code::kInvalidArg, "open(params, callback): invalid arguments");
    return env.Undefined();
  }
  Callback cb = Persist(info[1]);
  // Optional: a log handler (level, message) and the deepest librtmp level it wants.
  Napi::Function logHandler =
      info[2].IsFunction() ? info[2].As<Napi::Function>() : Napi::Function();
  const int logLevel = info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : -1;
  thread_ = std::make_shared<ConnectionThread>(env, logHandler, logLevel);
  if (!referenced_) thread_->dispatcher().Unref();
  addon_->Track(thread_);
  auto status = std::make_shared<Status>();
  thread_->Submit(
      [params, status](Session& s, bool skipped) {
        *status =
            skipped ? Status::Error(code::kClosed, "closed before connecting") : s.Open(*params);
      },
      [cb, status](Napi::Env env) { Answer(env, cb, *status); });
  return env.Undefined();
}

// write(bodies: Buffer[], meta: Uint32Array [type, timestamp]*, callback)
Napi::Value Connection::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  if (!info[0].IsArray() || !info[1].IsTypedArray() || !info[2].IsFunction()) {
    ThrowCoded(env, code::kInvalidArg, "write(bodies, meta, callback): invalid arguments");
    return env.Undefined();
  }
  Napi::Array bodies = info[0].As<Napi::Array>();
  Napi::Uint32Array meta = info[1].As<Napi::Uint32Array>();
  const uint32_t count = bodies.Length();
  if (meta.ElementLength() != count * 2) {
    ThrowCoded(env, code::kInvalidArg, "write(): meta must hold a type and a timestamp per body");
    return env.Undefined();
  }
  for (uint32_t i = 0; i < count; ++i) {
    Napi::Value body = bodies[i];
    if (!body.IsBuffer()) {
      ThrowCoded(env, code::kInvalidArg, "write(): every body must be a Buffer");
      return env.Undefined();
    }
  }
  // No copy here: the connection thread reads the bodies once, gathering each message into
  // librtmp's send buffer. The array (and so every body) stays referenced until the
  // completion runs on this thread; lib/ never changes the array it passes.
  auto batch = std::make_shared<OutgoingBatch>(count);
  for (uint32_t i = 0; i < count; ++i) {
    auto body = bodies.Get(i).As<Napi::Buffer<uint8_t>>();
    batch->Add(static_cast<uint8_t>(meta[i * 2]), meta[i * 2 + 1], body.Data(), body.Length());
  }
  auto keepAlive =
      std::make_shared<Napi::ObjectReference>(Napi::Persistent(bodies.As<Napi::Object>()));
  Callback cb = Persist(info[2]);
  auto status = std::make_shared<Status>();
  // A ReconnectRequest seen while writing: its tcUrl ("" for none) is the write's result.
  struct Request {
    bool seen = false;
    std::string tcUrl;
  };
  auto request = std::make_shared<Request>();
  thread_->Submit(
      [batch, status, request](Session& s, bool skipped) {
        *status =
            skipped ? Status::Error(code::kClosed, "the connection was closed") : s.Write(*batch);
        if (status->ok()) request->seen = s.TakeReconnectRequest(&request->tcUrl);
      },
      [cb, status, request, keepAlive](Napi::Env env) {
        Answer(env, cb, *status,
               {request->seen ? Napi::String::New(env, request->tcUrl) : env.Undefined()});
      });
  return env.Undefined();
}

// sendFile(path, { id, background, realtime }, callback(err, bytes, tags, stopped)): counts
// what was sent even when it fails.
Napi::Value Connection::SendFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  if (!info[0].IsString() || !info[1].IsObject() || !info[2].IsFunction()) {
    ThrowCoded(env, code::kInvalidArg, "sendFile(path, options, callback): invalid arguments");
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Object flags = info[1].As<Napi::Object>();
  const bool background = flags.Get("background").ToBoolean().Value();
  FileSendOptions options;
  options.realtime = flags.Get("realtime").ToBoolean().Value();
  options.id = flags.Get("id").ToNumber().Uint32Value();
  Callback cb = Persist(info[2]);
  auto status = std::make_shared<Status>();
  auto counts = std::make_shared<FileSendCounts>();
  thread_->Submit(
      [path, background, options, status, counts](Session& s, bool skipped) {
        if (skipped) {
          *status = Status::Error(code::kClosed, "the connection was closed");
        } else {
          *status = background ? SendFlvFileInBackground(s, path, options, counts.get())
                               : SendFlvFile(s, path, options, counts.get());
        }
      },
      [cb, status, counts](Napi::Env env) {
        Answer(env, cb, *status,
               {Napi::Number::New(env, static_cast<double>(counts->bytes)),
                Napi::Number::New(env, static_cast<double>(counts->tags)),
                Napi::Boolean::New(env, counts->stopped)});
      });
  return env.Undefined();
}

// stopFile(id): file send `id` ends between two batches (no-op once it has ended).
Napi::Value Connection::StopFile(const Napi::CallbackInfo& info) {
  if (thread_ && info[0].IsNumber()) {
    thread_->session().StopFileSend(info[0].As<Napi::Number>().Uint32Value());
  }
  return info.Env().Undefined();
}

namespace {

std::vector<uint8_t> BytesOf(const Napi::Value& value) {
  if (!value.IsBuffer()) return {};
  auto buffer = value.As<Napi::Buffer<uint8_t>>();
  return std::vector<uint8_t>(buffer.Data(), buffer.Data() + buffer.Length());
}

}  // namespace

// sendCamera({ id, videoFd, audioFd, continued, firstVideoFrame, firstAudioMs, frameRate, pace,
// coalesceMs, startWaitMs, maxAccessUnitBytes, videoKeyPrefix, videoInterPrefix, audioPrefix },
// onHeaders(generation, first,
// parameterSets?, audioFrame?, timestamp), callback(err, counts)). lib/ checked the options.
Napi::Value Connection::SendCamera(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  if (!info[0].IsObject() || !info[1].IsFunction() || !info[2].IsFunction()) {
    ThrowCoded(env, code::kInvalidArg,
               "sendCamera(options, onHeaders, callback): invalid arguments");
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  auto options = std::make_shared<CameraFeedOptions>();
  options->id = o.Get("id").ToNumber().Uint32Value();
  options->videoFd = o.Get("videoFd").ToNumber().Int32Value();
  options->audioFd = o.Get("audioFd").IsNumber() ? o.Get("audioFd").ToNumber().Int32Value() : -1;
  options->continued = o.Get("continued").ToBoolean().Value();
  options->firstVideoFrame =
      static_cast<uint64_t>(o.Get("firstVideoFrame").ToNumber().Int64Value());
  options->firstAudioMs = o.Get("firstAudioMs").ToNumber().DoubleValue();
  options->frameRate = o.Get("frameRate").ToNumber().DoubleValue();
  options->pace = o.Get("pace").ToBoolean().Value();
  options->coalesceMs = o.Get("coalesceMs").ToNumber().Int32Value();
  options->startWaitMs = o.Get("startWaitMs").ToNumber().Int32Value();
  options->maxAccessUnitBytes =
      static_cast<size_t>(o.Get("maxAccessUnitBytes").ToNumber().Int64Value());
  options->videoKeyPrefix = BytesOf(o.Get("videoKeyPrefix"));
  options->videoInterPrefix = BytesOf(o.Get("videoInterPrefix"));
  options->audioPrefix = BytesOf(o.Get("audioPrefix"));
  auto answers = std::make_shared<HeaderAnswers>();
  (*cameraFeeds_)[options->id] = answers;
  auto feeds = cameraFeeds_;
  // The handler is released by the completion, on this thread; the requests posted before
  // it use it through a plain pointer (they run first: the dispatcher keeps order).
  Callback onHeaders = Persist(info[1]);
  Napi::FunctionReference* handler = onHeaders.get();
  JsDispatcher* dispatcher = &thread_->dispatcher();
  AskForHeaders ask = [dispatcher, handler](HeaderRequest request) {
    auto r = std::make_shared<HeaderRequest>(std::move(request));
    return dispatcher->Post([handler, r](Napi::Env env) {
      auto bytes = [&](const std::vector<uint8_t>& v) -> Napi::Value {
        if (v.empty()) return env.Undefined();
        return Napi::Buffer<uint8_t>::Copy(env, v.data(), v.size());
      };
      handler->Call({Napi::Number::New(env, r->generation), Napi::Boolean::New(env, r->first),
                     bytes(r->parameterSets), bytes(r->audioFrame),
                     Napi::Number::New(env, r->timestamp)});
    });
  };
  Callback cb = Persist(info[2]);
  auto status = std::make_shared<Status>();
  auto counts = std::make_shared<CameraFeedCounts>();
  thread_->Submit(
      [options, answers, ask, status, counts](Session& s, bool skipped) {
        *status = skipped ? Status::Error(code::kClosed, "the connection was closed")
                          : SendCameraFeed(s, *options, *answers, ask, counts.get());
      },
      [cb, onHeaders, status, counts, feeds, id = options->id](Napi::Env env) {
        feeds->erase(id);
        Napi::Object c = Napi::Object::New(env);
        auto set = [&](const char* name, uint64_t value) {
          c.Set(name, Napi::Number::New(env, static_cast<double>(value)));
        };
        set("videoFrames", counts->videoFrames);
        set("audioFrames", counts->audioFrames);
        set("skippedFrames", counts->skippedFrames);
        set("bytes", counts->bytes);
        set("writes", counts->writes);
        set("videoBytesIn", counts->videoBytesIn);
        set("audioBytesIn", counts->audioBytesIn);
        set("videoDroppedBytes", counts->videoDroppedBytes);
        set("audioDroppedBytes", counts->audioDroppedBytes);
        c.Set("stopped", Napi::Boolean::New(env, counts->stopped));
        set("nextVideoFrame", counts->nextVideoFrame);
        c.Set("nextAudioMs", Napi::Number::New(env, counts->nextAudioMs));
        Answer(env, cb, *status, {c});
      });
  return env.Undefined();
}

// cameraHeaders(id, generation, bodies: Buffer[], meta: Uint32Array [type, timestamp]*): the
// answer to camera feed `id`'s header request (copied: a few small tags).
Napi::Value Connection::CameraHeaders(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsArray() || !info[3].IsTypedArray()) {
    ThrowCoded(env, code::kInvalidArg,
               "cameraHeaders(id, generation, bodies, meta): invalid arguments");
    return env.Undefined();
  }
  auto feed = cameraFeeds_->find(info[0].As<Napi::Number>().Uint32Value());
  if (!thread_ || feed == cameraFeeds_->end()) return env.Undefined();  // that feed has ended
  Napi::Array bodies = info[2].As<Napi::Array>();
  Napi::Uint32Array meta = info[3].As<Napi::Uint32Array>();
  if (meta.ElementLength() != bodies.Length() * 2) {
    ThrowCoded(env, code::kInvalidArg,
               "cameraHeaders(): meta must hold a type and a timestamp per body");
    return env.Undefined();
  }
  std::vector<HeaderTag> tags;
  for (uint32_t i = 0; i < bodies.Length(); ++i) {
    Napi::Value body = bodies[i];
    if (!body.IsBuffer()) {
      ThrowCoded(env, code::kInvalidArg, "cameraHeaders(): every body must be a Buffer");
      return env.Undefined();
    }
    tags.push_back({static_cast<uint8_t>(meta[i * 2]), meta[i * 2 + 1], BytesOf(body)});
  }
  feed->second->Put(info[1].As<Napi::Number>().Uint32Value(), std::move(tags));
  thread_->session().Wake();
  return env.Undefined();
}

// read(budgetBytes, callback(err, data?: Buffer, meta?: Uint32Array, ended: boolean))
Napi::Value Connection::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckUsable(env)) return env.Undefined();
  if (!info[0].IsNumber() || !info[1].IsFunction()) {
    ThrowCoded(env, code::kInvalidArg, "read(budget, callback): invalid arguments");
    return env.Undefined();
  }
  const size_t budget = info[0].As<Napi::Number>().Uint32Value();
  Callback cb = Persist(info[1]);
  auto status = std::make_shared<Status>();
  auto batch = std::make_shared<IncomingBatch>();
  thread_->Submit(
      [budget, batch, status](Session& s, bool skipped) {
        if (skipped) {
          batch->ended = true;
          return;
        }
        *status = s.Read(budget, batch.get());
      },
      [cb, status, batch](Napi::Env env) {
        auto* owned = new std::vector<char>(std::move(batch->data));
        Napi::Buffer<char> data = Napi::Buffer<char>::New(
            env, owned->data(), owned->size(),
            [](Napi::Env, char*, std::vector<char>* v) { delete v; }, owned);
        Napi::Uint32Array meta = Napi::Uint32Array::New(env, batch->meta.size());
        std::copy(batch->meta.begin(), batch->meta.end(), meta.Data());
        Answer(env, cb, *status, {data, meta, Napi::Boolean::New(env, batch->ended)});
      });
  return env.Undefined();
}

// close(callback): after every job submitted before it; the thread ends with it.
Napi::Value Connection::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) {
    ThrowCoded(env, code::kInvalidArg, "close(callback): invalid arguments");
    return env.Undefined();
  }
  Callback cb = Persist(info[0]);
  if (!thread_ || closing_) {
    Answer(env, cb, Status::Ok());
    return env.Undefined();
  }
  closing_ = true;
  std::shared_ptr<ConnectionThread> thread = thread_;
  Addon* addon = addon_;
  thread_->SubmitFinal([](Session& s, bool) { s.Close(); },
                       [cb, thread, addon](Napi::Env env) {
                         addon->Reap();
                         Answer(env, cb, Status::Ok());
                       });
  return env.Undefined();
}

// abandon(): gives the connection up now (abort, destroy); both directions unblock.
Napi::Value Connection::Abandon(const Napi::CallbackInfo& info) {
  if (thread_) thread_->session().Abandon();
  return info.Env().Undefined();
}

// stopReading(): a blocked read returns, so that close() can still unpublish.
Napi::Value Connection::StopReading(const Napi::CallbackInfo& info) {
  if (thread_) thread_->session().StopReading();
  return info.Env().Undefined();
}

Napi::Value Connection::TlsInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!thread_ || !thread_->session().usesTls()) return env.Null();
  return TlsInfoToJs(env, thread_->session().tlsInfo());
}

// socketInfo(): the connected socket's two ends, null before the TCP connect.
Napi::Value Connection::SocketInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!thread_ || thread_->session().endpoints().family == 0) return env.Null();
  const SocketEndpoints& e = thread_->session().endpoints();
  Napi::Object o = Napi::Object::New(env);
  o.Set("localAddress", e.localAddress);
  o.Set("localPort", e.localPort);
  o.Set("remoteAddress", e.remoteAddress);
  o.Set("remotePort", e.remotePort);
  o.Set("family", e.family);
  return o;
}

Napi::Value Connection::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  const SessionStats* stats = thread_ ? &thread_->session().stats() : nullptr;
  auto num = [&](uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
  out.Set("bytesOut", num(stats ? stats->bytesOut.load() : 0));
  out.Set("bytesIn", num(stats ? stats->bytesIn.load() : 0));
  out.Set("messagesOut", num(stats ? stats->messagesOut.load() : 0));
  out.Set("videoMessagesOut", num(stats ? stats->videoMessagesOut.load() : 0));
  out.Set("lastTimestampOut", num(stats ? stats->lastTimestampOut.load() : 0));
  out.Set("messagesIn", num(stats ? stats->messagesIn.load() : 0));
  return out;
}

Napi::Value Connection::Ref(const Napi::CallbackInfo& info) {
  if (thread_ && !closing_ && !referenced_) thread_->dispatcher().Ref();
  referenced_ = true;
  return info.Env().Undefined();
}

Napi::Value Connection::Unref(const Napi::CallbackInfo& info) {
  if (thread_ && !closing_ && referenced_) thread_->dispatcher().Unref();
  referenced_ = false;
  return info.Env().Undefined();
}

}  // namespace librtmp_node
