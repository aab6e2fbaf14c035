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
