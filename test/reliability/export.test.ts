/**
 * Exports stay whole: a real `layerloom export --force` killed with SIGKILL while it writes the
 * weights leaves the previous export as it was, a killed fresh export is reported incomplete, an
 * existing file is never written in place, a file where the export needs a folder fails before
 * anything is written, and an output folder that cannot be created fails promptly.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeProject } from '../../shared/graph/serialization.js';
import { EXPORT_MANIFEST, exportProject, inspectExport } from '../../electron/services/exportService.js';
import { graphOf } from '../unit/exportCases.js';

await tf.setBackend('cpu');
const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(repo, 'bin/layerloom.js');
const root = mkdtempSync(join(tmpdir(), 'layerloom-export-rel-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 4096 → 2048 Dense: 8.4M parameters, a 34 MB weights.npz, so a kill can land mid-write. */
const big = graphOf('Big dense', [
  { id: 'in', type: 'Input', label: 'features', params: { shape: [4096] } },
  { id: 'd', type: 'Dense', label: 'wide', params: { units: 2048 }, from: { in: 'in' } },
  { id: 'o', type: 'Output', label: 'out', from: { in: 'd' } },
]);
const small = graphOf('Small dense', [
  { id: 'in', type: 'Input', label: 'features', params: { shape: [4] } },
  { id: 'd', type: 'Dense', label: 'wide', params: { units: 3 }, from: { in: 'in' } },
  { id: 'o', type: 'Output', label: 'out', from: { in: 'd' } },
]);
const bigFile = join(root, 'big.layerloom');
writeFileSync(bigFile, serializeProject(big));
const smallFile = join(root, 'small.layerloom');
writeFileSync(smallFile, serializeProject(small));

function layerloom(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** sha256 of every file under `dir` (relative path → hash). */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}

/** Files under `dir` whose name mentions weights.npz, with their sizes. */
function npzSizes(dir: string): number[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.includes('weights.npz'))
      .map((e) => statSync(join(e.parentPath, e.name)).size);
  } catch {
    return [];
  }
}

/**
 * Runs `layerloom export` and SIGKILLs it as soon as a weights.npz (or its temp file) under `dir`
 * is partly written: bigger than 0 and smaller than `fullSize`. Resolves whether the kill landed.
 */
function exportKilledMidWrite(dir: string, fullSize: number, ...extra: string[]): Promise<{ killed: boolean; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, 'export', bigFile, '--to', 'keras', '-o', dir, ...extra], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let killed = false;
    const poll = setInterval(() => {
      if (npzSizes(dir).some((s) => s > 0 && s < fullSize)) {
        killed = child.kill('SIGKILL');
        clearInterval(poll);
      }
    }, 1);
    child.on('exit', () => {
      clearInterval(poll);
      done({ killed, out });
    });
  });
}

