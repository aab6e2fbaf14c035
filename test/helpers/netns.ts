// Private network namespaces for peers that insist on a fixed port (rtmpsuck binds
// 0.0.0.0:1935): a Node child runs in a namespace of its own (`unshare --net`, as root),
// brings its loopback up, starts the peers it needs and prints one JSON line, like
// runNodeChild(). Nothing it binds is visible outside, and it all goes with the child.
import { spawnSync } from 'node:child_process';
import { runJsonChild, type NodeChildOptions, type NodeChildResult } from './node-child';

/** `unshare --net -- node <script> <JSON of input>`; rejects if it fails or prints no JSON. */
export function runNodeChildInNetns<T>(script: string, input: unknown, options: NodeChildOptions = {}): Promise<NodeChildResult<T>> {
  // SIGTERM at the timeout: the child's exit handlers stop the peers it started.
  return runJsonChild<T>(script, ['unshare', '--net', '--'], input, options, 'SIGTERM', ' (in a network namespace)');
}

/** Inside the namespace: `ip link set lo up` (a new namespace's loopback is down). */
export function bringLoopbackUp(): void {
  const r = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`ip link set lo up failed: ${r.error?.message ?? r.stderr} (needs root and iproute2)`);
  }
}

function runOrThrow(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/**
 * Inside the namespace (Linux 4.15+): TCP buffers of a few tens of KB. On the host's
 * loopback the kernel holds megabytes between a sender and a slow reader, and a slow link
 * would show up only after many seconds.
 */
export function smallTcpBuffers(): void {
  runOrThrow('sysctl', ['-w', 'net.ipv4.tcp_rmem=4096 16384 65536', 'net.ipv4.tcp_wmem=4096 16384 65536']);
}

/**
 * Inside the namespace: everything on the loopback from now on leaves at `rate` (tc's
 * syntax, e.g. '256kbit') through a token bucket. The MTU comes down to Ethernet's so that
 * the bucket meters packets of 1.5 KB, not the loopback's 64 KB; the queue holds 3 s at the
 * rate, so that with smallTcpBuffers() TCP meets delay rather than losses, whose
 * retransmission timeouts would stall the link for seconds instead of letting it trickle.
 */
export function shapeLoopback(rate: string): void {
  runOrThrow('ip', ['link', 'set', 'lo', 'mtu', '1500']);
  runOrThrow('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', rate, 'burst', '3000', 'latency', '3s']);
}

/** Inside the namespace, after shapeLoopback(): bytes the shaper has let through so far. */
export function shapedBytes(): number {
  const match = /Sent (\d+) bytes/.exec(runOrThrow('tc', ['-s', 'qdisc', 'show', 'dev', 'lo']));
  if (!match) throw new Error('tc -s qdisc show dev lo: no byte count');
  return Number(match[1]);
}
