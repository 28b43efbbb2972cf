/** package.json and tsconfig.json of the TypeScript export. */
import type { ModelPlan } from '../plan.js';
import { CSV_PARSE_VERSION, NODE_TYPES_VERSION, TFJS_VERSION, TSX_VERSION, TYPESCRIPT_VERSION } from '../versions.js';

/** package.json: the tfjs versions the export is tested with (and csv-parse for a CSV loader), and its scripts. */
export function packageJson(plan: ModelPlan, csv = false): string {
  const pkg = {
    name: plan.modelName.replace(/_/g, '-'),
    version: '1.0.0',
    private: true,
    description: 'A TensorFlow.js model exported from Layerloom.',
    type: 'module',
    scripts: { train: 'tsx train.ts', typecheck: 'tsc --noEmit' },
    dependencies: { '@tensorflow/tfjs': TFJS_VERSION, '@tensorflow/tfjs-node': TFJS_VERSION, ...(csv ? { 'csv-parse': CSV_PARSE_VERSION } : {}) },
    devDependencies: { '@types/node': NODE_TYPES_VERSION, tsx: TSX_VERSION, typescript: TYPESCRIPT_VERSION },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

/** tsconfig.json: strict, Node ESM. */
export const TSCONFIG = JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'nodenext',
      moduleResolution: 'nodenext',
      strict: true,
      noImplicitOverride: true,
      esModuleInterop: true,
      skipLibCheck: true,
      types: ['node'],
      noEmit: true,
    },
    include: ['*.ts'],
  },
  null,
  2,
) + '\n';
