import { describe, expect, it } from 'vitest';
import { languageOf } from '../../renderer/panels/codeLanguage.js';
import { generateKerasFiles } from '../../shared/codegen/keras/index.js';
import { readFileSync } from 'node:fs';
import { parseProject } from '../../shared/graph/serialization.js';

function loadExample(name: string) {
  const parsed = parseProject(readFileSync(new URL(`../../examples/${name}.layerloom`, import.meta.url), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.doc;
}

describe('code panel language per file', () => {
  it('colours each file of a Keras export by what it is, not all as Python', () => {
    const files = generateKerasFiles(loadExample('mnist-cnn'));
    const langs = Object.fromEntries(files.map((f) => [f.path, languageOf(f.path, 'python')]));
    expect(langs).toEqual({
      'model.py': 'python',
      'requirements.txt': 'plaintext',
      'README.md': 'markdown',
      'k8s/tfjob.yaml': 'yaml',
      'k8s/Dockerfile': 'dockerfile',
    });
  });

  it('falls back to the export language for names without a known ending', () => {
    expect(languageOf('train.ts', 'typescript')).toBe('typescript');
    expect(languageOf('LICENSE', 'typescript')).toBe('typescript');
    expect(languageOf('.env', 'python')).toBe('python');
  });
});
