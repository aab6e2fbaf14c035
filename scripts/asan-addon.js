'use strict';
// Preloaded (node -r) by scripts/with-asan.sh: makes node-gyp-build hand out the sanitizer
// build of the addon (build-asan/Release, `npm run build:asan`) instead of build/Release.
const path = require('node:path');
const { preloadAddon } = require('./lib/preload-addon');

preloadAddon(path.resolve(__dirname, '..', 'build-asan', 'Release', 'node_librtmp.node'));
