// ESLint flat config: typescript-eslint's recommended rules for the TypeScript in lib/ and
// test/, ESLint's recommended rules for the plain CommonJS scripts.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node's globals, listed here rather than taken from another package.
const nodeGlobals = Object.fromEntries(
  [
    '__dirname',
    '__filename',
    'AbortController',
    'AbortSignal',
    'atob',
    'Blob',
    'BroadcastChannel',
    'btoa',
    'Buffer',
    'clearImmediate',
    'clearInterval',
    'clearTimeout',
    'console',
    'crypto',
    'DOMException',
    'Event',
    'EventTarget',
    'exports',
    'fetch',
    'FormData',
    'global',
    'globalThis',
    'Headers',
    'MessageChannel',
    'module',
    'performance',
    'process',
    'queueMicrotask',
    'Request',
    'require',
    'Response',
    'setImmediate',
    'setInterval',
    'setTimeout',
    'structuredClone',
    'TextDecoder',
    'TextEncoder',
    'URL',
    'URLSearchParams',
    'WebAssembly',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'build/', 'build-fuzz/', 'prebuilds/', '.cache/', 'bench/out/'] },
  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'commonjs', globals: nodeGlobals },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
  },
  {
    files: ['lib/**/*.ts', 'test/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { globals: nodeGlobals },
  },
);
