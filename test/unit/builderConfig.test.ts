/**
 * Installers cannot be built here, so their configuration is checked as far as it can be without
 * building: electron-builder.yml against electron-builder's own JSON schema (with ajv, and with the
 * validator electron-builder itself runs first), a planted typo must fail both, every file the
 * config names must exist, the icons must be real images of the sizes the platforms need, and the
 * release and CI workflows must do what docs/desktop.md says they do.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import yaml from 'js-yaml';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

type Config = Record<string, unknown> & {
  appId: string;
  productName: string;
  directories: { buildResources: string; output: string };
  files: string[];
  extraResources: { from: string; to: string }[];
  asarUnpack: string[];
  fileAssociations: { ext: string; icon: string; name: string }[];
  mac: { icon: string; target: { target: string; arch: string[] }[]; hardenedRuntime: boolean; entitlements: string; entitlementsInherit: string };
  win: { icon: string; target: { target: string; arch: string[] }[] };
  linux: { icon: string; target: { target: string; arch: string[] }[] };
};

function loadConfig(): Config {
  return yaml.load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Config;
}

const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
// The options electron-builder's own validator uses (app-builder-lib/out/util/config/schemaValidator.js).
const validate = new Ajv({ allErrors: true, coerceTypes: true, strict: false }).compile(schema);

/** electron-builder's own configuration check: the first thing `electron-builder` runs. */
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
};
const quietLogger = { isEnabled: false, add: () => undefined };

function clone(c: Config): Config {
  return JSON.parse(JSON.stringify(c)) as Config;
}

