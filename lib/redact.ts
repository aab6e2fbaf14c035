// The stream key is a secret, and a message nobody can read is a defect too. URLs the
// library renders itself are built from their parsed parts with the secrets left out
// (lib/url.ts), so they never need this. What does is free text the library does not
// write: librtmp's log lines, servers' status descriptions, system messages. There a
// secret is masked only where it can be a key, so that a stream named `1` or `a` does not
// turn "127.0.0.1" into "****27.0.0.****":
//  - a secret of KEY_MIN_LENGTH characters or more (real platform keys are 20-40) wherever
//    it stands as a whole token: not glued to a letter or digit on either side;
//  - a shorter one only where a key goes: a URL path segment or query value (after `/` or
//    `=`, up to the end of the token), a quoted name ('1', "1"), or the value closing a
//    labelled line ("Playpath : 1").
// Both rules apply to the URL-encoded form of each secret as well.
import type { Redactor } from './errors';

const MASK = '****';

/** Secrets at least this long are masked as whole tokens anywhere in free text. */
export const KEY_MIN_LENGTH = 8;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Alternatives, longest first, so a secret that contains another is masked whole.
function alternatives(secrets: readonly string[]): string {
  return [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
}

// Token edges: anything but a letter or digit, or (left side) the end of a %XX escape, as
// in "live%2F<key>".
const TOKEN_START = '(?<=^|[^A-Za-z0-9]|%[0-9A-Fa-f]{2})';
const TOKEN_END = '(?![A-Za-z0-9])';
// Where a short secret can be a key, and where such a token ends.
const KEY_SLOT = '(?<=[/=]|%2[Ff]|%3[Dd])';
const SLOT_END = '(?=$|[\\s?&#/"\'`,;)\\]>]|%)';

function longPattern(secrets: readonly string[]): string {
  return `${TOKEN_START}(?:${alternatives(secrets)})${TOKEN_END}`;
}

function shortPattern(secrets: readonly string[]): string {
  const alt = `(?:${alternatives(secrets)})`;
  return [
    `${KEY_SLOT}${alt}${SLOT_END}`,
    `(?<=')${alt}(?=')`,
    `(?<=")${alt}(?=")`,
    `(?<=:[ \\t]*)${alt}(?=[ \\t]*$)`,
  ].join('|');
}

/** A redactor for these secrets (empty strings ignored); identity when there are none. */
export function makeRedactor(secrets: readonly string[]): Redactor {
  const plain = [...new Set(secrets.filter((s) => typeof s === 'string' && s.length > 0))];
  const forms = new Set<string>(plain);
  for (const secret of plain) {
    forms.add(encodeURIComponent(secret));
    forms.add(encodeURI(secret));
  }
  const all = [...forms];
  if (all.length === 0) return (text) => text;
  const long = all.filter((s) => s.length >= KEY_MIN_LENGTH);
  const short = all.filter((s) => s.length < KEY_MIN_LENGTH);
  const parts: string[] = [];
  if (long.length > 0) parts.push(longPattern(long));
  if (short.length > 0) parts.push(shortPattern(short));
  const pattern = new RegExp(parts.join('|'), 'gm');
  return (text) => (typeof text === 'string' ? text.replace(pattern, MASK) : text);
}
