/**
 * `layerloom runs FILE [--dir DIR] [--json]`: the training runs of a project, newest first — the
 * runs browser's list, headless. Each run's id, status, epochs, best epoch and final metrics, and
 * the folder to pass to `export --run` or `train --resume`.
 */
import { parseArgs } from 'node:util';
import { basename, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { listRuns } from '../services/runsService.js';

const HELP = `Usage: layerloom runs FILE.layerloom [--dir DIR] [--json]
Lists the training runs of a project, newest first: id, status, epochs done of asked,
best epoch, final metrics, and the run folder (for export --run DIR or train --resume DIR).
  --dir DIR   the folder holding run folders (default: the runs/ folder beside the project;
              the same as train --out)
  --json      one JSON array with each run's summary (no history)
Exit code 0, also when there are no runs; 1 when FILE does not exist.`;

function metrics(m: Readonly<Record<string, number>>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(' · ');
}

/** Runs the command; returns the exit code. */
export async function runRuns(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { dir: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const file = positionals[0];
  if (!file) {
    console.error(HELP);
    return 2;
  }
  const project = resolve(file);
  if (!(await stat(project).then((s) => s.isFile(), () => false))) {
    console.error(`${file}: no such project file.`);
    return 1;
  }
  // A folder given by --dir may hold other projects' runs too: keep this project's, as the default does.
  const runs = values.dir ? (await listRuns({ runsDir: resolve(values.dir) })).filter((r) => !r.projectFile || basename(r.projectFile) === basename(project)) : await listRuns(project);
  if (values.json) {
    console.log(JSON.stringify(runs.map(({ history: _history, ...rest }) => rest), null, 2));
    return 0;
  }
  if (runs.length === 0) {
    console.log(`No runs for ${file} yet. Train it with: layerloom train ${file}`);
    return 0;
  }
  for (const r of runs) {
    const title = r.name ? ` "${r.name}"` : '';
    const best = r.bestEpoch !== undefined ? ` · best epoch ${r.bestEpoch}${r.monitor ? ` by ${r.monitor}` : ''}` : '';
    const resumable = r.status === 'interrupted' ? (r.resumable ? ' · resumable' : ' · no checkpoint to resume from') : '';
    console.log(`${r.id}${title}  ${r.status}  ${r.epochsCompleted}/${r.epochs} epochs${best}${resumable}`);
    const m = metrics(r.finalMetrics ?? {});
    if (m) console.log(`  ${m}`);
    if (r.error) console.log(`  ${r.error.code}: ${r.error.message}`);
    console.log(`  ${r.dir}`);
  }
  return 0;
}
