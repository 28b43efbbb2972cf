/**
 * Saves stay whole: two saves of one path at once, concurrent recent-list updates, saving through a
 * symlink, keeping the file's mode, cleaning up temp files left by a killed save, and errors that
 * name the file the user saved (not a temp file).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyDocument } from '../../shared/graph/document.js';
import { parseProject } from '../../shared/graph/serialization.js';
import { saveProjectFile, writeFileAtomic } from '../../electron/services/projectService.js';
import { MAX_RECENT, RecentService } from '../../electron/services/recentService.js';
import { RecoveryService } from '../../electron/services/recoveryService.js';
import { saveWindowState } from '../../electron/main/windowState.js';
import { readModelArtifacts, saveModel, saveOptimizer } from '../../electron/services/runsService.js';

const root = mkdtempSync(join(tmpdir(), 'layerloom-saves-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const dir = join(root, `case-${++n}`);
  mkdirSync(dir);
  return dir;
};

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  if (r.pid === undefined) throw new Error('no child pid');
  return r.pid;
}

describe('concurrent saves of one path', () => {
  it('two simultaneous saveProjectFile calls always leave one of the two documents, whole', async () => {
    const dir = fresh();
    const path = join(dir, 'p.layerloom');
    const a = emptyDocument('Version A');
    const b = emptyDocument('Version B '.repeat(200));
    const trials = 500;
    let invalid = 0;
    let rejected = 0;
    for (let i = 0; i < trials; i++) {
      const results = await Promise.allSettled([saveProjectFile(path, a), saveProjectFile(path, b)]);
      rejected += results.filter((r) => r.status === 'rejected').length;
      const parsed = parseProject(readFileSync(path, 'utf8'));
      if (!parsed.ok || (parsed.doc.name !== a.name && parsed.doc.name !== b.name)) invalid++;
    }
    expect({ invalid, rejected }).toEqual({ invalid: 0, rejected: 0 });
    // The queue runs the saves in call order, so the second one wins.
    expect(parseProject(readFileSync(path, 'utf8'))).toMatchObject({ ok: true, doc: { name: b.name } });
    expect(readdirSync(dir)).toEqual(['p.layerloom']);
  });

  it('concurrent recovery writes and window-state saves of one file stay whole', async () => {
    const dir = fresh();
    const recovery = new RecoveryService(dir);
    const stateFile = join(dir, 'window-state.json');
    let failures = 0;
    for (let i = 0; i < 100; i++) {
      const results = await Promise.allSettled([
        recovery.write({ key: 'k', path: null, doc: emptyDocument(`R${i}a`) }),
        recovery.write({ key: 'k', path: null, doc: emptyDocument(`R${i}b`) }),
        saveWindowState(stateFile, { bounds: { x: i, y: 0, width: 800, height: 600 }, maximized: false, fullScreen: false }),
        saveWindowState(stateFile, { bounds: { x: i, y: 1, width: 801, height: 601 }, maximized: true, fullScreen: false }),
      ]);
      failures += results.filter((r) => r.status === 'rejected').length;
      const list = await recovery.list();
      if (list.length !== 1 || list[0].name !== `R${i}b`) failures++;
      if ((JSON.parse(readFileSync(stateFile, 'utf8')) as { bounds: { y: number } }).bounds.y !== 1) failures++;
    }
    expect(failures).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['k.recovery.json', 'window-state.json']);
  });
});

describe('recent list', () => {
  it('30 concurrent opens keep the newest MAX_RECENT projects, none lost', async () => {
    const dir = fresh();
    const recent = new RecentService(join(dir, 'state'));
    const paths = Array.from({ length: 30 }, (_, i) => join(dir, `p${i}.layerloom`));
    for (const p of paths) writeFileSync(p, '{}');
    // The host ignores a failed recent-list update, so a failure shows only as entries lost.
    const results = await Promise.allSettled(paths.map((p, i) => recent.add(p, `P${i}`)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const list = await recent.list();
    expect(list.map((r) => r.name)).toEqual(
      paths
        .map((_, i) => `P${i}`)
        .reverse()
        .slice(0, MAX_RECENT),
    );
  });

  it('two processes adding projects at once (the desktop app and the browser host) lose no entry', async () => {
    const dir = fresh();
    const state = join(dir, 'state');
    const paths = Array.from({ length: 12 }, (_, i) => join(dir, `p${i}.layerloom`));
    for (const p of paths) writeFileSync(p, '{}');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const service = pathToFileURL(fileURLToPath(new URL('../../electron/services/recentService.ts', import.meta.url))).href;
    // Each process adds its six projects one after another, as a user opening files would; both
    // start adding at the same moment (module loading takes each a different time).
    const startAt = Date.now() + 2500;
    const child = (mine: string[]): Promise<{ code: number | null; stderr: string }> =>
      new Promise((resolve) => {
        const script = `const { RecentService } = await import(${JSON.stringify(service)});
const r = new RecentService(${JSON.stringify(state)});
await new Promise((go) => setTimeout(go, Math.max(0, ${startAt} - Date.now())));
for (const p of ${JSON.stringify(mine)}) await r.add(p, p);`;
        const c = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.on('close', (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all([child(paths.filter((_, i) => i % 2 === 0)), child(paths.filter((_, i) => i % 2 === 1))]);
    expect(results).toEqual([{ code: 0, stderr: '' }, { code: 0, stderr: '' }]);
    const list = await new RecentService(state).list();
    expect(list.map((r) => r.path).sort()).toEqual([...paths].sort());
    expect(readdirSync(state).filter((f) => f !== 'recent.json')).toEqual([]);
  }, 60_000);
});

describe('what a save keeps', () => {
  it('a save through a symlink writes the link target and keeps the link', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'real'));
    const target = join(dir, 'real', 'p.layerloom');
    await saveProjectFile(target, emptyDocument('Old'));
    const link = join(dir, 'link.layerloom');
    symlinkSync(join('real', 'p.layerloom'), link);
    await saveProjectFile(link, emptyDocument('New'));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join('real', 'p.layerloom'));
    expect(parseProject(readFileSync(target, 'utf8'))).toMatchObject({ ok: true, doc: { name: 'New' } });
    expect(readdirSync(dir).sort()).toEqual(['link.layerloom', 'real']);
  });

  it("keeps the file's mode (0600 stays 0600)", async () => {
    const dir = fresh();
    const path = join(dir, 'secret.layerloom');
    await saveProjectFile(path, emptyDocument('A'));
    chmodSync(path, 0o600);
    await saveProjectFile(path, emptyDocument('B'));
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
  });

  it('never writes into the existing file: a hard link to the old version keeps it (project, optimizer.bin)', async () => {
    const dir = fresh();
    const path = join(dir, 'p.layerloom');
    await writeFileAtomic(path, 'old contents\n');
    linkSync(path, join(dir, 'old-copy'));
    await writeFileAtomic(path, Buffer.from('new contents\n'));
    expect(readFileSync(join(dir, 'old-copy'), 'utf8')).toBe('old contents\n');
    expect(readFileSync(path, 'utf8')).toBe('new contents\n');

    // A checkpoint's optimizer state: a kill while it is written must not truncate the previous one.
    await tf.setBackend('cpu');
    const v = tf.variable(tf.ones([4]));
    const optimizer = tf.train.adam(0.1);
    optimizer.minimize(() => v.square().sum());
    writeFileSync(join(dir, 'optimizer.bin'), 'previous checkpoint');
    linkSync(join(dir, 'optimizer.bin'), join(dir, 'optimizer-old'));
    await saveOptimizer(optimizer, dir, tf);
    expect(readFileSync(join(dir, 'optimizer-old'), 'utf8')).toBe('previous checkpoint');
    expect(statSync(join(dir, 'optimizer.bin')).size).toBeGreaterThan(16);
    v.dispose();
    optimizer.dispose();
  });

  it('two checkpoints of one folder saved at once both succeed and leave one whole model', async () => {
    const dir = fresh();
    const folder = join(dir, 'best');
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4] })] });
    for (let i = 0; i < 20; i++) {
      const results = await Promise.allSettled([saveModel(model, folder, tf), saveModel(model, folder, tf)]);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    }
    expect(readdirSync(dir)).toEqual(['best']);
    expect(readdirSync(folder).sort()).toEqual(['model.json', 'weights.bin']);
    const back = await tf.loadLayersModel(tf.io.fromMemory(await readModelArtifacts(folder)));
    expect(back.getWeights().map((w) => w.shape)).toEqual([[4, 3], [3]]);
    model.dispose();
    back.dispose();
  });
});

describe('temp files left by a killed save', () => {
  it('are removed when their process is dead or they are older than 10 minutes; others stay', async () => {
    const dir = fresh();
    const path = join(dir, 'p.layerloom');
    const dead = deadPid();
    const live = process.ppid;
    const names = {
      deadPid: `.p.layerloom.${dead}.1a2b3c.tmp`,
      deadPidOldScheme: `.p.layerloom.${dead}.1764870000000.tmp`,
      livePidRecent: `.p.layerloom.${live}.4d5e6f.tmp`,
      livePidOld: `.p.layerloom.${live}.7a8b9c.tmp`,
      otherFile: `.q.layerloom.${dead}.1a2b3c.tmp`,
      userBackup: 'p.layerloom.20261204',
    };
    for (const name of Object.values(names)) writeFileSync(join(dir, name), 'half a project');
    const old = new Date(Date.now() - 11 * 60_000);
    utimesSync(join(dir, names.livePidOld), old, old);
    await saveProjectFile(path, emptyDocument('Saved'));
    expect(readdirSync(dir).sort()).toEqual([names.otherFile, names.livePidRecent, 'p.layerloom', names.userBackup].sort());
  });
});

describe('errors name the file being saved', () => {
  it('saving into a missing folder says which folder does not exist', async () => {
    const dir = fresh();
    const missing = join(dir, 'x', 'y');
    const path = join(missing, 'p.layerloom');
    const err = await saveProjectFile(path, emptyDocument('A')).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toContain(`the folder ${missing} does not exist`);
    expect(err?.message).toContain(path);
    expect(err?.message).not.toMatch(/\.tmp/);
  });

  it('saving under a file that is not a folder says so', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    const path = join(dir, 'notes.txt', 'p.layerloom');
    await expect(saveProjectFile(path, emptyDocument('A'))).rejects.toThrow(`Cannot save ${path}: ${join(dir, 'notes.txt')} is a file, not a folder`);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
  });
});
