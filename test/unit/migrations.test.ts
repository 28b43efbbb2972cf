import { describe, expect, it } from 'vitest';
import { migrate, type Migration } from '../../shared/graph/migrations.js';

const steps: Migration[] = [
  { from: 1, description: 'rename title to name', up: (d) => { const { title, ...rest } = d; return { ...rest, name: title }; } },
  { from: 2, description: 'add edges list', up: (d) => ({ ...d, edges: [] }) },
];

describe('format migrations', () => {
  it('applies every step in order and stamps the version', () => {
    const r = migrate({ version: 1, title: 'Old' }, 1, 3, steps);
    expect(r).toEqual({ ok: true, value: { version: 3, name: 'Old', edges: [] } });
  });
  it('reports a missing step instead of guessing', () => {
    const r = migrate({ version: 1 }, 1, 4, steps);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/from project format version 3 to 4/);
  });
  it('reports a failing step with its description', () => {
    const bad: Migration[] = [{ from: 1, description: 'explode', up: () => { throw new Error('boom'); } }];
    const r = migrate({}, 1, 2, bad);
    expect(!r.ok && r.error).toMatch(/explode.*boom/);
  });
});
