/**
 * Which Monaco language colours a generated file. An export holds more than its main program
 * (README.md, requirements.txt, k8s/tfjob.yaml, k8s/Dockerfile, package.json), and colouring those
 * as Python or TypeScript shows them as full of errors.
 */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  py: 'python',
  ts: 'typescript',
  js: 'javascript',
  json: 'json',
  md: 'markdown',
  yaml: 'yaml',
  yml: 'yaml',
  sh: 'shell',
  txt: 'plaintext',
};

/** The Monaco language id for a generated file's path; `fallback` (the export's main language) for an unknown ending. */
export function languageOf(path: string, fallback: string): string {
  const name = path.split('/').pop() ?? path;
  if (name === 'Dockerfile' || name.endsWith('.Dockerfile')) return 'dockerfile';
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return fallback;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? fallback;
}
