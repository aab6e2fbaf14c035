// `npm run test:prebuilds`, part 1: each prebuild runs on its own architecture's Node — the
// official ARM builds of every tested line under qemu-user (arm64: Node 22 and 24; armv7:
// 20.11.0, the only one on npm), the host's Node and the official x64 builds of Node 22, 24
// and 26 for x64 (target-node.ts, NODE_LINES) — loaded from prebuilds/ with no build/ folder,
// reports OpenSSL 1.1.1w, and publishes the fixture to the host's nginx over RTMP and over
// verified RTMPS while reading it back. ffprobe on the host checks the recordings.
// Not part of `npm test`: it needs `npm run prebuild` first, and emulation takes minutes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeTestPki, type TestPki } from '../helpers/certs';
import { trackChild } from '../helpers/children';
import { AV_FLV, avFacts } from '../helpers/fixtures';
import { ffprobeFrames } from '../helpers/media';
import { startNginx, type NginxServer } from '../helpers/nginx';
import type { ClientInput, ClientReport } from './emulated-client';
import { makePackageCopy, prebuildFile, type PackageCopy } from './package-copy';
import { NODE_LINES, TARGET_ARCH, nodeLine, targetNodeCommand } from './target-node';

const TARGETS = ['linux-arm64', 'linux-arm', 'linux-x64'];
const CLIENT = path.join(__dirname, 'emulated-client.js');
const CLIENT_TIMEOUT_MS = 300_000;

let pki: TestPki;
let nginx: NginxServer;
let copy: PackageCopy;

before(async () => {
  pki = await makeTestPki();
  nginx = await startNginx({ record: true, tls: { cert: pki.server.certPath, key: pki.server.keyPath } });
  copy = makePackageCopy();
});

after(async () => {
  await nginx?.stop();
  copy?.remove();
  pki?.remove();
});

interface ClientRun {
  report: ClientReport;
  stderr: string;
}

async function runClient(target: string, npmPackage: string | undefined, input: ClientInput, signal: AbortSignal): Promise<ClientRun> {
  const [command, ...args] = targetNodeCommand(target, npmPackage);
  const child = spawn(command, [...args, CLIENT, JSON.stringify(input)], {
    cwd: copy.projectDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child, { signal });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), CLIENT_TIMEOUT_MS);
  type Exit = [number | null, NodeJS.Signals | null];
  const [code, killedBy] = await new Promise<Exit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  assert.equal(code, 0, `${target} client exited with ${code ?? killedBy}:\n${stderr}`);
  const lastLine = stdout.trim().split('\n').pop() ?? '';
  return { report: JSON.parse(lastLine) as ClientReport, stderr };
}

// Each target on each of its official Node builds; x64 on the host's Node as well.
const RUNS = TARGETS.flatMap((target) => [
  ...(target === 'linux-x64' ? [{ target, npmPackage: undefined }] : []),
  ...NODE_LINES[target].map((npmPackage) => ({ target, npmPackage })),
]);

for (const { target, npmPackage } of RUNS) {
  const node = npmPackage ? `Node ${nodeLine(npmPackage)} (${npmPackage})` : `the host's Node ${process.version}`;
  const title = `${target} prebuild on ${node}: loads without build/, OpenSSL 1.1.1w, RTMP and RTMPS`;
  test(title, { timeout: CLIENT_TIMEOUT_MS + 60_000 }, async (t) => {
    // prebuilds/<target>/<name>.node, as it must be found in the installed copy.
    const expectedFile = path.join('prebuilds', target, path.basename(prebuildFile(target)));
    const run = `${target}-${npmPackage ? nodeLine(npmPackage) : 'host'}`;
    const names = { rtmp: `${run}-rtmp`, rtmps: `${run}-rtmps` };
    const tlsSessionsBefore = nginx.tlsLog().length;
    const input: ClientInput = {
      packageDir: copy.packageDir,
      fixture: AV_FLV,
      caFile: pki.ca.certPath,
      streams: (['rtmp', 'rtmps'] as const).map((scheme) => ({
        scheme,
        publishUrl: nginx.url('live', names[scheme], scheme, scheme === 'rtmps' ? 'localhost' : undefined),
        playUrl: nginx.url('live', names[scheme], scheme, scheme === 'rtmps' ? 'localhost' : undefined),
      })),
    };
    const started = Date.now();
    const { report } = await runClient(target, npmPackage, input, t.signal);
    t.diagnostic(`${target}: client ran in ${((Date.now() - started) / 1000).toFixed(1)} s on Node ${report.node}`);

    assert.equal(report.arch, TARGET_ARCH[target]);
    if (npmPackage) assert.equal(report.node, `v${npmPackage.split('@')[1]}`, 'ran on the Node build asked for');
    assert.equal(report.bindingPath, path.join(copy.packageDir, expectedFile), 'node-gyp-build chose the prebuild');
    assert.match(report.openssl, /^OpenSSL 1\.1\.1w /);

    const fixtureTags = avFacts.video.frames + avFacts.audio.frames;
    for (const stream of report.streams) {
      assert.ok(stream.tagsWritten >= fixtureTags, `${stream.scheme}: wrote ${stream.tagsWritten} tags`);
      // A live player that falls behind loses frames (nginx drops them): some of each must arrive.
      const { tagsRead } = stream;
      assert.ok(tagsRead.video > 0 && tagsRead.audio > 0, `${stream.scheme}: read ${JSON.stringify(tagsRead)}`);
      t.diagnostic(`${target} ${stream.scheme}: wrote ${stream.tagsWritten} tags, read ${JSON.stringify(tagsRead)}`);
      const recording = await nginx.waitForRecording(names[stream.scheme as 'rtmp' | 'rtmps'], 30_000);
      const probe = await ffprobeFrames(recording);
      assert.equal(probe.video?.codecName, avFacts.video.codec);
      assert.equal(probe.video?.frames, avFacts.video.frames, `${stream.scheme}: video frames recorded`);
      assert.equal(probe.audio?.codecName, avFacts.audio.codec);
      assert.equal(probe.audio?.frames, avFacts.audio.frames, `${stream.scheme}: audio frames recorded`);
    }
    const [plain, secure] = report.streams;
    assert.equal(plain.tls, null);
    assert.ok(secure.tls?.authorized, 'RTMPS: the certificate was verified against the test CA');
    // Publisher and player went through the TLS front.
    const sessions = (await nginx.waitForTlsLog(tlsSessionsBefore + 2, 30_000)).slice(tlsSessionsBefore);
    const proxied = sessions.every((s) => s.protocol === secure.tls?.protocol && s.status === 200);
    assert.ok(proxied, JSON.stringify(sessions));
  });
}
