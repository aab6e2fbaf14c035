'use strict';
// Preloaded (node -r) by scripts/with-asan.sh: makes node-gyp-build hand out the sanitizer
// build of the addon (build-asan/Release, `npm run build:asan`) instead of build/Release.
const path = require('node:path');

const addon = path.resolve(__dirname, '..', 'build-asan', 'Release', 'node_librtmp.node');
const gypBuild = require.resolve('node-gyp-build');
const loader = (dir) => {
  void dir;
  return require(addon);
};
loader.path = () => addon;
require.cache[gypBuild] = { id: gypBuild, filename: gypBuild, loaded: true, exports: loader };
