// Source binding (localAddress) and address families (family, Happy Eyeballs), in private
// network namespaces the test builds (helpers/address-families-child.ts draws them): a host
// name whose AAAA is a black hole connects over IPv4 once the 250 ms Connection Attempt
// Delay has passed; IPv6 wins when it works; family 4/6 keep to one version; a bound source
// address on the second of two links makes the traffic leave on that link, as the server's
// peer address and the links' byte counters show. Option checks need no network.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { ErrorCodes, publish, RtmpError } from '../lib/index';
import { INGEST, LINK_A_CLIENT, LINK_B_CLIENT, NOT_HERE, type FamiliesResult, type FamiliesStep, type FamiliesStepResult } from './helpers/address-families-child';
import { runJsonChild } from './helpers/node-child';

const CHILD = path.join(__dirname, 'helpers', 'address-families-child.js');

const STEPS: FamiliesStep[] = [
  { name: 'blackholed IPv6', target: 'dual-blackholed', options: {} },
  { name: 'family 4', target: 'dual-blackholed', options: { family: 4 } },
  { name: 'family 6 into the black hole', target: 'dual-blackholed', options: { family: 6, timeout: 1500 } },
  { name: 'both work', target: 'dual-both', options: {} },
  { name: 'IPv6 refused', target: 'dual-v6-refused', options: {} },
  { name: 'no source address', target: 'ingest', options: {}, publishFixture: true },
  { name: 'bound to link B', target: 'ingest', options: { localAddress: LINK_B_CLIENT }, publishFixture: true },
  { name: 'bound to link A', target: 'ingest', options: { localAddress: LINK_A_CLIENT }, publishFixture: true },
  { name: 'bound to an address this host lacks', target: 'ingest', options: { localAddress: NOT_HERE } },
];

let results: Map<string, FamiliesStepResult>;

function step(name: string): FamiliesStepResult {
  const result = results.get(name);
  assert.ok(result, `no result for ${name}`);
  return result;
}

function connected(result: FamiliesStepResult): NonNullable<FamiliesStepResult['socketInfo']> {
  assert.equal(result.error, undefined, `${result.name}: ${result.error?.message}`);
  assert.ok(result.socketInfo, `${result.name}: socketInfo()`);
  return result.socketInfo;
}

describe('in private network namespaces', () => {
  before(async () => {
    const { result } = await runJsonChild<FamiliesResult>(CHILD, ['unshare', '--net', '--mount', '--'], STEPS, { timeoutMs: 60_000 }, 'SIGTERM', ' (in network and mount namespaces)');
    results = new Map(result.steps.map((s) => [s.name, s]));
  });

  test('Happy Eyeballs: IPv6 is tried first; when it is a black hole, IPv4 connects after the attempt delay', () => {
    const r = step('blackholed IPv6');
    const info = connected(r);
    assert.deepEqual([info.family, info.remoteAddress], [4, '127.0.0.1']);
    assert.equal(r.connectAttempts, 2, 'one attempt per family');
    // The lower bound is the RFC 8305 delay itself (IPv4 may not start sooner). The upper
    // bound is wide on purpose — a loaded CI machine — and only has to show that IPv4 did
    // not wait for the IPv6 attempt, which would never have ended before the 10 s timeout.
    assert.ok(r.connectTimeMs! >= 250, `connected after ${r.connectTimeMs} ms`);
    assert.ok(r.connectTimeMs! < 5000, `connected after ${r.connectTimeMs} ms`);
  });

  test('Happy Eyeballs: when IPv6 works it wins, and IPv4 is never started', () => {
    const r = step('both work');
    assert.deepEqual([connected(r).family, connected(r).remoteAddress], [6, '::1']);
    assert.deepEqual([r.acceptedV6, r.acceptedV4, r.connectAttempts], [1, 0, 1]);
  });

  test('Happy Eyeballs: a refused IPv6 attempt starts IPv4 at once', () => {
    const r = step('IPv6 refused');
    assert.deepEqual([connected(r).family, r.relayPeers, r.connectAttempts], [4, ['127.0.0.1'], 2]);
  });

  test('family 4 never tries IPv6; family 6 never tries IPv4', () => {
    const four = step('family 4');
    assert.deepEqual([connected(four).family, four.connectAttempts], [4, 1]);
    const six = step('family 6 into the black hole');
    assert.equal(six.error?.code, ErrorCodes.CONNECT_TIMEOUT, six.error?.message);
    assert.equal(six.connectAttempts, 1);
  });

  test('localAddress on link B: the traffic leaves on link B, the server sees that address', () => {
    const r = step('bound to link B');
    const info = connected(r);
    assert.equal(info.localAddress, LINK_B_CLIENT);
    assert.deepEqual([info.remoteAddress, r.relayPeers], [INGEST, [LINK_B_CLIENT]]);
    assert.ok(r.bytesPublished! > 100_000 && r.relayBytes >= r.bytesPublished!, `${r.relayBytes} bytes reached the server`);
    assert.ok(r.linkB.bytes >= r.relayBytes, `link B carried ${r.linkB.bytes} bytes of ${r.relayBytes}`);
    // Link A's own traffic in that time: nothing of the stream (a stray neighbour probe at most).
    assert.ok(r.linkA.bytes < 2000, `link A carried ${r.linkA.bytes} bytes`);
  });

  test('without localAddress, or bound to link A, the stream takes link A (the main route)', () => {
    for (const name of ['no source address', 'bound to link A']) {
      const r = step(name);
      assert.deepEqual([connected(r).localAddress, r.relayPeers], [LINK_A_CLIENT, [LINK_A_CLIENT]], name);
      assert.ok(r.relayBytes >= r.bytesPublished! && r.linkA.bytes >= r.relayBytes, `${name}: link A carried ${r.linkA.bytes} bytes of ${r.relayBytes}`);
      assert.ok(r.linkB.bytes < 2000, `${name}: link B carried ${r.linkB.bytes} bytes`);
    }
  });

  test('an address this host does not have is ERR_BIND_FAILED, and nothing reaches the server', () => {
    const r = step('bound to an address this host lacks');
    assert.equal(r.error?.code, ErrorCodes.BIND_FAILED);
    assert.match(r.error!.message, new RegExp(`${NOT_HERE.replace(/\./g, '\\.')}.*Cannot assign requested address`));
    assert.deepEqual([r.relayPeers, r.connectAttempts], [[], 0]);
  });
});

describe('option checks', () => {
  const bad: [string, string, object][] = [
    ['family 5', 'rtmp://127.0.0.1:1/live/x', { family: 5 }],
    ["family '4'", 'rtmp://127.0.0.1:1/live/x', { family: '4' }],
    ['a host name as localAddress', 'rtmp://127.0.0.1:1/live/x', { localAddress: 'localhost' }],
    ['localAddress of the other family than family', 'rtmp://example.test:1/live/x', { family: 4, localAddress: '::1' }],
    ['an IPv4 host with family 6', 'rtmp://127.0.0.1:1/live/x', { family: 6 }],
    ['an IPv6 host with an IPv4 localAddress', 'rtmp://[::1]:1/live/x', { localAddress: '127.0.0.1' }],
  ];
  for (const [what, url, options] of bad) {
    test(`${what}: ERR_INVALID_ARG before anything connects`, async () => {
      await assert.rejects(publish(url, options), (e: unknown) => e instanceof RtmpError && e.code === ErrorCodes.INVALID_ARG);
    });
  }
});
