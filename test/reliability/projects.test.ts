/**
 * Project files with bad or unusual input: what a user, another tool or a damaged disk can put in a
 * `.layerloom` file. Each case is read the way the app and the CLI read it (real files on disk,
 * the real `layerloom` command), and must give a clear error naming the field, or load and re-save
 * without losing anything.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { parseProject, serializeProject } from '../../shared/graph/serialization.js';
import { loadProjectFile } from '../../electron/services/projectService.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/layerloom.js');
const mnistText = readFileSync(join(root, 'examples/mnist-cnn.layerloom'), 'utf8');
type RawProject = { [key: string]: unknown; nodes: Record<string, unknown>[]; edges: Record<string, unknown>[] };
const mnist = (): RawProject => JSON.parse(mnistText) as RawProject;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'layerloom-projects-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function layerloom(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function errorsOf(text: string): readonly string[] {
  const r = parseProject(text);
  return r.ok ? [] : r.errors;
}

/** A chain Input → Conv1D (c1) → Flatten → Dense → Output, as a file would hold it. */
function conv1dProject(kernel: unknown): RawProject {
  const node = (id: string, type: string, params: Record<string, unknown> = {}) => ({ id, type, label: id, params, position: { x: 0, y: 0 } });
  const edge = (id: string, source: string, target: string) => ({ id, source, sourcePort: 'out', target, targetPort: 'in' });
  return {
    format: 'layerloom-project',
    version: 1,
    name: 'conv1d',
    nodes: [node('in', 'Input', { shape: [32, 4] }), node('c1', 'Conv1D', { filters: 8, kernel_size: kernel }), node('f', 'Flatten'), node('d', 'Dense', { units: 2 }), node('out', 'Output')],
    edges: [edge('e0', 'in', 'c1'), edge('e1', 'c1', 'f'), edge('e2', 'f', 'd'), edge('e3', 'd', 'out')],
    dataset: null,
    training: null,
  };
}

