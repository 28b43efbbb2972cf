/**
 * The `layerloom` command line: the same services as the app, headless.
 * Each command is a module exporting `(args: string[]) => Promise<number>` (the exit code),
 * loaded lazily so `layerloom validate` never pays for loading TensorFlow.
 */
type Command = { usage: string; what: string; load: () => Promise<(args: string[]) => Promise<number>> };

const COMMANDS: Record<string, Command> = {
  validate: { usage: 'validate FILE [--json] [--strict]', what: 'check a project; exit 1 on errors (--strict: on warnings too)', load: async () => (await import('./validate.js')).runValidate },
  summary: { usage: 'summary FILE', what: 'Keras-style table of layers, shapes and params', load: async () => (await import('./validate.js')).runSummary },
  train: { usage: 'train FILE [--data DIR] [--epochs N] [--batch-size N] [--out DIR] [--json]', what: 'train in a worker, save the run', load: async () => (await import('./train.js')).runTrain },
  runs: { usage: 'runs FILE [--dir DIR] [--json]', what: 'the training runs of a project, newest first', load: async () => (await import('./runs.js')).runRuns },
  doctor: { usage: 'doctor [--json] [--backend ID]', what: 'which TensorFlow backend and device will be used, and why', load: async () => (await import('./doctor.js')).runDoctor },
  import: { usage: 'import FILE [-o PROJECT] [--max-size MB] [--allow-unsupported]', what: 'open a Keras (.keras, .h5, JSON) or tfjs model as a project', load: async () => (await import('./import.js')).runImport },
  explain: {
    usage: 'explain FILE --input IMG --method gradcam|saliency|activations --out DIR',
    what: 'Grad-CAM, saliency or per-block outputs of a trained model for one input',
    load: async () => (await import('./explain.js')).runExplain,
  },
  export: { usage: 'export FILE --to keras|ts -o DIR [--weights W] [--force]', what: 'runnable Keras or TypeScript code with weights', load: async () => (await import('./export.js')).runExport },
};

/** Exit status of a usage error (unknown option, missing argument), as the commands document. */
const USAGE_ERROR = 2;

/** node:util parseArgs throws these for unknown options, missing values and stray arguments. */
function isArgumentError(e: unknown): e is Error {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function usage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  return [
    'Usage: layerloom <command> [options]',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => (c.usage.length > 40 ? `  ${c.usage}  ${c.what}` : `  ${c.usage.padEnd(Math.min(width, 40))}  ${c.what}`)),
    '',
    'Run "layerloom <command> --help" for details.',
  ].join('\n');
}

/** Runs the CLI with argv (without node and script); returns the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(pkg.version);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`layerloom: unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load())(rest);
  } catch (e) {
    if (isArgumentError(e)) {
      // Every command parses with parseArgs; a bad argument is a usage error for all of them.
      console.error(`layerloom ${name}: ${e.message}\n\nUsage: layerloom ${command.usage}\nRun "layerloom ${name} --help" for details.`);
      return USAGE_ERROR;
    }
    console.error(`layerloom ${name}: ${(e as Error).message}`);
    return 1;
  }
}
