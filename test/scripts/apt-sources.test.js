'use strict';

const assert = require('node:assert/strict');
const test = require('node:test');
const {
  deriveSourceEntries,
  formatSourcesList,
  guessHostCodename,
  parseDeb822Sources,
  parseOneLineList,
  swapCodename,
} = require('../../scripts/lib/apt-sources');

test('one-line entries keep URI, suite, components and signed-by; comments are ignored', () => {
  const entries = parseOneLineList(
    [
      '# deb http://example.invalid/debian bookworm main',
      'deb [ arch=amd64 signed-by=/k/a.gpg ] http://mirror.invalid/debian bookworm main contrib',
      'deb-src http://mirror.invalid/debian bookworm main # trailing comment',
      'deb http://mirror.invalid/debian-security bookworm-security main',
      'rubbish line',
    ].join('\n'),
    'x.list',
  );
  assert.equal(entries.length, 3);
  assert.deepEqual(entries[0], {
    type: 'deb',
    uri: 'http://mirror.invalid/debian',
    suite: 'bookworm',
    components: ['main', 'contrib'],
    signedBy: { paths: ['/k/a.gpg'] },
    trusted: null,
    file: 'x.list',
  });
  assert.equal(entries[1].type, 'deb-src');
  assert.deepEqual(entries[1].components, ['main']);
});

test('deb822 paragraphs expand URIs x suites, skip Enabled: no, and keep embedded keys', () => {
  const text = [
    'Types: deb',
    '# comment inside a paragraph',
    'URIs: http://a.invalid/debian http://b.invalid/debian',
    'Suites: bookworm bookworm-updates',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    '',
    'Types: deb',
    'URIs: http://off.invalid/debian',
    'Suites: bookworm',
    'Components: main',
    'Enabled: no',
    '',
    'Types: deb',
    'URIs: http://inline.invalid/repo',
    'Suites: stable',
    'Components: main',
    'Signed-By:',
    ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
    ' .',
    ' AAAA',
    ' -----END PGP PUBLIC KEY BLOCK-----',
  ].join('\n');
  const entries = parseDeb822Sources(text, 'y.sources');
  assert.equal(entries.length, 5);
  assert.deepEqual(
    entries.slice(0, 4).map((e) => `${e.uri} ${e.suite}`),
    [
      'http://a.invalid/debian bookworm',
      'http://a.invalid/debian bookworm-updates',
      'http://b.invalid/debian bookworm',
      'http://b.invalid/debian bookworm-updates',
    ],
  );
  assert.equal(
    entries[4].signedBy.inlineKey,
    '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n',
  );
});

test('codename swap covers the plain, -updates, -security and /updates suite forms', () => {
  assert.equal(swapCodename('bookworm', 'bookworm', 'bullseye'), 'bullseye');
  assert.equal(swapCodename('bookworm-updates', 'bookworm', 'bullseye'), 'bullseye-updates');
  assert.equal(swapCodename('bookworm-security', 'bookworm', 'bullseye'), 'bullseye-security');
  assert.equal(swapCodename('bookworm/updates', 'bookworm', 'bullseye'), 'bullseye/updates');
  assert.equal(swapCodename('nodistro', 'bookworm', 'bullseye'), null);
  assert.equal(swapCodename('bookwormish', 'bookworm', 'bullseye'), null);
});

test('host codename comes from os-release, else from the most common suite', () => {
  const entries = parseOneLineList(
    'deb http://m.invalid/d trixie main\ndeb http://m.invalid/d trixie-updates main',
  );
  assert.equal(guessHostCodename(entries, 'ID=debian\nVERSION_CODENAME=bookworm\n'), 'bookworm');
  assert.equal(guessHostCodename(entries, ''), 'trixie');
});

test('derived deb-src lines cover own and swapped suites, deduplicated', () => {
  const entries = parseOneLineList(
    [
      'deb [signed-by=/k.gpg] http://m.invalid/debian bookworm main',
      'deb-src [signed-by=/k.gpg] http://m.invalid/debian bookworm main',
      'deb [signed-by=/k.gpg] http://m.invalid/debian-security bookworm-security main',
      'deb cdrom:[Debian]/ bookworm main',
    ].join('\n'),
  );
  const derived = deriveSourceEntries(entries, {
    hostCodename: 'bookworm',
    wantedCodenames: ['bookworm', 'bullseye'],
  });
  assert.equal(
    formatSourcesList(derived, () => assert.fail('no inline keys here')),
    [
      'deb-src [signed-by=/k.gpg] http://m.invalid/debian bookworm main',
      'deb-src [signed-by=/k.gpg] http://m.invalid/debian bullseye main',
      'deb-src [signed-by=/k.gpg] http://m.invalid/debian-security bookworm-security main',
      'deb-src [signed-by=/k.gpg] http://m.invalid/debian-security bullseye-security main',
      '',
    ].join('\n'),
  );
});

test('embedded keys are written once and referenced by path', () => {
  const entries = parseDeb822Sources(
    'Types: deb\nURIs: http://i.invalid/r\nSuites: bookworm bookworm-updates\nComponents: main\n' +
      'Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n K\n' +
      ' -----END PGP PUBLIC KEY BLOCK-----\n',
  );
  const written = [];
  const text = formatSourcesList(
    deriveSourceEntries(entries, { hostCodename: 'bookworm', wantedCodenames: [] }),
    (key) => {
      written.push(key);
      return '/tmp/key-1.asc';
    },
  );
  assert.equal(written.length, 1);
  assert.ok(text.includes('deb-src [signed-by=/tmp/key-1.asc] http://i.invalid/r bookworm main\n'));
  assert.match(text, /bookworm-updates main$/m);
});
