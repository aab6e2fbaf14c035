'use strict';
// For preloads (node -r): makes node-gyp-build hand out the addon file `addon` instead of
// build/Release's, in this process and (through NODE_OPTIONS) in the children it spawns.

function preloadAddon(addon) {
  const gypBuild = require.resolve('node-gyp-build');
  const loader = (dir) => {
    void dir;
    return require(addon);
  };
  loader.path = () => addon;
  require.cache[gypBuild] = { id: gypBuild, filename: gypBuild, loaded: true, exports: loader };
}

module.exports = { preloadAddon };
