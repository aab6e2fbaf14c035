// The camera pipeline end to end: ffmpeg's raw H.264 and ADTS elementary streams, published
// through MediaPublisher to nginx-rtmp, recorded, and decoded frame by frame by ffprobe.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, ErrorCodes, publish, RtmpError, type RtmpConnection } from '../lib/index';
import type { FlvTag } from '../lib/flv';
import { splitAnnexB } from '../lib/media/h264';
import { AV01_CODEC_ID, Av1Packetizer } from '../lib/media/av1';
import { HevcPacketizer, HVC1_CODEC_ID } from '../lib/media/hevc';
import { decodeScriptData } from '../lib/media/metadata';
import { MediaPublisher, type MediaPublisherOptions } from '../lib/media/muxer';
import {
  makeAv1Stream,
  makeElementaryStreams,
  makeHevcStream,
  readStreams,
  splitAccessUnits,
  splitTemporalUnits,
  type ElementaryStreams,
} from './helpers/elementary';
import { ffprobeFrames } from './helpers/media';
import { startNginx, type NginxServer } from './helpers/nginx';

const isMediaError = (e: unknown): boolean => e instanceof RtmpError && e.code === ErrorCodes.MEDIA_INVALID;

const AAC_FRAME_MS = (1024 * 1000) / 44100;

function nonDecreasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v >= values[i - 1]);
}

