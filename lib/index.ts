// node-librtmp: RTMP, RTMPS and RTMPE for Node.js on librtmp and a static OpenSSL 1.1.1.
import { openConnection, type ConnectionMode, type RtmpConnection } from './connection';
import type { FlvTag } from './flv';
import { binding, type NativeEngineReport } from './native';
import type { RtmpOptions } from './options';

export { RtmpConnection, type ConnectionMode, type ReconnectRequestEvent, type ConnectionStats, type SendFileOptions, type SendFileResult, type SocketInfo, type TlsInfo } from './connection';
export { CameraSource, openCamera, type CameraFeedOptions, type CameraFeedResult, type CameraInput, type CameraSendOptions, type CameraSourceOptions } from './media/camera-feed';
export { ErrorCodes, RtmpError, TlsClockReasons, type ErrorCode } from './errors';
export { Amf0EcmaArray, decodeAmf0, decodeAmf0Value, encodeAmf0, type Amf0Value } from './amf0';
export { encodeFlvHeader, encodeTag, FlvParser, type FlvTag, type FlvTagType } from './flv';
export { isConfigurationTag, isKeyframe, isSequenceHeader } from './flv-tags';
export type { AudioFrame } from './media/aac';
export type { ByteSource } from './media/byte-source';
export type { FeedClock, PipeOptions, PipeResult } from './media/byte-stream-feed';
export type { SilentAudioOptions } from './media/silent-aac';
export { AdtsSplitter, readAdtsFrames, type AdtsFrameUnit } from './media/adts-splitter';
export { AnnexBSplitter, readAccessUnits, type AnnexBCodec, type AnnexBSplitterOptions, type SplitterStats } from './media/annexb-splitter';
export type { VideoFrame } from './media/h264';
export { decodeScriptData, encodeMetadata, metadataTag, type StreamMetadata } from './media/metadata';
export { MediaPublisher, type MediaPublisherOptions, type MediaPublisherStats, type TagSink, type VideoCodec } from './media/muxer';
export {
  publishCamera,
  ReconnectingPublisher,
  type CameraDropEvent,
  type CameraOptions,
  type CameraStats,
  type ConnectedEvent,
  type DestinationDropEvent,
  type DestinationOptions,
  type DestinationRef,
  type DestinationStats,
  type FailedEvent,
  type ReconnectedEvent,
  type ReconnectingEvent,
  type ReconnectOptions,
  type ReconnectRequestedEvent,
} from './media/reconnecting-publisher';
export { FACEBOOK, YOUTUBE, PLATFORM_PROFILES, type LevelRow, type PlatformProfile, type ProfileName, type VideoBitrateRow } from './media/platform-profiles';
export {
  resolveProfile,
  StreamRules,
  WarningCodes,
  type ProfileOption,
  type ProfileWarning,
  type RuleResult,
  type RuleStatus,
  type WarningCode,
} from './media/stream-rules';
export { BitrateAdvisor, type BitrateAdviceOptions, type BitrateEvent, type SendPathSample } from './media/bitrate-advisor';
export { SendQueue, type DropEvent, type SendQueueOptions, type SendQueueStats } from './media/send-queue';
export { setLogger, type LogEntry, type Logger, type LogLevel } from './log';
export type { RtmpOptions } from './options';
export { versions } from './versions';
export type { Versions } from './native';
export { clearTlsSessions, type EngineConfig, type EngineMethod, type EngineOption, type TlsOptions, type TlsVersion } from './tls';

export interface ConnectOptions extends RtmpOptions {
  /** 'play' (default) or 'publish'. */
  mode?: ConnectionMode;
}

/** Opens a connection for playing (default) or publishing. */
export function connect(url: string | URL, options: ConnectOptions = {}): Promise<RtmpConnection> {
  const { mode = 'play', ...rest } = options ?? {};
  return openConnection(url, rest, mode);
}

/** Connects and starts publishing; write tags or FLV bytes to the result. */
export function publish(url: string | URL, options?: RtmpOptions): Promise<RtmpConnection> {
  return openConnection(url, options, 'publish');
}

/** Plays a stream: its FLV tags, until the stream ends. Leaving the loop closes the connection. */
export async function* read(url: string | URL, options?: RtmpOptions): AsyncGenerator<FlvTag, void, undefined> {
  const connection = await openConnection(url, options, 'play');
  try {
    yield* connection.tags();
  } finally {
    await connection.close();
  }
}

/** The crypto engine decision in force in this process (taken at the first TLS connection). */
export function engineInfo(): NativeEngineReport {
  return binding.engine();
}
