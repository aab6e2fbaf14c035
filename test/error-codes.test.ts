// The error codes are defined twice, by necessity: native/src/status.h (what the addon sends)
// and lib/errors.ts (what JavaScript knows; an unknown native code becomes ERR_INTERNAL).
// This test reads both and fails on any difference, so a code added on one side only is
// caught here rather than by a user seeing ERR_INTERNAL.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCodes } from '../lib/errors';
import { FIXTURES_DIR } from './helpers/fixtures';

const ROOT = path.resolve(FIXTURES_DIR, '..', '..');
const NATIVE_SRC = path.join(ROOT, 'native', 'src');

// Codes only JavaScript raises (checks done in lib/ before any native call), with why.
const JS_ONLY: Record<string, string> = {
  ERR_PROFILE_VIOLATION: "a platform profile's rules (lib/media) are checked on the muxer's output",
};

function nativeCodes(): Map<string, string> {
  const header = fs.readFileSync(path.join(NATIVE_SRC, 'status.h'), 'utf8');
  const codes = new Map<string, string>();
  for (const [, name, value] of header.matchAll(/constexpr const char\* (k\w+) = "(ERR_\w+)";/g)) codes.set(value, name);
  return codes;
}

test('native/src/status.h and lib/errors.ts define the same codes', () => {
  const native = nativeCodes();
  assert.ok(native.size >= 20, `read ${native.size} codes from status.h`);
  const js = new Set<string>(Object.values(ErrorCodes));
  const missingInJs = [...native.keys()].filter((code) => !js.has(code));
  const missingInNative = [...js].filter((code) => !native.has(code) && !(code in JS_ONLY));
  assert.deepEqual(missingInJs, [], 'native codes lib/errors.ts does not know (they would arrive as ERR_INTERNAL)');
  assert.deepEqual(missingInNative, [], 'codes in lib/errors.ts missing from status.h (or add them to JS_ONLY, saying why)');
  for (const code of Object.keys(JS_ONLY)) assert.ok(js.has(code) && !native.has(code), `${code} is JS-only`);
});

test('native sources raise codes only through status.h', () => {
  const literals: string[] = [];
  for (const name of fs.readdirSync(NATIVE_SRC)) {
    if (name === 'status.h' || !/\.(cc|h)$/.test(name)) continue;
    const text = fs.readFileSync(path.join(NATIVE_SRC, name), 'utf8');
    for (const match of text.matchAll(/"ERR_\w+"/g)) literals.push(`${name}: ${match[0]}`);
  }
  assert.deepEqual(literals, []);
});
