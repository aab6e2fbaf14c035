// publishCamera()'s options, checked before anything connects: the reconnect policy, the
// queue's bounds and the list of destinations (each URL parsed, none twice, no option that
// belongs to the shared encode set on one destination). Every refusal is a coded error that
// names the destination by index and masked URL, never by its key.
import type { BitrateAdviceOptions } from './bitrate-advisor';
import { checkConnection } from '../connection';
import { ErrorCodes, invalidArg, RtmpError } from '../errors';
import type { RtmpOptions } from '../options';
import { parseRtmpUrl } from '../url';
import { RECONNECT_DEFAULTS, type DestinationConfig, type ReconnectOptions } from './destination';
import { ENHANCED_FOURCC, type MediaPublisherOptions } from './muxer';
import type { SendQueueOptions } from './send-queue';

/** One destination of a camera's stream; unset options come from the camera's own. */
export interface DestinationOptions extends SendQueueOptions {
  url: string | URL;
  /** Connection options, merged key by key over the camera's `rtmp`. */
  rtmp?: RtmpOptions;
  reconnect?: ReconnectOptions | false;
  retryFirstConnection?: boolean;
}

export interface CameraOptions extends MediaPublisherOptions, SendQueueOptions {
  /** Connection options for every (re)connection. */
  rtmp?: RtmpOptions;
  /** false: a failed connection ends the session (of that destination). */
  reconnect?: ReconnectOptions | false;
  /**
   * true: publishCamera() does not wait for the first connection. It is made in the
   * background and retried like a lost one (`reconnecting` events), frames are queued by the
   * usual bounds meanwhile, and `connected` fires once it is up. For a camera that boots
   * before its network. Default false: the first connection must succeed.
   */
  retryFirstConnection?: boolean;
  /**
   * true: writeVideo()/writeAudio() wait until each frame's time comes (like ffmpeg -re),
   * measured from the first frame. For file-like sources that hand out frames faster than
   * real time: unpaced, the send queue keeps at most pframeDropThresholdMs of video and
   * drops the rest. A live encoder is paced by its own clock: leave it off. Default false.
   */
  pace?: boolean;
  /**
   * Bitrate advice for the encoder: 'bitrate' events (BitrateEvent) with a target in kbit/s
   * from what the first destination's link actually carries, never above `maxKbps` (the
   * encoder's configured bitrate) nor the profile's range. See lib/media/bitrate-advisor.ts.
   */
  bitrateAdvice?: BitrateAdviceOptions;
  /**
   * Several destinations from one encode (publishCamera(options) without a URL): each its own
   * connection, queue and reconnection. Strings or URLs, or objects with per-destination options.
   */
  destinations?: readonly (string | URL | DestinationOptions)[];
}

/** More would be more threads and sockets than a camera should hold for one stream. */
export const MAX_DESTINATIONS = 16;

const QUEUE_KEYS = ['dropThresholdMs', 'pframeDropThresholdMs', 'maxBatchMs', 'maxQueuedMs'] as const;
const DESTINATION_KEYS = new Set<string>(['url', 'rtmp', 'reconnect', 'retryFirstConnection', 'coalesceMs', ...QUEUE_KEYS]);
const ENCODE_KEYS = new Set<string>(['videoCodec', 'video', 'audio', 'silentAudio', 'metadata', 'startWaitMs', 'pace', 'destinations', 'profile', 'strict', 'bitrateAdvice']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkReconnect(value: unknown, where: string): Required<ReconnectOptions> | undefined {
  if (value === false) return undefined;
  if (value === undefined) return { ...RECONNECT_DEFAULTS };
  if (!isObject(value)) throw invalidArg(`${where}reconnect must be false or an object`);
  const policy = { ...RECONNECT_DEFAULTS, ...(value as ReconnectOptions) };
  const finite = (key: keyof ReconnectOptions, min: number): void => {
    const n = policy[key];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min) throw invalidArg(`${where}reconnect.${key} must be a number >= ${min}`);
  };
  finite('retries', 0);
  if (!Number.isInteger(policy.retries)) throw invalidArg(`${where}reconnect.retries must be an integer`);
  finite('initialDelayMs', 0);
  finite('factor', 1);
  finite('maxDelayMs', 0);
  finite('jitter', 0);
  finite('requestIntervalMs', 0);
  if (policy.maxDelayMs < policy.initialDelayMs) throw invalidArg(`${where}reconnect.maxDelayMs must be >= initialDelayMs`);
  return policy;
}

function checkQueue(options: SendQueueOptions, where: string): void {
  for (const key of QUEUE_KEYS) {
    const n = options[key];
    if (n !== undefined && (typeof n !== 'number' || !Number.isFinite(n) || n <= 0)) {
      throw invalidArg(`${where}${key} must be a positive number of milliseconds`);
    }
  }
  const coalesce = options.coalesceMs;
  if (coalesce !== undefined && (typeof coalesce !== 'number' || !Number.isFinite(coalesce) || coalesce < 0 || coalesce > 1000)) {
    throw invalidArg(`${where}coalesceMs must be a number of milliseconds from 0 (off) to 1000`);
  }
  const drop = options.dropThresholdMs ?? 700;
  const pframe = options.pframeDropThresholdMs ?? 900;
  const max = options.maxQueuedMs ?? 5000;
  if (!(drop <= pframe && pframe <= max)) {
    throw invalidArg(`${where}the queue bounds need dropThresholdMs <= pframeDropThresholdMs <= maxQueuedMs`);
  }
}

