/**
 * The `layerloom` command line: the same services as the app, headless.
 * Each command is a module exporting `(args: string[]) => Promise<number>` (the exit code),
 * loaded lazily so `layerloom validate` never pays for loading TensorFlow.
 */
type Command = { summary: string; load: () => Promise<(args: string[]) => Promise<number>> };

const COMMANDS: Record<string, Command> = {
  validate: { summary: 'validate FILE [--json] [--strict]  check a project; exit 1 on errors (--strict: on warnings too)', load: async () => (await import('./validate.js')).runValidate },
  summary: { summary: 'summary FILE                  Keras-style table of layers, shapes and params', load: async () => (await import('./validate.js')).runSummary },
  train: { summary: 'train FILE [--data DIR] [--epochs N] [--batch-size N] [--out DIR] [--json]  train in a worker, save the run', load: async () => (await import('./train.js')).runTrain },
  doctor: { summary: 'doctor [--json]               which TensorFlow backend and device will be used, and why', load: async () => (await import('./doctor.js')).runDoctor },
  export: { summary: 'export FILE --to keras|ts -o DIR [--weights W] [--force]  runnable Keras or TypeScript code with weights', load: async () => (await import('./export.js')).runExport },
};

function usage(): string {
  return [
    'Usage: layerloom <command> [options]',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.summary}`),
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
    console.error(`layerloom ${name}: ${(e as Error).message}`);
    return 1;
  }
}
