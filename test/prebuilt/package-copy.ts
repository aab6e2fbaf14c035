// Installs the package as a consumer would have it, without a compiler: a throw-away project
// whose node_modules/node-librtmp holds package.json, dist/lib and prebuilds/ (no build/, so
// node-gyp-build can only find a prebuild), next to node-gyp-build, its one runtime dependency.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const PREBUILDS_DIR = path.join(REPO_ROOT, 'prebuilds');

export interface PackageCopy {
  projectDir: string;
  packageDir: string;
  remove(): void;
}

/** The prebuild file of a target (e.g. linux-arm64); fails with a hint when there is none. */
export function prebuildFile(target: string): string {
  const dir = path.join(PREBUILDS_DIR, target);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.node')) : [];
  if (files.length !== 1) {
    throw new Error(`expected one prebuild in ${dir}, found ${files.length}: run \`npm run prebuild\` first`);
  }
  return path.join(dir, files[0]);
}

export function makePackageCopy(): PackageCopy {
  const projectDir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-librtmp-prebuilt-'));
  const modules = path.join(projectDir, 'node_modules');
  const packageDir = path.join(modules, 'node-librtmp');
  fs.mkdirSync(packageDir, { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(packageDir, 'package.json'));
  for (const dir of ['dist/lib', 'prebuilds']) {
    fs.cpSync(path.join(REPO_ROOT, dir), path.join(packageDir, dir), { recursive: true });
  }
  fs.cpSync(path.join(REPO_ROOT, 'node_modules', 'node-gyp-build'), path.join(modules, 'node-gyp-build'), {
    recursive: true,
  });
  fs.writeFileSync(path.join(projectDir, 'package.json'), '{"private":true}\n');
  return { projectDir, packageDir, remove: () => fs.rmSync(projectDir, { recursive: true, force: true }) };
}
