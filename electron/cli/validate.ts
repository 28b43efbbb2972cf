/**
 * `layerloom validate` and `layerloom summary`.
 */
import { parseArgs } from 'node:util';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { buildSummary, renderSummary } from '../../shared/analysis/summary.js';
import { loadProjectFile, ProjectFileError } from '../services/projectService.js';

async function load(file: string | undefined, command: string): Promise<Awaited<ReturnType<typeof loadProjectFile>> | number> {
  if (!file) {
    console.error(`Usage: layerloom ${command} FILE.layerloom`);
    return 2;
  }
  try {
    return await loadProjectFile(file);
  } catch (e) {
    if (e instanceof ProjectFileError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

/** `layerloom validate FILE [--json]`: exit 0 when valid (warnings allowed), 1 with errors. */
export async function runValidate(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, strict: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    console.log('Usage: layerloom validate FILE [--json] [--strict]\nChecks shapes, connections and parameters. Exit code 0: valid; 1: errors found (or unreadable file).\n--strict: warnings count as errors.');
    return 0;
  }
  const loaded = await load(positionals[0], 'validate');
  if (typeof loaded === 'number') {
    if (values.json && loaded === 1) console.log(JSON.stringify({ file: positionals[0], valid: false, loadError: true, diagnostics: [] }));
    return loaded;
  }
  const { doc } = loaded;
  const analysis = analyzeGraph(doc);
  const labels = new Map(doc.nodes.map((n) => [n.id, n.label]));
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          file: positionals[0],
          valid: analysis.valid,
          totalParams: analysis.totals.trainable + analysis.totals.nonTrainable,
          diagnostics: analysis.diagnostics.map((d) => ({ ...d, nodeLabel: d.nodeId ? labels.get(d.nodeId) : undefined })),
        },
        null,
        2,
      ),
    );
  } else {
    for (const d of analysis.diagnostics) {
      const where = d.nodeId ? ` ${labels.get(d.nodeId)}${d.param ? `.${d.param}` : ''}` : '';
      console.log(`${d.severity === 'error' ? 'error' : 'warning'} ${d.code}${where}: ${d.message}`);
    }
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = analysis.diagnostics.length - errors;
    console.log(analysis.valid ? `${positionals[0]}: valid${warnings ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}` : `${positionals[0]}: ${errors} error${errors > 1 ? 's' : ''}, ${warnings} warning${warnings === 1 ? '' : 's'}`);
  }
  const failed = !analysis.valid || (values.strict === true && analysis.diagnostics.length > 0);
  return failed ? 1 : 0;
}

/** `layerloom summary FILE`: the Keras-style table. Exit 1 when the graph has errors (listed). */
export async function runSummary(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    console.log('Usage: layerloom summary FILE\nPrints layers, output shapes and parameter counts as Keras’s model.summary() does.');
    return 0;
  }
  const loaded = await load(positionals[0], 'summary');
  if (typeof loaded === 'number') return loaded;
  const analysis = analyzeGraph(loaded.doc);
  console.log(renderSummary(buildSummary(loaded.doc, analysis)));
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    console.error(`\n${errors.length} error(s); shapes after them are unknown (?). Run "layerloom validate" for details.`);
    return 1;
  }
  return 0;
}
