/**
 * `layerloom doctor [--json] [--backend ID]`: which TensorFlow.js backend and device training will
 * use here, and why each better backend was not used.
 */
import { parseArgs } from 'node:util';
import type { BackendReport } from '../../shared/api/backend.js';
import { BackendUnavailableError, describeDevice, loadBestBackend, type LoadBackendOptions } from '../services/backendService.js';

const HELP = `Usage: layerloom doctor [--json] [--backend auto|native-gpu|native|wasm|cpu]

Loads the best TensorFlow.js backend available here (native GPU, native CPU, wasm, pure JS),
runs one small operation on it and reports the backend, TensorFlow version and device, and why
each better backend was not used.
  --json      print the report as JSON
  --backend   check one backend only (exit 1 when it does not load)
Exit code: 0 when a backend loads, 1 when the requested one cannot.`;

/** The readable form of a report. */
export function formatReport(r: BackendReport): string {
  const lines = [
    `Backend:     ${r.backend} (${r.id}, ${r.package})${r.forced ? ' [forced]' : ''}`,
    `TensorFlow:  ${r.tfVersion ?? '- (not a native backend)'}${r.linkedTo ? `, linked against ${r.linkedTo}` : ''}`,
    `Device:      ${describeDevice(r.device)}`,
    `tfjs:        ${r.tfjsVersion}`,
    `Speed:       ${r.fast ? 'good for training' : 'slow or incomplete for training (see below)'}`,
  ];
  if (r.wasmKernels) {
    const { registered, fallbacks } = r.wasmKernels;
    const shown = fallbacks.slice(0, 12).join(', ') + (fallbacks.length > 12 ? `, … (${fallbacks.length - 12} more; --json lists all)` : '');
    lines.push(`wasm kernels: ${registered.length} added (${registered.join(', ')})`);
    if (fallbacks.length) lines.push(`             ${fallbacks.length} on the cpu fallback: ${shown}`);
  }
  lines.push('', 'Tried, best first:');
  for (const a of r.attempts) lines.push(`  ${a.ok ? '✓' : '✗'} ${a.backend.padEnd(10)} ${a.reason}`);
  if (r.notes.length) lines.push('', 'Notes:', ...r.notes.map((n) => `  - ${n}`));
  return lines.join('\n');
}

/** Runs the doctor; returns the exit code. */
export async function runDoctor(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  // Unknown names are refused by the service with the list of valid ones.
  const backend = values.backend as LoadBackendOptions['backend'];
  try {
    const { tf, report } = await loadBestBackend({ backend });
    // Prove the backend computes, not just loads.
    const sum = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).sum().dataSync()[0]);
    if (sum !== 12) throw new Error(`the ${report.backend} backend computed ${sum} for a 2×3·3×2 ones product (expected 12)`);
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  } catch (e) {
    if (e instanceof BackendUnavailableError) {
      if (values.json) console.log(JSON.stringify({ error: e.message, attempts: e.attempts }, null, 2));
      else console.error(e.message);
      return 1;
    }
    throw e;
  }
}
