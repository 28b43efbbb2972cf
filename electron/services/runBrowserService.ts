/**
 * The runs browser's side of run folders: open one run (any run folder, also on its own, without
 * its project) with its evaluation and the graph it trained, and give a run a name and a note.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseProject } from '../../shared/graph/serialization.js';
import type { Evaluation } from '../../shared/training/evaluation.js';
import type { RunDetails, RunSummary } from '../../shared/training/protocol.js';
import { readRun, writeJson } from './runsService.js';

/** A run folder that cannot be opened or changed; the message says why and what to do. */
export class RunFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunFolderError';
  }
}

/** Reads a run folder: its summary and history, final evaluation, and the graph it trained. */
export async function openRunFolder(dir: string): Promise<RunDetails> {
  const abs = resolve(dir);
  const run = await readRun(abs);
  if (!run) throw new RunFolderError(`${abs} is not a run folder: it has no readable run.json. Open a folder under runs/ beside a project (runs/<time>/).`);
  const evaluation = await readFile(join(abs, 'evaluation.json'), 'utf8').then(
    (t) => JSON.parse(t) as Evaluation,
    () => null,
  );
  const graphText = await readFile(join(abs, 'graph.layerloom'), 'utf8').catch(() => null);
  const parsed = graphText === null ? null : parseProject(graphText);
  return {
    run,
    evaluation,
    graph: parsed?.ok ? parsed.doc : null,
    ...(parsed && !parsed.ok ? { graphProblem: `graph.layerloom cannot be read: ${parsed.errors[0] ?? 'unknown problem'}` } : graphText === null ? { graphProblem: 'the run folder has no graph.layerloom' } : {}),
  };
}

/** Longest run name and note accepted (the API validates the same bounds). */
const RUN_NAME_MAX = 120;
const RUN_NOTE_MAX = 4000;

/**
 * Names or annotates a run (an empty text removes the name or note). Refused while the run is
 * training: its process rewrites run.json at every epoch.
 */
export async function labelRun(dir: string, change: { readonly name?: string; readonly note?: string }): Promise<RunSummary> {
  const abs = resolve(dir);
  const run = await readRun(abs);
  if (!run) throw new RunFolderError(`${abs} is not a run folder: it has no readable run.json.`);
  if (run.status === 'running') throw new RunFolderError(`Run ${run.id} is still training; name or annotate it once it has ended.`);
  const raw = JSON.parse(await readFile(join(abs, 'run.json'), 'utf8')) as Record<string, unknown>;
  for (const key of ['name', 'note'] as const) {
    const value = change[key];
    if (value === undefined) continue;
    const text = value.trim();
    const max = key === 'name' ? RUN_NAME_MAX : RUN_NOTE_MAX;
    if (text.length > max) throw new RunFolderError(`A run ${key} can be at most ${max} characters; this one has ${text.length}.`);
    if (text) raw[key] = text;
    else delete raw[key];
  }
  await writeJson(join(abs, 'run.json'), raw);
  const updated = await readRun(abs);
  if (!updated) throw new RunFolderError(`${abs}: run.json could not be read back after writing it.`);
  return updated;
}
