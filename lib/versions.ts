// What the addon is built from: one home for versions() and `librtmp info`.
import { binding, type Versions } from './native';

function byYearAndNumber(id: string): number[] {
  return id.split('-').slice(1).map(Number);
}

/** Versions of what is compiled into the addon (not of Node's own OpenSSL), with its OpenSSL patch level. */
export function versions(): Versions {
  const v = binding.versions();
  const opensslPatches = v.opensslPatches.map((p) => ({ name: p.name, cves: p.cves.split(' ').filter(Boolean) }));
  const opensslCves = [...new Set(opensslPatches.flatMap((p) => p.cves))].sort((a, b) => {
    const [ya, na] = byYearAndNumber(a);
    const [yb, nb] = byYearAndNumber(b);
    return ya! - yb! || na! - nb!;
  });
  return { ...v, opensslPatches, opensslCves };
}
