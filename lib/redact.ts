// The stream key is a secret: one redactor per connection scrubs it (and query tokens) from
// everything the library emits, including text that servers send back.
import type { Redactor } from './errors';

const MASK = '****';

export function makeRedactor(secrets: readonly string[]): Redactor {
  // Longest first, so a secret that contains another is masked whole. Short strings are
  // still masked: a key is a key, however short.
  const list = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  const encoded = list.map((s) => encodeURIComponent(s)).filter((s) => !list.includes(s));
  const all = [...list, ...encoded];
  if (all.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of all) out = out.split(secret).join(MASK);
    return out;
  };
}
