/**
 * The file browser's folder listings (browser host): what is listed and in what order, filters,
 * links and special files, the cap on huge folders, and a named error for each bad request —
 * through the service and through the host's validating `dispatch`.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/errors.js';
import { createFolder, FOLDER_LISTING_LIMIT, listFolder } from '../../electron/services/folderService.js';
import { createHostApi } from '../../electron/server/hostApi.js';

let root: string;
let socket: Server | null = null;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'll-folders-'));
  await mkdir(join(root, 'run10'));
  await mkdir(join(root, 'run2'));
  await mkdir(join(root, '.hidden'));
  await writeFile(join(root, 'b.layerloom'), '{}');
  await writeFile(join(root, 'A.layerloom'), '{}');
  await writeFile(join(root, 'data.CSV'), 'x,y\n1,2\n');
  await writeFile(join(root, 'notes.txt'), 'hello');
  await symlink(join(root, 'run2'), join(root, 'link-to-folder'));
  await symlink(join(root, 'gone'), join(root, 'dangling'));
  await symlink(join(root, 'A.layerloom'), join(root, 'linked.layerloom'));
  // A Unix socket: neither file nor folder.
  socket = createServer();
  await new Promise<void>((ok) => socket?.listen(join(root, 'service.sock'), ok));
});

afterAll(async () => {
  await new Promise<void>((ok) => (socket ? socket.close(() => ok()) : ok()));
  await rm(root, { recursive: true, force: true });
});

const names = (l: { entries: readonly { name: string }[] }) => l.entries.map((e) => e.name);

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('expected a failure');
}

describe('listFolder', () => {
  it('lists folders first, then files, by name with numbers in order; hidden entries left out', async () => {
    const l = await listFolder(root);
    expect(names(l)).toEqual(['link-to-folder', 'run2', 'run10', 'A.layerloom', 'b.layerloom', 'dangling', 'data.CSV', 'linked.layerloom', 'notes.txt', 'service.sock']);
    expect(l.path).toBe(root);
    expect(l.parent).toBe(join(root, '..'));
    expect(l.truncated).toBe(false);
    expect(l.total).toBe(10);
    const byName = new Map(l.entries.map((e) => [e.name, e]));
    expect(byName.get('link-to-folder')?.kind).toBe('folder');
    expect(byName.get('dangling')?.kind).toBe('other');
    expect(byName.get('service.sock')?.kind).toBe('other');
    expect(byName.get('notes.txt')).toMatchObject({ kind: 'file', size: 5 });
    expect(byName.get('run2')?.modified).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('shows only matching files with a filter (case-insensitive), always the folders, never special files', async () => {
    expect(names(await listFolder(root, { extensions: ['.layerloom'] }))).toEqual(['link-to-folder', 'run2', 'run10', 'A.layerloom', 'b.layerloom', 'linked.layerloom']);
    expect(names(await listFolder(root, { extensions: ['.csv'] }))).toEqual(['link-to-folder', 'run2', 'run10', 'data.CSV']);
  });

  it('caps a huge folder at the limit, counts the rest and says it was cut', async () => {
    const big = join(root, 'run10');
    await Promise.all(Array.from({ length: FOLDER_LISTING_LIMIT + 150 }, (_, i) => writeFile(join(big, `f${i}.csv`), '')));
    const l = await listFolder(big);
    expect(l.entries).toHaveLength(FOLDER_LISTING_LIMIT);
    expect(l.total).toBe(FOLDER_LISTING_LIMIT + 150);
    expect(l.truncated).toBe(true);
    expect(l.limit).toBe(FOLDER_LISTING_LIMIT);
    const small = await listFolder(big, { limit: 10, extensions: ['.csv'] });
    expect(small.entries).toHaveLength(10);
    expect(small.truncated).toBe(true);
  });

  it('names the path and the fix for a missing folder, a file, and a relative path', async () => {
    const missing = await failure(listFolder(join(root, 'nope')));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toContain(join(root, 'nope'));
    expect(missing.message).toMatch(/does not exist/);
    const file = await failure(listFolder(join(root, 'notes.txt')));
    expect(file.code).toBe('invalid-argument');
    expect(file.message).toMatch(/is a file, not a folder/);
    const below = await failure(listFolder(join(root, 'notes.txt', 'x')));
    expect(below.message).toMatch(/is a file, not a folder|does not exist/);
    expect((await failure(listFolder('relative/path'))).message).toMatch(/must be absolute/);
  });

  it('says "permission denied" for a folder the user cannot read', async () => {
    const locked = join(root, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o700);
    try {
      if (process.getuid?.() === 0) {
        // Root reads everything: list as the unprivileged "nobody" in a child process instead.
        await chmod(root, 0o755);
        const service = fileURLToPath(new URL('../../electron/services/folderService.ts', import.meta.url));
        const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
        const script = `import(${JSON.stringify(service)}).then((m) => m.listFolder(${JSON.stringify(locked)})).then(() => console.log('LISTED'), (e) => console.log('ERROR ' + e.code + ' ' + e.message))`;
        const r = spawnSync(process.execPath, [tsx, '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, HOME: tmpdir() }, cwd: tmpdir() });
        expect(r.stdout + r.stderr).toContain(`ERROR failed Permission denied: cannot list ${locked}`);
      } else {
        await chmod(locked, 0o000);
        const e = await failure(listFolder(locked));
        expect(e.message).toContain(`Permission denied: cannot list ${locked}`);
      }
    } finally {
      await chmod(locked, 0o700);
    }
  });
});

describe('createFolder', () => {
  it('creates one folder, and refuses an existing name or a missing parent by name', async () => {
    const made = await createFolder(join(root, 'new one'));
    expect(made.path).toBe(join(root, 'new one'));
    expect(names(await listFolder(root))).toContain('new one');
    expect((await failure(createFolder(join(root, 'new one')))).message).toMatch(/already exists/);
    const orphan = await failure(createFolder(join(root, 'no', 'such', 'parent')));
    expect(orphan.code).toBe('not-found');
    expect(orphan.message).toContain(join(root, 'no', 'such'));
  });
});

describe('through the host API', () => {
  it('validates the request before the service runs', async () => {
    const host = await createHostApi({ host: 'web', stateDir: join(root, '.state') });
    const listing = (await host.dispatch('listFolder', [{ path: root, extensions: ['.layerloom'] }])) as { entries: { name: string }[] };
    expect(names(listing)).toContain('A.layerloom');
    expect(names(listing)).not.toContain('notes.txt');
    const cases: [unknown[], RegExp][] = [
      [[{ path: 'relative' }], /path must be absolute/],
      [[{ path: root, extensions: ['layerloom'] }], /extensions\[0\]: expected a file ending/],
      [[{ path: root, extensions: '.csv' }], /extensions: expected a list/],
      [[{ path: root, extensions: Array(17).fill('.csv') }], /at most 16 entries/],
      [[{ path: root, recursive: true }], /recursive: unknown field/],
      [[{ path: `${root}\0x` }], /NUL/],
    ];
    for (const [args, why] of cases) {
      const e = await failure(host.dispatch('listFolder', args));
      expect(e.code).toBe('invalid-argument');
      expect(e.message + e.details.join('\n')).toMatch(why);
    }
    const e = await failure(host.dispatch('listFolder', [{ path: join(root, 'notes.txt') }]));
    expect(e.message).toMatch(/is a file, not a folder/);
    expect((await failure(host.dispatch('createFolder', ['x']))).code).toBe('invalid-argument');
  });
});
