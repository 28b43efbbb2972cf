import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DIAGNOSTICS, isDiagnosticCode } from '../../shared/analysis/diagnostics.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/layerloom.js', import.meta.url));
const brokenDir = fileURLToPath(new URL('../fixtures/broken/', import.meta.url));

function layerloom(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('layerloom CLI', () => {
  it('summary of the mnist example ends with the Keras totals', () => {
    const out = execFileSync(process.execPath, [bin, 'summary', 'examples/mnist-cnn.layerloom'], { cwd: root, encoding: 'utf8' });
    const lines = out.trimEnd().split('\n').map((l) => l.trim());
    expect(lines.slice(-4)).toEqual(['Total params: 93,322', 'Trainable params: 93,322', 'Non-trainable params: 0', 'Total MACs: 2,794,240']);
    expect(out).toContain('conv2d (Conv2D)');
    expect(out).toContain('(None, 26, 26, 32)');
  });

  it('summary of the text LSTM example gives 710,858', () => {
    const { code, out } = layerloom('summary', 'examples/text-lstm.layerloom');
    expect(code).toBe(0);
    expect(out).toContain('Total params: 710,858');
  });

  it('validate exits 0 on every example', () => {
    for (const f of readdirSync(`${root}/examples`).filter((f) => f.endsWith('.layerloom'))) {
      const { code, out } = layerloom('validate', `examples/${f}`);
      expect([f, code, out]).toEqual([f, 0, expect.stringContaining('valid')]);
    }
  });

  it('unknown command and missing file fail with a message', () => {
    const a = layerloom('frobnicate');
    expect(a.code).toBe(2);
    expect(a.err).toContain('unknown command');
    const b = layerloom('validate', 'nope.layerloom');
    expect(b.code).toBe(1);
    expect(b.err).toContain('does not exist');
  });

  const fixtures = readdirSync(brokenDir).filter((f) => f.endsWith('.layerloom')).sort();
  it('has a broken fixture for every diagnostic code a file can raise', () => {
    const covered = new Set(fixtures.map((f) => f.slice(0, 5)));
    // LL014 (output vs loss) needs a dataset; it is covered by the training tests.
    const missing = Object.keys(DIAGNOSTICS).filter((c) => !covered.has(c) && c !== 'LL014');
    expect(missing).toEqual([]);
  });

  for (const file of fixtures) {
    const code = file.slice(0, 5);
    it(`validate ${file} names ${code} and exits 1${isDiagnosticCode(code) && DIAGNOSTICS[code].severity === 'warning' ? ' with --strict' : ''}`, () => {
      const warningOnly = isDiagnosticCode(code) && DIAGNOSTICS[code].severity === 'warning';
      const r = layerloom('validate', `${brokenDir}${file}`, '--json', ...(warningOnly ? ['--strict'] : []));
      expect(r.code).toBe(1);
      const report = JSON.parse(r.out) as { diagnostics: { code: string; message: string }[] };
      expect(report.diagnostics.map((d) => d.code)).toContain(code);
      if (warningOnly) expect(layerloom('validate', `${brokenDir}${file}`).code).toBe(0);
    });
  }
});
