// Which OpenSSL line the suites run against: the default 1.1.1, or 3.5 when `npm run
// test:openssl35` sets NODE_LIBRTMP_OPENSSL=3.5 and preloads the addon built on it. The line's
// pins come from scripts/deps.json through the same module the build uses.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { opensslLine, manifestKey } = require(path.join(ROOT, 'scripts', 'lib', 'openssl-line.js')) as {
  opensslLine: (env: NodeJS.ProcessEnv) => string;
  manifestKey: (name: string, env: NodeJS.ProcessEnv) => string;
};

interface PinnedOpenssl {
  /** '1.1.1' or '3.5' */
  line: string;
  /** e.g. 1.1.1w, 3.5.7 */
  version: string;
  /** The Debian patch level suffix, e.g. deb11u8 */
  patchLevel: string;
  patches: { name: string; cves: string[] }[];
}

export const OPENSSL_LINE = opensslLine(process.env);
/** True when the suites run on OpenSSL 3.x (the engine API deprecated, providers in libssl). */
export const ON_OPENSSL_3 = OPENSSL_LINE !== '1.1.1';

export function pinnedOpenssl(): PinnedOpenssl {
  const deps = JSON.parse(fs.readFileSync(path.join(ROOT, 'scripts', 'deps.json'), 'utf8')) as Record<
    string,
    { upstreamVersion: string; patchLevel: string; patches: { name: string; cves: string[] }[] }
  >;
  const source = deps[manifestKey('openssl', process.env)];
  const debian = deps[manifestKey('openssl_debian', process.env)];
  return { line: OPENSSL_LINE, version: source.upstreamVersion, patchLevel: debian.patchLevel, patches: debian.patches };
}

/** The CVE ids of `patches`, deduplicated (versions().opensslCves's set). */
export function cveSet(patches: { cves: string[] }[]): Set<string> {
  return new Set(patches.flatMap((p) => p.cves));
}

/**
 * Node arguments that make a child load the same addon as this process (the 3.5 build's
 * preload), for children spawned with NODE_OPTIONS cleared.
 */
export function addonPreloadArgs(): string[] {
  return ON_OPENSSL_3 ? ['-r', path.join(ROOT, 'scripts', 'openssl35-addon.js')] : [];
}