describe('layerloom export killed with SIGKILL mid-write', () => {
  it('--force over a previous export leaves its files intact; a killed fresh export is reported incomplete', { timeout: 60_000 }, async () => {
    const previous = join(root, 'previous');
    await exportProject({ doc: big, target: 'keras', folder: previous, tf });
    const before = hashes(previous);
    const fullSize = statSync(join(previous, 'weights.npz')).size;
    expect(fullSize).toBeGreaterThan(30e6);
    expect((await inspectExport(previous)).state).toBe('complete');

    const forced = await exportKilledMidWrite(previous, fullSize, '--force');
    expect(forced.killed, forced.out).toBe(true);
    const after = hashes(previous);
    for (const [file, hash] of Object.entries(before)) expect(after[file], file).toBe(hash);
    expect((await inspectExport(previous)).state).toBe('complete');

    const fresh = join(root, 'fresh');
    const killed = await exportKilledMidWrite(fresh, fullSize);
    expect(killed.killed, killed.out).toBe(true);
    const report = await inspectExport(fresh);
    expect(report.state).toBe('incomplete');
    expect(report.detail).toContain(`no ${EXPORT_MANIFEST}`);

    // It held only a dead export's staging folder, so exporting into it needs no --force; the
    // export says what was there, removes the leftovers, and is complete.
    const again = layerloom('export', smallFile, '--to', 'keras', '-o', fresh);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain(`holds no complete Layerloom export (there is no ${EXPORT_MANIFEST}`);
    expect(again.out).toContain(EXPORT_MANIFEST);
    expect((await inspectExport(fresh)).state).toBe('complete');
    expect(readdirSync(fresh).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('export files', () => {
  it('writes a manifest last with each file, its size and sha256; an existing file is never written in place', async () => {
    const folder = join(root, 'manifest');
    await exportProject({ doc: small, target: 'ts', folder, tf });
    const manifest = JSON.parse(readFileSync(join(folder, EXPORT_MANIFEST), 'utf8')) as { target: string; files: { path: string; size: number; sha256: string }[] };
    expect(manifest.target).toBe('ts');
    const hashed = hashes(folder);
    delete hashed[EXPORT_MANIFEST];
    expect(Object.fromEntries(manifest.files.map((f) => [f.path, f.sha256]))).toEqual(hashed);
    for (const f of manifest.files) expect(statSync(join(folder, f.path)).size).toBe(f.size);

    const weights = join(folder, 'weights', 'weights.bin');
    const old = readFileSync(weights);
    linkSync(weights, join(root, 'old-weights.bin'));
    // Another seed, so the new weights differ (the same seed would write the same bytes).
    await exportProject({ doc: small, target: 'ts', folder, tf, force: true, seed: (small.training?.seed ?? 42) + 1 });
    expect(readFileSync(join(root, 'old-weights.bin')).equals(old)).toBe(true);
    expect(readFileSync(weights).equals(old)).toBe(false);
    expect(readdirSync(folder).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('a file with the wrong size makes the export incomplete; staging folders of dead exports are removed', async () => {
    const folder = join(root, 'stale');
    await exportProject({ doc: small, target: 'keras', folder, tf });
    const npz = readFileSync(join(folder, 'weights.npz'));
    writeFileSync(join(folder, 'weights.npz'), npz.subarray(0, npz.length - 1));
    expect(await inspectExport(folder)).toMatchObject({ state: 'incomplete', detail: expect.stringContaining(`weights.npz has ${npz.length - 1} bytes, the manifest says ${npz.length}`) as unknown });

    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const deadStaging = `.layerloom-export.${dead}.abc123.tmp`;
    const liveStaging = `.layerloom-export.${process.ppid}.def456.tmp`;
    for (const name of [deadStaging, liveStaging]) {
      mkdirSync(join(folder, name));
      writeFileSync(join(folder, name, 'weights.npz'), 'half');
    }
    await exportProject({ doc: small, target: 'keras', folder, tf, force: true });
    expect((await inspectExport(folder)).state).toBe('complete');
    expect(readdirSync(folder).filter((n) => n.startsWith('.'))).toEqual([liveStaging]);
  });

  it('a file where the TypeScript export needs its weights folder fails before anything is written', async () => {
    const folder = join(root, 'blocked');
    mkdirSync(folder);
    writeFileSync(join(folder, 'weights'), 'my notes');
    await expect(exportProject({ doc: small, target: 'ts', folder, tf, force: true })).rejects.toThrow(`${join(folder, 'weights')} is a file, but the export needs a folder there`);
    expect(readdirSync(folder)).toEqual(['weights']);
    expect(readFileSync(join(folder, 'weights'), 'utf8')).toBe('my notes');
  });

  it('-o into a folder that cannot be created fails promptly with a clear message', () => {
    const started = Date.now();
    const r = layerloom('export', smallFile, '--to', 'keras', '-o', '/proc/sys/layerloom-x');
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain('Cannot create the folder /proc/sys/layerloom-x');
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
