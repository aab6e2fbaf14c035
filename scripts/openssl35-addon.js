'use strict';
// Preloaded (node -r) by scripts/test-openssl35.js: makes node-gyp-build hand out the addon
// built on OpenSSL 3.5 (build-ossl35/Release, NODE_LIBRTMP_OPENSSL=3.5) instead of build/Release.
const path = require('node:path');
const { preloadAddon } = require('./lib/preload-addon');

preloadAddon(path.resolve(__dirname, '..', 'build-ossl35', 'Release', 'node_librtmp.node'));
