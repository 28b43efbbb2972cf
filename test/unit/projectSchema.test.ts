import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parseProject, serializeProject } from '../../shared/graph/serialization.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/project-format.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(schema);
const dir = new URL('../../examples/', import.meta.url);

describe('documented JSON Schema agrees with the loader', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.layerloom'))) {
    it(`${file} satisfies docs/project-format.schema.json and loads`, () => {
      const text = readFileSync(new URL(file, dir), 'utf8');
      expect(validate(JSON.parse(text)), JSON.stringify(validate.errors)).toBe(true);
      const parsed = parseProject(text);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(validate(JSON.parse(serializeProject(parsed.doc)))).toBe(true);
    });
  }
  it('the schema rejects what the loader rejects structurally', () => {
    const text = readFileSync(new URL('mlp.layerloom', dir), 'utf8');
    const raw = JSON.parse(text);
    raw.edges[0].sourcePort = 'side';
    expect(validate(raw)).toBe(false);
    expect(parseProject(JSON.stringify(raw)).ok).toBe(false);
  });
});
