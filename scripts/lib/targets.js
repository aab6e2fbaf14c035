'use strict';

// Build targets of the addon and how OpenSSL is configured for each.

const { DepsError } = require('./errors');

const TARGETS = {
  'linux-x64': {
    configureTarget: 'linux-x86_64',
    triple: 'x86_64-linux-gnu',
    nodeArch: 'x64',
    cflags: [],
  },
  'linux-arm64': {
    configureTarget: 'linux-aarch64',
    triple: 'aarch64-linux-gnu',
    nodeArch: 'arm64',
    cflags: [],
  },
  // ARMv7 with VFPv3-D16 and the hard-float ABI: the common denominator of camera SoCs that run
  // armhf Linux (NEON is not assumed; OpenSSL detects it at run time).
  'linux-arm': {
    configureTarget: 'linux-armv4',
    triple: 'arm-linux-gnueabihf',
    nodeArch: 'arm',
    cflags: ['-march=armv7-a', '-mfpu=vfpv3-d16', '-mfloat-abi=hard'],
  },
};

function hostTargetName() {
  const match = Object.entries(TARGETS).find(([, t]) => t.nodeArch === process.arch);
  return process.platform === 'linux' && match ? match[0] : null;
}

function splitFlags(text) {
  return (text || '').split(/\s+/).filter(Boolean);
}

/**
 * The target with everything the environment adds: the cross-compile prefix (none when the
 * target is the host; NODE_LIBRTMP_CROSS_PREFIX overrides it, e.g. for a vendor toolchain),
 * NODE_LIBRTMP_TARGET_CFLAGS and NODE_LIBRTMP_SYSROOT.
 */
function resolveTarget(name, env = process.env) {
  const target = TARGETS[name];
  if (!target) {
    throw new DepsError(`unknown target "${name}" (known: ${Object.keys(TARGETS).join(', ')})`);
  }
  const isHost = name === hostTargetName();
  const crossPrefix =
    env.NODE_LIBRTMP_CROSS_PREFIX !== undefined
      ? env.NODE_LIBRTMP_CROSS_PREFIX
      : isHost
        ? ''
        : `${target.triple}-`;
  const extraCflags = splitFlags(env.NODE_LIBRTMP_TARGET_CFLAGS);
  if (env.NODE_LIBRTMP_SYSROOT) extraCflags.push(`--sysroot=${env.NODE_LIBRTMP_SYSROOT}`);
  return { name, ...target, crossPrefix, extraCflags };
}

module.exports = { TARGETS, resolveTarget, hostTargetName };
