'use strict';
// Builds bench/stock-publisher.c against librtmp as shipped: the same fetched rtmpdump source
// the addon uses, with only the two OpenSSL 1.1 API ports (0001, 0002; the 2015 source does
// not compile against OpenSSL 1.1 without them) and none of node-librtmp's behaviour changes
// (0003 onwards). Linked with the addon's cached static OpenSSL 1.1.1w. Cached in bench/out/.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { buildOpenssl } = require('../../scripts/lib/build-openssl');
const { resolveCacheDir } = require('../../scripts/lib/cache-dir');
const { fetchSources } = require('../../scripts/lib/fetch-source');
const { shortHash } = require('../../scripts/lib/hashing');
const { prepareLibrtmp } = require('../../scripts/lib/prepare-librtmp');
const { run } = require('../../scripts/lib/run');
const { hostTargetName, resolveTarget } = require('../../scripts/lib/targets');

const REPO = path.resolve(__dirname, '..', '..');
const PUBLISHER_SOURCE = path.join(REPO, 'bench', 'stock-publisher.c');
/** The patches that only port librtmp to the OpenSSL 1.1 API. */
const PORTING_PATCHES = ['0001-dh-openssl-1.1-accessors.patch', '0002-hmac-ctx-openssl-1.1.patch'];
const LIBRTMP_FILES = ['rtmp.c', 'log.c', 'amf.c', 'hashswf.c', 'parseurl.c'];

// A patches folder holding only the porting patches, for prepareLibrtmp.
function portingPatchesDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'librtmp-bench-patches-'));
  for (const name of PORTING_PATCHES) {
    fs.copyFileSync(path.join(REPO, 'native', 'patches', name), path.join(dir, name));
  }
  return dir;
}

/** Returns the path of the stock-librtmp publisher, building it when needed. */
async function stockPublisher(outDir) {
  const cacheDir = resolveCacheDir();
  const sources = await fetchSources(['librtmp', 'openssl'], { cacheDir });
  const patchesDir = portingPatchesDir();
  let librtmp;
  try {
    librtmp = await prepareLibrtmp(sources.get('librtmp'), { cacheDir, patchesDir });
  } finally {
    fs.rmSync(patchesDir, { recursive: true, force: true });
  }
  const openssl = await buildOpenssl(sources.get('openssl'), resolveTarget(hostTargetName()), { cacheDir });

  const key = shortHash([librtmp.librtmpDir, openssl.prefix, fs.readFileSync(PUBLISHER_SOURCE)]);
  const binary = path.join(outDir, `stock-publisher-${key}`);
  if (fs.existsSync(binary)) return binary;

  fs.mkdirSync(outDir, { recursive: true });
  const temp = `${binary}.tmp-${process.pid}`;
  // What librtmp's Makefile passes for CRYPTO=OPENSSL, at its -O2.
  await run('cc', [
    '-O2',
    '-DUSE_OPENSSL',
    '-DRTMPDUMP_VERSION="v2.4"',
    '-w',
    `-I${path.dirname(librtmp.librtmpDir)}`,
    `-I${openssl.includeDir}`,
    '-o',
    temp,
    PUBLISHER_SOURCE,
    ...LIBRTMP_FILES.map((f) => path.join(librtmp.librtmpDir, f)),
    path.join(openssl.libDir, 'libssl.a'),
    path.join(openssl.libDir, 'libcrypto.a'),
    '-lz',
    '-ldl',
    '-pthread',
  ]);
  fs.renameSync(temp, binary);
  return binary;
}

module.exports = { stockPublisher };