describe('MediaPublisher to nginx-rtmp', () => {
  let nginx: NginxServer;
  let tmp: string;
  let streams: ElementaryStreams;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-media-'));
    [nginx, streams] = await Promise.all([startNginx({
        record: true,
        applications: [
          { name: 'live' },
          // nginx-rtmp starts a subscriber's video at a frame of classic type 1 (key), which
          // Enhanced RTMP headers never carry: without `wait_key off` it relays no HEVC.
          { name: 'enhanced', directives: ['live on;', 'wait_key off;'] },
        ],
      }), makeElementaryStreams(tmp)]);
  });
  after(async () => {
    await nginx?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('publishes H.264 + AAC that ffprobe decodes frame for frame, in sync', async () => {
    const { units, adtsFrames } = readStreams(streams);
    assert.equal(units.length, streams.videoTimes.length, 'one access unit per MP4 packet');
    // FLV has no negative times: shift both tracks by the B-frame delay, as muxers do.
    const shift = -Math.min(0, ...streams.videoTimes.map((t) => t.dts));
    // A live player that joins first: nginx keeps onMetaData out of recordings but hands it to
    // players, before their first frame.
    const player = await connect(nginx.url('live', 'camera'), { live: true });
    const played = (async () => {
      const seen: FlvTag[] = [];
      for await (const tag of player.tags()) seen.push(tag);
      return seen;
    })();
    const connection = await publish(nginx.url('live', 'camera'));
    const publisher = new MediaPublisher(connection, { metadata: { videodatarate: 300, audiodatarate: 64 } });

    // Before anything valid: a keyframe without its SPS/PPS, refused before any byte went out.
    const firstWithoutParameterSets = Buffer.concat(
      splitAnnexB(units[0])
        .filter((nal) => ![7, 8].includes(nal[0] & 0x1f))
        .flatMap((nal) => [Buffer.of(0, 0, 0, 1), nal]),
    );
    const messagesBefore = connection.stats().messagesOut;
    await assert.rejects(publisher.writeVideo({ data: firstWithoutParameterSets, pts: shift, dts: shift }), isMediaError);
    assert.equal(connection.stats().messagesOut, messagesBefore, 'nothing sent');

    // Interleave by time; audio goes 1–3 ADTS frames per buffer, as encoders deliver it.
    let v = 0;
    let a = 0;
    let rejected = 0;
    while (v < units.length || a < adtsFrames.length) {
      const videoTime = v < units.length ? streams.videoTimes[v].dts + shift : Infinity;
      const audioTime = a < adtsFrames.length ? a * AAC_FRAME_MS + shift : Infinity;
      if (videoTime <= audioTime) {
        const { pts, dts } = streams.videoTimes[v];
        await publisher.writeVideo({ data: units[v], pts: pts + shift, dts: dts + shift });
        v++;
      } else {
        const count = Math.min(1 + (a % 3), adtsFrames.length - a);
        const buffer = Buffer.concat(adtsFrames.slice(a, a + count));
        if (a > 50 && count >= 2 && rejected === 0) {
          // Malformed input mid-stream: refused whole, the stream goes on undamaged.
          const badSync = Buffer.from(buffer);
          badSync[adtsFrames[a].length] = 0x00; // the second frame's sync word
          const truncated = buffer.subarray(0, buffer.length - 1);
          const noStartCode = units[v].subarray(4);
          for (const bad of [
            () => publisher.writeAudio({ data: badSync, pts: audioTime }),
            () => publisher.writeAudio({ data: truncated, pts: audioTime }),
            () => publisher.writeVideo({ data: noStartCode, pts: videoTime }),
          ]) {
            await assert.rejects(bad(), isMediaError);
            rejected++;
          }
        }
        await publisher.writeAudio({ data: buffer, pts: audioTime });
        a += count;
      }
    }
    assert.equal(rejected, 3);
    await connection.close();
    assert.deepEqual(publisher.stats(), { videoFrames: units.length, audioFrames: adtsFrames.length, skippedFrames: 0, timestampOffsetMs: 0 });

    const recording = await nginx.waitForRecording('camera');
    const probe = await ffprobeFrames(recording);
    assert.equal(probe.stderr, '', 'ffprobe decodes without complaint');
    assert.equal(probe.video?.codecName, 'h264');
    assert.equal(probe.audio?.codecName, 'aac');
    assert.equal(probe.video?.frames, units.length);
    assert.equal(probe.audio?.frames, adtsFrames.length);
    assert.ok(nonDecreasing(probe.video.dts), 'video dts monotonic');
    assert.ok(nonDecreasing(probe.audio.dts), 'audio dts monotonic');
    // Every frame keeps its presentation time (ms, relative to the first one).
    const expectedPts = streams.videoTimes.map((t) => t.pts).sort((x, y) => x - y);
    const gotPts = [...probe.video.pts].map((s) => Math.round(s * 1000)).sort((x, y) => x - y);
    const recordingStart = Math.min(gotPts[0], Math.round(probe.audio.pts[0] * 1000)) - shift;
    assert.deepEqual(
      gotPts.map((t) => t - recordingStart - shift),
      expectedPts,
    );
    // A/V sync: both tracks start together and end within one audio frame of each other.
    const videoStart = gotPts[0];
    const audioStart = Math.round(probe.audio.pts[0] * 1000);
    assert.ok(Math.abs(videoStart - audioStart) <= 1, `video starts at ${videoStart} ms, audio at ${audioStart} ms`);
    const audioEnd = probe.audio.pts[probe.audio.pts.length - 1] * 1000 + AAC_FRAME_MS;
    const videoEnd = gotPts[gotPts.length - 1] + 1000 / streams.frameRate;
    assert.ok(Math.abs(audioEnd - videoEnd) <= 2 * AAC_FRAME_MS, `video ends at ${videoEnd} ms, audio at ${audioEnd} ms`);
    assert.equal(probe.video.keyPackets, Math.ceil(units.length / 25));

    // onMetaData reached the player first and says what the streams are.
    const seen = await played;
    await player.close();
    assert.equal(seen[0]?.type, 'script', 'the player gets onMetaData first');
    const script = seen[0];
    const { name, values } = decodeScriptData(script.data);
    assert.equal(name, 'onMetaData');
    // nginx-rtmp rebuilds onMetaData from the fields it understands: those must be ours.
    const meta = values[0] as Record<string, unknown>;
    assert.deepEqual(
      [meta.width, meta.height, meta.framerate, meta.videocodecid, meta.audiocodecid],
      [streams.width, streams.height, streams.frameRate, 7, 10],
    );
    assert.deepEqual([meta.videodatarate, meta.audiodatarate], [300, 64]);
    assert.ok(seen.some((tag) => tag.type === 'video') && seen.some((tag) => tag.type === 'audio'));
  });

  // A live player of the 'enhanced' application (nginx records no Enhanced RTMP), collecting tags.
  async function livePlayer(name: string): Promise<{ player: RtmpConnection; played: Promise<FlvTag[]> }> {
    const player = await connect(nginx.url('enhanced', name), { live: true });
    const played = (async () => {
      const seen: FlvTag[] = [];
      for await (const tag of player.tags()) seen.push(tag);
      return seen;
    })();
    return { player, played };
  }

  // A MediaPublisher on `connection` that also keeps every tag it sends.
  function tappedPublisher(connection: RtmpConnection, options: MediaPublisherOptions): { publisher: MediaPublisher; sent: FlvTag[] } {
    const sent: FlvTag[] = [];
    const sink = {
      writeTags: (tags: FlvTag[]) => {
        sent.push(...tags);
        return connection.writeTags(tags);
      },
    };
    return { publisher: new MediaPublisher(sink, options), sent };
  }

  test('HEVC through Enhanced RTMP: nginx relays the tags byte for byte', async () => {
    // Debian's ffmpeg 5.1 predates Enhanced RTMP: no decoding here, only exact bytes.
    const { hevc, videoTimes } = await makeHevcStream(tmp);
    const units = splitAccessUnits(fs.readFileSync(hevc), 'hevc');
    assert.equal(units.length, videoTimes.length);
    const shift = -Math.min(0, ...videoTimes.map((t) => t.dts));

    // The configuration record is the hvcC ffmpeg writes into MP4, less its SEI array.
    const mp4 = fs.readFileSync(path.join(tmp, 'hevc.mp4'));
    const box = mp4.indexOf('hvcC');
    const hvcC = mp4.subarray(box + 4, box - 4 + mp4.readUInt32BE(box - 4));
    const packetizer = new HevcPacketizer();
    packetizer.push({ data: units[0], pts: 0 });
    const record = packetizer.decoderConfiguration as Buffer;
    assert.deepEqual(record.subarray(0, 22), hvcC.subarray(0, 22));
    assert.deepEqual(record.subarray(23), hvcC.subarray(23, record.length));
    assert.deepEqual([packetizer.sps?.width, packetizer.sps?.height], [320, 180]);

    // nginx's recorder waits for a classic keyframe too and records no HEVC: read back with
    // a live player.
    const { player, played } = await livePlayer('hevc');
    const connection = await publish(nginx.url('enhanced', 'hevc'));
    const { publisher, sent } = tappedPublisher(connection, { videoCodec: 'hevc', audio: false });
    for (const [i, unit] of units.entries()) {
      await publisher.writeVideo({ data: unit, pts: videoTimes[i].pts + shift, dts: videoTimes[i].dts + shift });
    }
    await connection.close();
    assert.equal(publisher.stats().videoFrames, units.length);
    const metadata = decodeScriptData(sent[0].data).values[0] as Record<string, unknown>;
    assert.equal(metadata.videocodecid, HVC1_CODEC_ID);
    assert.deepEqual(sent[1].data.subarray(0, 5), Buffer.from('\x90hvc1', 'latin1'), 'SequenceStart first');
    // Then CodedFrames: keyframe, FourCC, composition time pts − dts, length-prefixed NALUs.
    const compositionTime = videoTimes[0].pts - videoTimes[0].dts;
    assert.deepEqual(sent[2].data.subarray(0, 8), Buffer.concat([Buffer.from('\x91hvc1', 'latin1'), Buffer.of(0, 0, compositionTime)]));

    const recorded = await played;
    await player.close();
    const sentVideo = sent.filter((tag) => tag.type === 'video');
    const recordedVideo = recorded.filter((tag) => tag.type === 'video');
    assert.equal(recordedVideo.length, sentVideo.length);
    const relative = (tags: FlvTag[]): number[] => tags.map((tag) => tag.timestamp - tags[0].timestamp);
    assert.deepEqual(relative(recordedVideo), relative(sentVideo));
    recordedVideo.forEach((tag, i) => assert.ok(tag.data.equals(sentVideo[i].data), `video tag ${i} differs`));
  });

  test('AV1 through Enhanced RTMP: relayed byte for byte, and dav1d decodes every frame read back', async () => {
    const { obu, mp4, videoTimes } = await makeAv1Stream(tmp);
    const units = splitTemporalUnits(fs.readFileSync(obu));
    assert.equal(units.length, videoTimes.length);

    // The configuration record is the av1C ffmpeg writes into MP4.
    const file = fs.readFileSync(mp4);
    const box = file.indexOf('av1C');
    const av1C = file.subarray(box + 4, box - 4 + file.readUInt32BE(box - 4));
    const packetizer = new Av1Packetizer();
    packetizer.push({ data: units[0], pts: 0 });
    assert.deepEqual(packetizer.decoderConfiguration, av1C);
    assert.deepEqual([packetizer.sps?.width, packetizer.sps?.height], [320, 180]);

    const { player, played } = await livePlayer('av1');
    const connection = await publish(nginx.url('enhanced', 'av1'), { fourCcList: ['av01'] });
    const { publisher, sent } = tappedPublisher(connection, { videoCodec: 'av1', audio: false });
    for (const [i, unit] of units.entries()) await publisher.writeVideo({ data: unit, pts: videoTimes[i].pts });
    await connection.close();
    assert.equal(publisher.stats().videoFrames, units.length);
    const metadata = decodeScriptData(sent[0].data).values[0] as Record<string, unknown>;
    assert.equal(metadata.videocodecid, AV01_CODEC_ID);
    assert.deepEqual([metadata.width, metadata.height], [320, 180]);
    assert.deepEqual(sent[1].data.subarray(0, 5), Buffer.from('\x90av01', 'latin1'), 'SequenceStart first');
    // CodedFrames: key or inter as ffmpeg flagged the packet, then the unit less its delimiter.
    const frames = sent.filter((tag) => tag.type === 'video').slice(1);
    assert.deepEqual(
      frames.map((tag) => tag.data[0]),
      videoTimes.map((t) => (t.key ? 0x91 : 0xa1)),
    );
    frames.forEach((tag, i) => assert.ok(tag.data.subarray(5).equals(units[i].subarray(2)), `unit ${i}`));

    const recorded = (await played).filter((tag) => tag.type === 'video');
    await player.close();
    const sentVideo = sent.filter((tag) => tag.type === 'video');
    assert.equal(recorded.length, sentVideo.length);
    recorded.forEach((tag, i) => assert.ok(tag.data.equals(sentVideo[i].data), `video tag ${i} differs`));
    // What came back, as an OBU stream again (a temporal delimiter before each unit), decodes.
    const readBack = path.join(tmp, 'read-back.obu');
    const delimiter = Buffer.of(0x12, 0x00);
    fs.writeFileSync(readBack, Buffer.concat(recorded.slice(1).flatMap((tag) => [delimiter, tag.data.subarray(5)])));
    const probe = await ffprobeFrames(readBack);
    assert.equal(probe.stderr, '');
    assert.equal(probe.video?.codecName, 'av1');
    assert.equal(probe.video?.frames, units.length);
  });
});
