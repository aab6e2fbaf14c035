// Digital silence in AAC-LC without an encoder, for cameras without a microphone: Facebook
// and YouTube end a live stream that carries no audio.
//
// An AAC-LC frame (a raw_data_block, ISO/IEC 14496-3 4.4.2.1) is a list of syntax elements,
// one per channel or channel pair of the channel configuration, then ID_END. A channel's
// individual_channel_stream with max_sfb = 0 codes no scale factor band at all: no sections,
// no scale factors, no spectral data, so every one of its 1024 spectral coefficients is zero
// and the inverse MDCT gives exact zeros. What is left are the fixed fields:
//
//   SCE/LFE  id_syn_ele(3) element_instance_tag(4) global_gain(8) ics_info(11)
//            pulse_data_present(1)=0 tns_data_present(1)=0 gain_control_data_present(1)=0
//   CPE      id_syn_ele(3) element_instance_tag(4) common_window(1)=1 ics_info(11)
//            ms_mask_present(2)=0, then per channel global_gain(8) and the three flags
//   ics_info ics_reserved_bit(1)=0 window_sequence(2)=ONLY_LONG window_shape(1)=sine
//            max_sfb(6)=0 predictor_data_present(1)=0
//   END      id_syn_ele(3)=7, then zero bits to the byte boundary
//
// global_gain scales the scale factors, and there are none: 0 is as good as any value. The
// frame depends only on the channel configuration (mono: 4 bytes, stereo: 6); the sample
// rate lives in the AudioSpecificConfig alone. test/silent-audio.test.ts decodes each
// configuration with ffmpeg and checks every sample is zero.
import { AAC_FRAME_SAMPLES, audioSpecificConfig, SAMPLING_FREQUENCIES } from './aac';
import { mediaError } from './errors';

const ID_SCE = 0;
const ID_CPE = 1;
const ID_LFE = 3;
const ID_END = 7;
const AAC_LC = 2;

// Elements of each channel configuration (14496-3 Table 1.19), in bitstream order.
const ELEMENTS: Readonly<Record<number, readonly number[]>> = {
  1: [ID_SCE],
  2: [ID_CPE],
  3: [ID_SCE, ID_CPE],
  4: [ID_SCE, ID_CPE, ID_SCE],
  5: [ID_SCE, ID_CPE, ID_CPE],
  6: [ID_SCE, ID_CPE, ID_CPE, ID_LFE],
  7: [ID_SCE, ID_CPE, ID_CPE, ID_CPE, ID_LFE],
};

/** Channel counts and their channel configuration (7.1 is configuration 7). */
const CONFIG_OF_CHANNELS: Readonly<Record<number, number>> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 8: 7 };

class BitWriter {
  readonly #bits: number[] = [];
  put(count: number, value: number): this {
    for (let i = count - 1; i >= 0; i--) this.#bits.push((value >>> i) & 1);
    return this;
  }
  bytes(): Buffer {
    const out = Buffer.alloc(Math.ceil(this.#bits.length / 8));
    this.#bits.forEach((bit, i) => (out[i >>> 3] |= bit << (7 - (i & 7))));
    return out;
  }
}

// ics_info of a long window that codes no band.
const icsInfo = (w: BitWriter): BitWriter => w.put(1, 0).put(2, 0).put(1, 0).put(6, 0).put(1, 0);
// global_gain, then no pulse, TNS or gain control data.
const emptyChannel = (w: BitWriter): BitWriter => w.put(8, 0).put(3, 0);

/** The raw AAC-LC frame of 1024 samples of silence for a channel configuration (1–7). */
export function silentAacFrame(channelConfig: number): Buffer {
  const elements = ELEMENTS[channelConfig];
  if (!elements) throw mediaError(`no AAC channel configuration ${channelConfig}`);
  const w = new BitWriter();
  const tags = new Map<number, number>();
  for (const id of elements) {
    const tag = tags.get(id) ?? 0;
    tags.set(id, tag + 1);
    w.put(3, id).put(4, tag);
    if (id === ID_CPE) {
      w.put(1, 1); // common_window: one ics_info for both channels
      icsInfo(w).put(2, 0); // ms_mask_present: no M/S
      emptyChannel(w);
      emptyChannel(w);
    } else {
      // SCE and LFE: global_gain, ics_info, then the three flags.
      icsInfo(w.put(8, 0)).put(3, 0);
    }
  }
  w.put(3, ID_END);
  return w.bytes();
}

export interface SilentAudioOptions {
  /** Hz, one of AAC's sampling frequencies (default 48000). */
  sampleRate?: number;
  /** 1–6 or 8 (7.1); default 2. */
  channels?: number;
}

/**
 * The silent track of one configuration: its AudioSpecificConfig, its one frame, and the
 * timestamp of frame n counted from an origin — computed from n itself, never by adding
 * rounded durations, so the track does not drift from the video over hours.
 */
export class SilentAudio {
  readonly sampleRate: number;
  readonly channels: number;
  readonly audioSpecificConfig: Buffer;
  readonly frame: Buffer;

  constructor(options: SilentAudioOptions = {}) {
    const sampleRate = options.sampleRate ?? 48000;
    const channels = options.channels ?? 2;
    const frequencyIndex = SAMPLING_FREQUENCIES.indexOf(sampleRate);
    if (frequencyIndex < 0) throw mediaError(`silent audio sampleRate ${sampleRate} is not an AAC sampling frequency (${SAMPLING_FREQUENCIES.join(', ')})`);
    const channelConfig = CONFIG_OF_CHANNELS[channels];
    if (channelConfig === undefined) throw mediaError(`silent audio channels must be 1–6 or 8, not ${channels}`);
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.audioSpecificConfig = audioSpecificConfig(AAC_LC, frequencyIndex, channelConfig);
    this.frame = silentAacFrame(channelConfig);
  }

  /** Milliseconds from the origin to frame `n`. */
  frameTime(n: number): number {
    return (n * AAC_FRAME_SAMPLES * 1000) / this.sampleRate;
  }

  /** The first frame number whose time is after `ms` from the origin. */
  framesThrough(ms: number): number {
    return Math.floor((ms * this.sampleRate) / (AAC_FRAME_SAMPLES * 1000)) + 1;
  }
}