// HEVC and AV1 go out as Enhanced RTMP: say so in the connect command unless the caller did.
function withCodecAnnouncement(rtmp: RtmpOptions | undefined, options: MediaPublisherOptions): RtmpOptions | undefined {
  const codec = options.videoCodec ?? 'h264';
  if (!Object.hasOwn(ENHANCED_FOURCC, codec)) throw invalidArg("videoCodec must be 'h264', 'hevc' or 'av1'");
  const fourCc = ENHANCED_FOURCC[codec];
  const announced = rtmp?.fourCcList !== undefined || (rtmp?.connectProperties !== undefined && 'fourCcList' in rtmp.connectProperties);
  if (fourCc === undefined || announced) return rtmp;
  return { ...rtmp, fourCcList: [fourCc] };
}

// What makes two destinations the same stream on the same server.
function identity(url: string | URL, rtmp: RtmpOptions | undefined): string {
  const parsed = parseRtmpUrl(url);
  return [parsed.scheme, parsed.host.toLowerCase(), parsed.port, rtmp?.app ?? parsed.app, rtmp?.playpath ?? parsed.playpath].join('\n');
}

/**
 * The destinations of publishCamera(url, options) or publishCamera({ destinations }), checked
 * and merged with the camera's options, in order.
 */
export function resolveDestinations(target: string | URL | undefined, options: CameraOptions): DestinationConfig[] {
  if (!isObject(options as unknown)) throw invalidArg('publishCamera() options must be an object');
  checkQueue(options, '');
  const shared = checkReconnect(options.reconnect, 'options.');
  let list: readonly unknown[];
  if (target !== undefined) {
    if (options.destinations !== undefined) throw invalidArg('give publishCamera() a URL or options.destinations, not both');
    list = [target];
  } else {
    if (!Array.isArray(options.destinations)) throw invalidArg('publishCamera() needs a URL or options.destinations (an array)');
    list = options.destinations;
    if (list.length === 0) throw invalidArg('options.destinations is empty');
    if (list.length > MAX_DESTINATIONS) throw invalidArg(`options.destinations has more than ${MAX_DESTINATIONS} entries`);
  }
  const seen = new Map<string, number>();
  return list.map((entry, index) => {
    const where = target === undefined ? `destinations[${index}].` : '';
    const byUrl = typeof entry === 'string' || entry instanceof URL;
    if (!byUrl && !isObject(entry)) throw invalidArg(`destinations[${index}] must be a URL or an object with a url`);
    const spec: DestinationOptions = byUrl ? { url: entry } : (entry as unknown as DestinationOptions);
    for (const key of Object.keys(spec)) {
      if (ENCODE_KEYS.has(key)) throw invalidArg(`${where}${key} belongs to the encode every destination shares: set it on the camera's options`);
      if (!DESTINATION_KEYS.has(key)) throw invalidArg(`${where}${key} is not a destination option`);
    }
    if (spec.rtmp !== undefined && !isObject(spec.rtmp as unknown)) throw invalidArg(`${where}rtmp must be an object`);
    const rtmp = withCodecAnnouncement(spec.rtmp || options.rtmp ? { ...options.rtmp, ...spec.rtmp } : undefined, options);
    const queue: SendQueueOptions = {};
    for (const key of QUEUE_KEYS) queue[key] = spec[key] ?? options[key];
    queue.coalesceMs = spec.coalesceMs ?? options.coalesceMs;
    checkQueue(queue, where);
    const reconnect = spec.reconnect === undefined ? shared : checkReconnect(spec.reconnect, where);
    const retryFirstConnection = spec.retryFirstConnection ?? options.retryFirstConnection ?? false;
    if (typeof retryFirstConnection !== 'boolean') throw invalidArg(`${where}retryFirstConnection must be a boolean`);
    if (retryFirstConnection && !reconnect) throw invalidArg(`${where}retryFirstConnection needs reconnect (it retries by its policy)`);
    let maskedUrl: string;
    try {
      maskedUrl = checkConnection(spec.url, rtmp, 'publish');
    } catch (error) {
      if (target === undefined && error instanceof RtmpError) throw new RtmpError(error.code, `destinations[${index}]: ${error.message}`);
      throw error;
    }
    const id = identity(spec.url, rtmp);
    const twin = seen.get(id);
    if (twin !== undefined) {
      throw new RtmpError(ErrorCodes.INVALID_ARG, `destinations[${twin}] and [${index}] are the same stream (${maskedUrl})`);
    }
    seen.set(id, index);
    return { ...queue, url: spec.url, maskedUrl, rtmp, reconnect, retryFirstConnection };
  });
}