describe('electron-builder.yml against electron-builder’s schema', () => {
  it('is valid for ajv with the draft-07 scheme.json', () => {
    expect(validate(loadConfig()), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('is accepted by electron-builder’s own validator', async () => {
    await expect(validateConfiguration(loadConfig(), quietLogger)).resolves.toBeUndefined();
  });

  const typos: [string, (c: Config) => void, RegExp][] = [
    ['a misspelt top-level option', (c) => ((c.asarUnpak = c.asarUnpack), delete (c as Partial<Config>).asarUnpack), /asarUnpak/],
    // For nested mistakes electron-builder names the section (`configuration.nsis`) and links its docs.
    ['a misspelt nested option', (c) => ((c.nsis as Record<string, unknown>).oneclick = false), /configuration\.nsis[\s\S]*electron\.build\/nsis/],
    ['an option in the wrong place', (c) => ((c.mac as Record<string, unknown>).oneClick = false), /configuration\.mac[\s\S]*electron\.build\/mac/],
    ['a value of the wrong type', (c) => ((c.mac as Record<string, unknown>).target = 42), /configuration\.mac/],
  ];

  it.each(typos)('fails on %s (ajv)', (_what, plant) => {
    const bad = clone(loadConfig());
    plant(bad);
    expect(validate(bad)).toBe(false);
  });

  it.each(typos)('fails on %s (electron-builder), naming it', async (_what, plant, named) => {
    const bad = clone(loadConfig());
    plant(bad);
    await expect(validateConfiguration(bad, quietLogger)).rejects.toThrow(named);
  });
});

describe('what the installers contain', () => {
  const c = loadConfig();
  const res = join(ROOT, c.directories.buildResources);

  it('names the app and claims .layerloom files with a document icon', () => {
    expect(c.appId).toBe('org.layerloom.app');
    expect(c.productName).toBe('Layerloom');
    expect(c.fileAssociations).toEqual([expect.objectContaining({ ext: 'layerloom', name: 'Layerloom Project' })]);
    const icon = c.fileAssociations[0]?.icon ?? '';
    expect(existsSync(join(res, `${icon}.icns`)) && existsSync(join(res, `${icon}.ico`))).toBe(true);
  });

  it('builds NSIS for Windows, dmg + zip for macOS and AppImage + deb + rpm for Linux, x64 and arm64', () => {
    const targets = (p: { target: { target: string; arch: string[] }[] }) => p.target.map((t) => `${t.target}:${t.arch.join('+')}`);
    expect(targets(c.win)).toEqual(['nsis:x64+arm64']);
    expect(targets(c.mac)).toEqual(['dmg:x64+arm64', 'zip:x64+arm64']);
    expect(targets(c.linux)).toEqual(['AppImage:x64+arm64', 'deb:x64+arm64', 'rpm:x64+arm64']);
  });

  it('signs macOS builds with the hardened runtime and the app’s entitlements', () => {
    expect(c.mac.hardenedRuntime).toBe(true);
    for (const p of [c.mac.entitlements, c.mac.entitlementsInherit]) {
      const plist = readFileSync(join(ROOT, p), 'utf8');
      expect(plist).toContain('com.apple.security.cs.allow-jit');
      expect(plist).not.toMatch(/com\.apple\.security\.(device|personal-information|network\.server)/);
    }
    // Credentials come from the environment only.
    expect(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')).not.toMatch(/cscLink|cscKeyPassword|appleId|password:/i);
  });

  it('packs the built app, and `main` of package.json is inside it', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('out/main/electron/main/main.js');
    expect(c.files).toEqual(expect.arrayContaining(['package.json', 'out/main/**', 'out/preload/**', 'out/renderer/**']));
    // The window icon main.ts sets on Linux.
    expect(c.files).toContain('assets/icons/png/512x512.png');
  });

  it('unpacks native modules from the asar', () => {
    for (const m of ['sharp', '@img', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) expect(c.asarUnpack).toContain(`**/node_modules/${m}/**`);
  });

  it('ships the templates and sample datasets the app reads at run time', () => {
    for (const r of c.extraResources) expect(statSync(join(ROOT, r.from)).isDirectory()).toBe(true);
    expect(c.extraResources.map((r) => r.to)).toEqual(['examples', 'assets/datasets']);
    expect(readdirSync(join(ROOT, 'examples')).some((f) => f.endsWith('.layerloom'))).toBe(true);
  });
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(buf: Buffer): { width: number; height: number } {
  expect(buf.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

describe('icons', () => {
  const dir = join(ROOT, 'assets', 'icons');

  it('has an SVG source and the script that renders it', () => {
    expect(readFileSync(join(dir, 'icon.svg'), 'utf8')).toMatch(/^<svg [^>]*viewBox="0 0 1024 1024"/);
    expect(existsSync(join(ROOT, 'scripts', 'makeIcons.ts'))).toBe(true);
  });

  it('has every PNG size from 16 to 1024', () => {
    for (const n of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      expect(pngSize(readFileSync(join(dir, 'png', `${n}x${n}.png`)))).toEqual({ width: n, height: n });
    }
  });

  it.each(['icon.ico', 'document.ico'])('%s holds 16…256 px images', (name) => {
    const ico = readFileSync(join(dir, name));
    expect(ico.readUInt16LE(2)).toBe(1);
    const count = ico.readUInt16LE(4);
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const e = 6 + 16 * i;
      const size = ico.readUInt8(e) || 256;
      const length = ico.readUInt32LE(e + 8);
      const offset = ico.readUInt32LE(e + 12);
      expect(pngSize(ico.subarray(offset, offset + length))).toEqual({ width: size, height: size });
      sizes.push(size);
    }
    expect(sizes).toEqual(expect.arrayContaining([16, 32, 48, 256]));
  });

  it.each(['icon.icns', 'document.icns'])('%s holds the macOS sizes up to 1024 px', (name) => {
    const icns = readFileSync(join(dir, name));
    expect(icns.toString('ascii', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const types = new Map<string, number>();
    for (let at = 8; at < icns.length; ) {
      const type = icns.toString('ascii', at, at + 4);
      const length = icns.readUInt32BE(at + 4);
      types.set(type, pngSize(icns.subarray(at + 8, at + length)).width);
      at += length;
    }
    expect(types.get('ic10')).toBe(1024);
    expect(types.get('ic09')).toBe(512);
    expect(types.get('ic07')).toBe(128);
    expect(types.get('icp4')).toBe(16);
  });
});

describe('npm install scripts', () => {
  it('approves esbuild, never the libtensorflow downloads; Electron’s download runs from the root postinstall, which tolerates failure', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean>; scripts: Record<string, string> };
    expect(pkg.allowScripts).toMatchObject({ electron: false, esbuild: true, '@tensorflow/tfjs-node': false, '@tensorflow/tfjs-node-gpu': false });
    expect(pkg.scripts.postinstall).toBe('node scripts/postinstall.mjs');
  });
});

describe('workflows', () => {
  type Step = { name?: string; run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, unknown> };
  type Job = { 'runs-on': string; if?: string; needs?: string | string[]; strategy?: { matrix: { include: Record<string, string>[] } }; steps: Step[] };
  type Workflow = { on: Record<string, unknown>; jobs: Record<string, Job> };
  const load = (name: string) => yaml.load(readFileSync(join(ROOT, '.github', 'workflows', name), 'utf8')) as Workflow;
  const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');

  it('CI runs the tests on pull requests', () => {
    const ci = load('ci.yml');
    expect(Object.keys(ci.on)).toContain('pull_request');
    expect(Object.values(ci.jobs).some((j) => /npm ci/.test(runs(j)) && /npm test/.test(runs(j)))).toBe(true);
  });

  it('CI checks the built main process before npm test, and runs the desktop journey in its own job (not in npm test)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).not.toMatch(/e2e:electron|e2e-electron/);
    const ci = load('ci.yml') as Workflow & { jobs: Record<string, Job & { env?: Record<string, string> }> };
    const tests = Object.values(ci.jobs).find((j) => /npm test/.test(runs(j)));
    if (!tests) throw new Error('no npm test job');
    const script = runs(tests);
    expect(script.indexOf('npm run native:link')).toBeLessThan(script.indexOf('npm run smoke:main'));
    expect(script.indexOf('npm run smoke:main')).toBeLessThan(script.indexOf('npm test'));
    const desktop = Object.values(ci.jobs).filter((j) => /npm run test:e2e:electron/.test(runs(j)));
    expect(desktop).toHaveLength(1);
    expect(desktop[0]).not.toBe(tests);
    // The journey needs the Electron binary: its job must not skip the download.
    expect(desktop[0]?.env?.ELECTRON_SKIP_BINARY_DOWNLOAD).toBeUndefined();
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/npm run smoke:main/);
  });

  it('release builds on Linux, macOS and Windows, tests first, never publishes from electron-builder, uploads artifacts', () => {
    const release = load('release.yml');
    const build = Object.values(release.jobs).find((j) => j.strategy);
    if (!build) throw new Error('no matrix job');
    const oses = build.strategy?.matrix.include.map((m) => m.os) ?? [];
    for (const os of ['ubuntu', 'macos', 'windows']) expect(oses.some((o) => o.startsWith(os))).toBe(true);
    const script = runs(build);
    expect(script.indexOf('npm ci')).toBeLessThan(script.indexOf('npm test'));
    expect(script.indexOf('npm test')).toBeLessThan(script.indexOf('electron-builder'));
    expect(script).toMatch(/electron-builder[^\n]*--publish never/);
    expect(build.steps.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
  });

  it('publishes a GitHub release only for tags', () => {
    const release = load('release.yml');
    expect(JSON.stringify(release.on)).toMatch(/tags/);
    const publish = Object.values(release.jobs).find((j) => /gh release/.test(runs(j)));
    expect(publish?.if).toMatch(/startsWith\(github\.ref, 'refs\/tags\/'\)/);
  });
});
