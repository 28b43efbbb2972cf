/**
 * `layerloom doctor [--json] [--backend ID]`: which TensorFlow.js backend and device training will
 * use here, and why each better backend was not used.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BackendReport } from '../../shared/api/backend.js';
import { parseProject } from '../../shared/graph/serialization.js';
import { kerasVersionProblem, type KerasVersions } from '../../shared/training/kerasVersions.js';
import { BackendUnavailableError, describeDevice, loadBestBackend, type LoadBackendOptions } from '../services/backendService.js';
import { checkPythonInterpreter, measureEngines, probeKey, readProbe, resolvePython, savePythonSetting, type EngineProbe } from '../services/engineService.js';
import { describeKeras, probeKeras } from '../services/training/keras/engine.js';

const HELP = `Usage: layerloom doctor [--json] [--backend auto|native-gpu|native|wasm|cpu] [--probe]
                        [--python PATH] [--set-python PATH]

Loads the best TensorFlow.js backend available here (native GPU, native CPU, wasm, pure JS),
runs one small operation on it and reports the backend, TensorFlow version and device, and why
each better backend was not used. Then lists the training engines: tfjs, and Keras (the Python
interpreter, its TensorFlow and Keras versions, the devices TensorFlow sees, CUDA/cuDNN), with
the samples/s each trained at in the last probe on this machine and these versions.
  --json             print the report as JSON
  --backend          check one backend only (exit 1 when it does not load)
  --probe            measure both engines now (the mnist example on the bundled digits, two
                     short epochs each) and cache the figures for \`train --engine auto\`
  --python PATH      the Keras engine's interpreter to check (default: the setting)
  --set-python PATH  check PATH and save it as the Keras engine's interpreter ("" removes it)
Exit code: 0 when a backend loads, 1 when the requested one cannot.`;

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Installed package versions, read without loading them. */
function packageVersion(name: string): string | null {
  try {
    const path = createRequire(import.meta.url).resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

/** Keras/TensorFlow versions from package metadata (fast: TensorFlow is not imported), or null. */
function installedKeras(python: string): Pick<KerasVersions, 'tensorflow' | 'keras'> | null {
  const code = `import importlib.metadata as m, json
def v(*names):
    for n in names:
        try:
            return m.version(n)
        except Exception:
            pass
print(json.dumps({"keras": v("keras"), "tensorflow": v("tensorflow", "tensorflow-cpu", "tensorflow-macos")}))`;
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 30_000 });
  const last = r.stdout?.trim().split('\n').pop() ?? '';
  return r.status === 0 && last.startsWith('{') ? (JSON.parse(last) as Pick<KerasVersions, 'tensorflow' | 'keras'>) : null;
}

/** The probe cache key for this machine, these tfjs packages and `python`'s Keras. */
export async function currentProbeKey(python: string): Promise<string> {
  const tfjs = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs'].map((n) => `${n}@${packageVersion(n) ?? '-'}`).join(',');
  return probeKey(tfjs, installedKeras(python));
}

function formatProbe(probe: EngineProbe | null): string[] {
  if (!probe) return ['  (not measured on this machine with these versions: run `layerloom doctor --probe`)'];
  const lines = [`  Probe of ${probe.at}:`];
  for (const engine of ['tfjs', 'keras'] as const) {
    const rate = probe.samplesPerSecond[engine];
    lines.push(`    ${engine.padEnd(6)} ${rate !== undefined ? `${Math.round(rate)} samples/s` : `could not run: ${probe.problems[engine] ?? '-'}`}`);
  }
  return lines;
}

/** The engines part of the doctor's report. */
async function engineReport(python: string, report: BackendReport | null, probe: boolean): Promise<{ text: string; json: Record<string, unknown> }> {
  let keras: KerasVersions | null = null;
  let kerasProblem: string | null;
  try {
    keras = await probeKeras(python);
    kerasProblem = kerasVersionProblem(keras);
  } catch (e) {
    kerasProblem = (e as Error).message;
  }
  const key = await currentProbeKey(python);
  let measured = await readProbe(key);
  if (probe) {
    const parsed = parseProject(readFileSync(join(root, 'examples/mnist-cnn.layerloom'), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    console.error('Probing the engines (two short epochs of the mnist example on each)…');
    measured = await measureEngines({ key, doc: parsed.doc, datasetPath: join(root, 'assets/datasets/digits'), python });
  }
  const lines = ['', 'Training engines:'];
  lines.push(`  tfjs   ${report ? `${report.backend}${report.tfVersion ? ` (TensorFlow ${report.tfVersion})` : ''} on ${describeDevice(report.device)}` : 'no backend loads'} [default]`);
  if (keras && !kerasProblem) {
    const gpu = keras.cuda ? `, CUDA ${keras.cuda}, cuDNN ${keras.cudnn ?? '-'}` : '';
    lines.push(`  keras  ${describeKeras(keras)}${gpu} — Python ${python}`);
  } else lines.push(`  keras  not available: ${kerasProblem}`);
  lines.push(...formatProbe(measured));
  return { text: lines.join('\n'), json: { python, keras, kerasProblem, probe: measured } };
}

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
  const { values } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, backend: { type: 'string' }, probe: { type: 'boolean' }, python: { type: 'string' }, 'set-python': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values['set-python'] !== undefined) {
    const path = values['set-python'];
    if (path) {
      // Only an interpreter that can run the engine is saved.
      try {
        // The same check as the app's interpreter setting.
        const found = await checkPythonInterpreter(path);
        console.log(`Saved: the Keras engine runs ${path} (${describeKeras(found)}).`);
      } catch (e) {
        console.error(`Not saved: ${(e as Error).message}`);
        return 1;
      }
    } else console.log('Removed the Python interpreter setting.');
    await savePythonSetting(path);
    return 0;
  }
  const python = await resolvePython(values.python);
  // Unknown names are refused by the service with the list of valid ones.
  const backend = values.backend as LoadBackendOptions['backend'];
  try {
    const { tf, report } = await loadBestBackend({ backend });
    // Prove the backend computes, not just loads.
    const sum = tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).sum().dataSync()[0]);
    if (sum !== 12) throw new Error(`the ${report.backend} backend computed ${sum} for a 2×3·3×2 ones product (expected 12)`);
    const engines = await engineReport(python, report, values.probe === true);
    console.log(values.json ? JSON.stringify({ ...report, engines: engines.json }, null, 2) : `${formatReport(report)}\n${engines.text}`);
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