describe('project files: unusual but valid input loads', () => {
  it('a UTF-8 byte order mark at the start of the file is accepted', async () => {
    const file = join(work, 'bom.layerloom');
    writeFileSync(file, '\ufeff' + mnistText, 'utf8');
    const { doc } = await loadProjectFile(file);
    expect(doc.nodes).toHaveLength(10);
    expect(layerloom('validate', file)).toMatchObject({ code: 0, out: expect.stringContaining('valid') });
  });

  it('unknown keys (top level, nodes, edges, dataset, training) survive a re-save, after the known keys', async () => {
    const raw = mnist();
    raw.comment = { by: 'another tool', tags: ['a', 'b'] };
    raw.nodes[1].note = 'wide kernel';
    raw.edges[0].color = '#f00';
    (raw.dataset as Record<string, unknown>).license = 'CC0';
    (raw.training as Record<string, unknown>).warmupEpochs = 2;
    // A "__proto__" key in the file must stay a plain key, not change any object's prototype.
    const text = JSON.stringify(raw, null, 2).replace('"comment":', '"__proto__": { "polluted": true }, "comment":');
    const parsed = parseProject(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const saved = serializeProject(parsed.doc);
    const back = JSON.parse(saved) as RawProject;
    expect(back.comment).toEqual({ by: 'another tool', tags: ['a', 'b'] });
    expect(back.nodes[1].note).toBe('wide kernel');
    expect(back.edges[0].color).toBe('#f00');
    expect((back.dataset as Record<string, unknown>).license).toBe('CC0');
    expect((back.training as Record<string, unknown>).warmupEpochs).toBe(2);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Known keys first, in the fixed order; unknown ones after them.
    expect(Object.keys(back)).toEqual(['format', 'version', 'name', 'nodes', 'edges', 'dataset', 'training', '__proto__', 'comment']);
    expect(Object.keys(back.nodes[1])).toEqual(['id', 'type', 'label', 'params', 'position', 'note']);
    expect(Object.keys(back.edges[0])).toEqual(['id', 'source', 'sourcePort', 'target', 'targetPort', 'color']);
    // Deterministic: a second round trip gives the same bytes.
    const again = parseProject(saved);
    expect(again.ok && serializeProject(again.doc)).toBe(saved);
    // The unchanged example still saves byte for byte as before.
    const plain = parseProject(mnistText);
    expect(plain.ok && serializeProject(plain.doc)).toBe(mnistText);
  });
});

describe('project files: bad input gives one clear error naming the field', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('100,000-deep nesting is refused with the field named, not a stack overflow', () => {
    const text = JSON.stringify(mnist());
    const cases: [string, string, string][] = [
      ['a parameter', text.replace('"filters":32', `"filters":${deep(100_000)}`), 'nodes[1].params.filters: nested more than'],
      ['the name', text.replace(/"name":"[^"]*"/, `"name":${deep(100_000)}`), 'name'],
      ['a position', text.replace(/"position":\{[^}]*\}/, `"position":${deep(100_000)}`), 'nodes[0].position'],
      ['an unknown key', text.replace('"name":', `"deep":${deep(100_000)},"name":`), 'deep'],
      ['nested objects', text.replace('"name":', `"deep":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)},"name":`), 'deep.a.a.a'],
    ];
    for (const [what, bad, field] of cases) {
      let errors: readonly string[] = [];
      expect(() => (errors = errorsOf(bad)), what).not.toThrow();
      expect(errors, what).toHaveLength(1);
      expect(errors[0], what).toMatch(/nested more than \d+ levels deep/);
      expect(errors[0].startsWith(field), `${what}: ${errors[0]}`).toBe(true);
    }
  });

  it('a number beyond the double range (1e400) says "too large" and names the field', () => {
    const errors = errorsOf(mnistText.replace('"filters": 32', '"filters": 1e400'));
    expect(errors).toEqual([expect.stringMatching(/^nodes\[1\]\.params\.filters: the number is too large/)]);
    // The first "x" of the file is the first block's position (the example's layout may move it).
    const negative = errorsOf(mnistText.replace(/"x": -?[\d.]+/, '"x": -1e400'));
    expect(negative).toEqual([expect.stringMatching(/^nodes\[0\]\.position\.x: the number is too large/)]);
  });

  it('duplicate edge ids are an error naming both edges', () => {
    const raw = mnist();
    raw.edges[4].id = raw.edges[1].id;
    const errors = errorsOf(JSON.stringify(raw));
    expect(errors).toEqual([`edges[4].id: "${String(raw.edges[1].id)}" is also the id of edges[1]; edge ids must be unique (rename one of them)`]);
  });

  it('one bad parameter gives one error: the node is kept, its edges are not called dangling', () => {
    // ([5] is no bad value: Keras writes Conv1D sizes as one-element lists, and they load as 5.)
    const texts = ['five', [5, 5], null].map((bad) => JSON.stringify(conv1dProject(bad)));
    texts.push(JSON.stringify(conv1dProject(3)).replace('"kernel_size":3', '"kernel_size":1e400'));
    for (const text of texts) {
      const errors = errorsOf(text);
      expect(errors, text).toHaveLength(1);
      expect(errors[0], text).toMatch(/^nodes\[1\]\.params\.kernel_size: /);
    }
    // The same through the CLI: one error line, no "no node has id".
    const file = join(work, 'conv1d.layerloom');
    writeFileSync(file, JSON.stringify(conv1dProject([5, 5])));
    const r = layerloom('validate', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('nodes[1].params.kernel_size');
    expect(r.err).not.toContain('no node has id');
  });

  it('a wrong-length list on a 2-D layer is reported once, on that parameter', () => {
    const raw = mnist();
    (raw.nodes[1].params as Record<string, unknown>).kernel_size = [5];
    const parsed = parseProject(JSON.stringify(raw));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const errors = analyzeGraph(parsed.doc).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.nodeId, d.param])).toEqual([['conv1', 'kernel_size']]);
  });

  it('a folder or a FIFO named as the project gives a message, not EISDIR or a hang', () => {
    const dir = join(work, 'folder.layerloom');
    mkdirSync(dir, { recursive: true });
    for (const command of ['validate', 'summary', 'train']) {
      const r = layerloom(command, dir);
      expect(r.code, command).toBe(1);
      expect(r.err, command).toContain('is a folder, not a project file');
      expect(r.err, command).not.toContain('EISDIR');
    }
    const fifo = join(work, 'pipe.layerloom');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.status === 0) {
      const r = layerloom('validate', fifo);
      expect(r.code).toBe(1);
      expect(r.err).toContain('is not a regular file');
    }
  });
});

describe('the CLI: usage errors', () => {
  it('an unknown option exits 2 (usage error) with the usage line, for every command', () => {
    const file = join(root, 'examples/mlp.layerloom');
    const cases: [string, string[]][] = [
      ['validate', [file, '--jsno']],
      ['summary', [file, '--json']],
      ['train', [file, '--epoch', '3']],
      ['doctor', ['--verbose']],
      ['doctor', ['extra-argument']],
      ['export', [file, '--to', 'keras', '-o', join(work, 'never'), '--wieghts', 'x']],
    ];
    for (const [command, args] of cases) {
      const r = layerloom(command, ...args);
      expect([command, ...args, r.code]).toEqual([command, ...args, 2]);
      expect(r.err, `${command} ${args.join(' ')}`).toContain(`Usage: layerloom ${command}`);
      expect(r.err, `${command} ${args.join(' ')}`).toMatch(/Unknown option|Unexpected argument/);
    }
  });
});
