#!/usr/bin/env node
// npm run native:link [-- --gpu] [-- --tf-dir DIR | --wheel FILE] [-- --force]
//
// Builds the native addon of @tensorflow/tfjs-node (or -gpu with --gpu) against the TensorFlow C API
// that ships inside a TensorFlow *Python* installation, instead of the libtensorflow 2.9.1 archive the
// package's own install script downloads (which fails offline and is CUDA 11 only for the GPU build).
//
//   1. Installs the package and its dependencies from the npm registry with install scripts disabled
//      (`npm install --no-save --ignore-scripts`: reifies package-lock.json, writes neither
//      package.json nor the lockfile; refuses if npm would remove or change anything).
//   2. Lays out <package>/deps/{include,lib} as symlinks into the TensorFlow package.
//   3. Compiles the addon with node-pre-gyp/node-gyp (no download: node headers come from the local
//      Node installation when it has them) and adds the TensorFlow folder to the addon's rpath, so
//      libtensorflow_cc.so.2 loads from its own folder and finds its neighbours (CUDA libraries of
//      a GPU wheel included).
//   4. Loads it in a child process and prints the backend and TensorFlow version.
//
// Idempotent: when the addon already loads, it only says so (use --force to rebuild).
// See docs/native-backend.md.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();

/** The file names tfjs-node 4.22's binding.gyp and scripts/install.js expect in deps/lib (Linux). */
const DEPS_LIB_LINKS = {
  'libtensorflow.so': 'libtensorflow_cc.so.2',
  // scripts/install.js skips its download when this one exists.
  'libtensorflow.so.2.9.1': 'libtensorflow_cc.so.2',
  'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
  'libtensorflow_framework.so.2.9.1': 'libtensorflow_framework.so.2',
};
// Deliberately NOT linked into deps/lib: libtensorflow_cc.so.2 and libtensorflow_framework.so.2
// (the names the addon records as NEEDED). The loader must find them through the rpath entry that
// points at the real TensorFlow folder: glibc resolves $ORIGIN to the folder a library was opened
// from, and a GPU wheel finds its CUDA libraries through `$ORIGIN/../nvidia/...` entries.
const MARKER = 'layerloom-native-link.json';

class UserError extends Error {}

function usage() {
  return `Usage: npm run native:link -- [options]

Builds @tensorflow/tfjs-node's native addon against the TensorFlow C API inside an installed
TensorFlow Python package (no libtensorflow download).

Options:
  --gpu            build @tensorflow/tfjs-node-gpu instead (link against a CUDA build of TensorFlow,
                   e.g. pip install tensorflow[and-cuda])
  --tf-dir DIR     the TensorFlow package folder (holds libtensorflow_cc.so.2 and include/);
                   default: env LAYERLOOM_TF_DIR, else the one linked last time (while it
                   exists), else the tensorflow package of python3
  --wheel FILE     unpack the TensorFlow parts of a downloaded wheel (.whl) into a cache folder and
                   link against that (cache: env LAYERLOOM_CACHE_DIR or ~/.cache/layerloom)
  --python EXE     Python used to find TensorFlow (default: env PYTHON, else python3)
  --force          rebuild even when the addon already loads
  --allow-npm-changes  let npm remove/change packages while installing (normally refused)
  -h, --help       this text`;
}

function parseArgs(argv) {
  const opts = { gpu: false, force: false, allowNpmChanges: false, tfDir: null, wheel: null, python: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new UserError(`${a} needs a value.\n\n${usage()}`);
      return v;
    };
    if (a === '--gpu') opts.gpu = true;
    else if (a === '--force') opts.force = true;
    else if (a === '--allow-npm-changes') opts.allowNpmChanges = true;
    else if (a === '--tf-dir') opts.tfDir = resolve(value());
    else if (a.startsWith('--tf-dir=')) opts.tfDir = resolve(a.slice(9));
    else if (a === '--wheel') opts.wheel = resolve(value());
    else if (a.startsWith('--wheel=')) opts.wheel = resolve(a.slice(8));
    else if (a === '--python') opts.python = value();
    else if (a === '-h' || a === '--help') opts.help = true;
    else throw new UserError(`Unknown option "${a}".\n\n${usage()}`);
  }
  if (opts.tfDir && opts.wheel) throw new UserError('Pass either --tf-dir or --wheel, not both.');
  return opts;
}

function step(msg) {
  console.log(`native:link: ${msg}`);
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function run(cmd, args, options = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

/** Node-style lookup of `name`'s folder starting at `fromDir` (no `exports` map involved). */
function findPackageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Names of the package's runtime dependencies that do not resolve from its folder. */
function missingDependencies(pkgDir) {
  const pkg = readJson(join(pkgDir, 'package.json'));
  return Object.keys(pkg.dependencies ?? {}).filter((dep) => !findPackageDir(dep, pkgDir));
}

// ---------------------------------------------------------------- 1. the npm package

function ensurePackageInstalled(pkgName, opts) {
  const rootPkg = readJson(join(root, 'package.json'));
  const declared = { ...rootPkg.dependencies, ...rootPkg.optionalDependencies, ...rootPkg.devDependencies };
  if (!declared[pkgName]) {
    throw new UserError(`${pkgName} is not declared in package.json; add it to optionalDependencies (same version as @tensorflow/tfjs) and run npm install first.`);
  }
  const pkgDir = join(root, 'node_modules', pkgName);
  if (existsSync(join(pkgDir, 'package.json')) && missingDependencies(pkgDir).length === 0) return pkgDir;

  if (!existsSync(join(root, 'node_modules'))) {
    throw new UserError('node_modules is missing: run `npm ci` (or `npm install`) first, then npm run native:link.');
  }
  const t = Date.now();
  // The package's install script downloads libtensorflow and fails without network, after which npm
  // drops the optional package again. Reifying the lockfile with scripts disabled brings it (and
  // every other optional package that failed the same way) back without touching package.json or
  // package-lock.json. A dry run first makes sure npm would only add packages.
  const npmArgs = ['install', '--no-save', '--ignore-scripts', '--include=optional', '--no-audit', '--no-fund'];
  // The npm that runs this script (npm run sets npm_execpath), else the one on PATH.
  const viaNpm = /npm-cli\.js$/.test(process.env.npm_execpath ?? '');
  const npm = viaNpm ? process.execPath : 'npm';
  const npmPrefix = viaNpm ? [process.env.npm_execpath] : [];
  const dry = run(npm, [...npmPrefix, ...npmArgs, '--dry-run', '--json'], { cwd: root });
  if (dry.error) throw new UserError(`Could not run npm (${dry.error.message}); is it on PATH?`);
  if (dry.status !== 0) {
    throw new UserError(`npm install --dry-run failed (exit ${dry.status}):\n${dry.stderr || dry.stdout}`);
  }
  const jsonStart = dry.stdout.search(/^\{/m);
  let plan = null;
  try {
    plan = jsonStart >= 0 ? JSON.parse(dry.stdout.slice(jsonStart)) : null;
  } catch {
    plan = null;
  }
  if (!plan) throw new UserError(`Could not read npm's install plan:\n${dry.stdout.slice(0, 2000)}`);
  const disruptive = [...(plan.remove ?? []).map((p) => `remove ${p.name}@${p.version}`), ...(plan.change ?? []).map((p) => `change ${p.to?.name ?? p.from?.name ?? JSON.stringify(p)}`)];
  if (disruptive.length && !opts.allowNpmChanges) {
    throw new UserError(
      `Installing ${pkgName} would make npm also ${disruptive.length} change(s) to node_modules:\n  ${disruptive.slice(0, 20).join('\n  ')}\n` +
        'These are packages that differ from package-lock.json. Run `npm install` to bring node_modules in line with the lockfile, or pass --allow-npm-changes.',
    );
  }
  step(`installing ${pkgName} and its dependencies from the npm registry without install scripts (${plan.added ?? '?'} packages)`);
  const res = run(npm, [...npmPrefix, ...npmArgs], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) throw new UserError(`npm install --no-save --ignore-scripts failed (exit ${res.status}); see the npm output above.`);
  if (!existsSync(join(pkgDir, 'package.json'))) {
    throw new UserError(`npm did not install ${pkgName}. Is it in package-lock.json? Run \`npm install\` once with network access to the npm registry, then retry.`);
  }
  const missing = missingDependencies(pkgDir);
  if (missing.length) throw new UserError(`${pkgName} is installed but these dependencies are missing: ${missing.join(', ')}. Run \`npm install\`, then retry.`);
  step(`installed in ${seconds(t)}`);
  return pkgDir;
}

// ---------------------------------------------------------------- 2. TensorFlow

/** Describes a TensorFlow folder, or says what is missing from it. */
function inspectTfDir(dir) {
  const need = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2', 'include/tensorflow/c/c_api.h', 'include/tensorflow/c/eager/c_api.h'];
  const missing = need.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) return { ok: false, missing };
  // The headers leave the version to build-time defines; the pip metadata next to the folder has it.
  let version = null;
  let distribution = null;
  try {
    for (const entry of readdirSync(dirname(dir))) {
      const m = entry.match(/^(tensorflow|tensorflow_cpu|tensorflow_gpu|tensorflow_intel|tensorflow_aarch64|tf_nightly|tf_nightly_cpu)-([^-]+)\.dist-info$/);
      if (m) {
        distribution = m[1].replace(/_/g, '-');
        version = m[2];
        break;
      }
    }
  } catch {
    // No readable parent folder: the version stays unknown until the addon reports it.
  }
  // Python wheels record whether they were built with CUDA; a C-only folder may not have this file.
  let cuda = null;
  const buildInfo = join(dir, 'python/platform/build_info.py');
  if (existsSync(buildInfo)) {
    const m = readFileSync(buildInfo, 'utf8').match(/['"]is_cuda_build['"]\s*:\s*(True|False)/);
    if (m) cuda = m[1] === 'True';
  }
  return { ok: true, version, distribution, cuda };
}

function findTfWithPython(python) {
  // find_spec locates the package without importing it (importing TensorFlow takes seconds).
  const code = 'import importlib.util,os,sys\ns=importlib.util.find_spec("tensorflow")\nprint(os.path.dirname(s.origin) if s and s.origin else "")';
  const res = run(python, ['-c', code]);
  if (res.error) return { error: `${python} not found (${res.error.code ?? res.error.message})` };
  if (res.status !== 0) return { error: `${python} failed: ${(res.stderr || '').trim().split('\n').pop()}` };
  const dir = res.stdout.trim();
  return dir ? { dir } : { error: `${python} has no tensorflow package` };
}

function cacheDir() {
  return process.env.LAYERLOOM_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'layerloom');
}

/** Unpacks tensorflow/include and tensorflow/lib* (+ build info) of a wheel; returns the tensorflow folder. */
function unpackWheel(wheel) {
  if (!existsSync(wheel)) throw new UserError(`Wheel not found: ${wheel}`);
  const dest = join(cacheDir(), 'tf-wheels', basename(wheel).replace(/\.whl$/, ''));
  const tfDir = join(dest, 'tensorflow');
  if (inspectTfDir(tfDir).ok && existsSync(join(dest, '.complete'))) {
    step(`using the wheel unpacked before at ${tfDir}`);
    return tfDir;
  }
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  const t = Date.now();
  step(`unpacking ${basename(wheel)} into ${dest}`);
  const patterns = ['tensorflow/include/*', 'tensorflow/libtensorflow*', 'tensorflow/python/platform/build_info.py', '*.dist-info/METADATA'];
  let res = run('unzip', ['-q', '-o', wheel, ...patterns, '-d', dest]);
  if (res.error) {
    // No unzip: Python's zipfile does the same.
    const code = 'import sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nfor n in z.namelist():\n  if n.startswith(("tensorflow/include/","tensorflow/libtensorflow")) or n=="tensorflow/python/platform/build_info.py": z.extract(n, sys.argv[2])';
    res = run(process.env.PYTHON || 'python3', ['-c', code, wheel, dest]);
    if (res.error) throw new UserError('Unpacking a wheel needs `unzip` or python3 on PATH; install one, or unzip it yourself and pass --tf-dir DIR/tensorflow.');
  }
  if (res.status !== 0) throw new UserError(`Could not unpack ${wheel}: ${(res.stderr || res.stdout).trim()}`);
  const info = inspectTfDir(tfDir);
  if (!info.ok) throw new UserError(`${basename(wheel)} is not a Linux TensorFlow wheel with the C API (missing ${info.missing.join(', ')}). Use a tensorflow or tensorflow-cpu wheel for linux x86_64/aarch64.`);
  writeFileSync(join(dest, '.complete'), new Date().toISOString() + '\n');
  step(`unpacked in ${seconds(t)}`);
  return tfDir;
}

function locateTensorFlow(opts, pkgDir = null) {
  if (opts.wheel) return { dir: unpackWheel(opts.wheel), from: `--wheel ${opts.wheel}` };
  if (opts.tfDir) return { dir: opts.tfDir, from: '--tf-dir' };
  if (process.env.LAYERLOOM_TF_DIR) return { dir: resolve(process.env.LAYERLOOM_TF_DIR), from: 'LAYERLOOM_TF_DIR' };
  // A rebuild keeps the TensorFlow chosen last time (e.g. an unpacked wheel) while it is still there.
  const previous = pkgDir ? linkedTfDir(pkgDir) : null;
  if (previous && inspectTfDir(previous).ok) return { dir: previous, from: 'the previous native:link' };
  const python = opts.python || process.env.PYTHON || 'python3';
  const found = findTfWithPython(python);
  if (found.dir) return { dir: found.dir, from: python };
  const pkg = opts.gpu ? "'tensorflow[and-cuda]==2.21.0'" : 'tensorflow-cpu==2.21.0';
  throw new UserError(`TensorFlow for Python not found (${found.error}): pip install ${pkg}, or pass --tf-dir DIR (the folder holding libtensorflow_cc.so.2) or --wheel FILE.`);
}

// ---------------------------------------------------------------- 3. layout, build, verify

function linkDeps(pkgDir, tfDir, info, opts) {
  const deps = join(pkgDir, 'deps');
  // rm does not follow symlinks: only our links go, never the TensorFlow files they point at.
  rmSync(deps, { recursive: true, force: true });
  mkdirSync(join(deps, 'lib'), { recursive: true });
  symlinkSync(join(tfDir, 'include'), join(deps, 'include'), 'dir');
  for (const [name, target] of Object.entries(DEPS_LIB_LINKS)) symlinkSync(join(tfDir, target), join(deps, 'lib', name));
  writeFileSync(join(deps, MARKER), JSON.stringify({ tfDir, tfVersion: info.version, distribution: info.distribution, cudaBuild: info.cuda, gpuPackage: opts.gpu, linkedAt: new Date().toISOString() }, null, 2) + '\n');
}

function checkBuildTools() {
  const missing = [];
  for (const [tool, args] of [['make', ['--version']], ['c++', ['--version']], ['python3', ['--version']]]) {
    if (run(tool, args).error) missing.push(tool);
  }
  if (missing.length) {
    throw new UserError(`Building the addon needs ${missing.join(', ')} (node-gyp). On Debian/Ubuntu: apt-get install -y build-essential python3`);
  }
}

function buildAddon(pkgDir, tfDir) {
  checkBuildTools();
  const preGypDir = findPackageDir('@mapbox/node-pre-gyp', pkgDir);
  if (!preGypDir) throw new UserError('@mapbox/node-pre-gyp is missing; rerun with --force after `npm install`.');
  const env = { ...process.env };
  // Node's own headers, when the installation has them (Debian/nodesource, official tarballs), spare
  // node-gyp a download from nodejs.org.
  const nodePrefix = resolve(dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && existsSync(join(nodePrefix, 'include/node/node.h'))) env.npm_config_nodedir = nodePrefix;
  // gyp's Makefile links with $(LDFLAGS): add the real TensorFlow folder to the addon's rpath.
  env.LDFLAGS = `${env.LDFLAGS ?? ''} -Wl,-rpath,${tfDir}`.trim();
  env.JOBS = env.JOBS || String(Math.max(1, availableParallelism()));
  // `install --build-from-source` compiles for the best N-API version only (the one the package
  // loads) and never tries the prebuilt-addon download; old outputs go first so it really rebuilds.
  rmSync(join(pkgDir, 'build'), { recursive: true, force: true });
  rmSync(join(pkgDir, 'lib'), { recursive: true, force: true });
  const args = [join(preGypDir, 'bin/node-pre-gyp'), 'install', '--build-from-source'];
  step(`compiling the addon (node-pre-gyp install --build-from-source${env.npm_config_nodedir ? `, node headers from ${env.npm_config_nodedir}` : ''})`);
  const res = run(process.execPath, args, { cwd: pkgDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.status !== 0) {
    const log = `${res.stdout}\n${res.stderr}`.trim().split('\n').slice(-40).join('\n');
    const hint = /nodejs\.org|ENOTFOUND|EAI_AGAIN|ECONNREFUSED/.test(log)
      ? '\nnode-gyp tried to download Node headers: install them (Debian: apt-get install -y libnode-dev, or use a Node tarball/nodesource build that has include/node) or set npm_config_nodedir.'
      : '';
    throw new UserError(`Building the addon failed (exit ${res.status}). Last lines:\n${log}${hint}`);
  }
}

/** Loads the package in a fresh Node process (a broken addon must not take this one down). */
function verify(pkgName) {
  const code = `
    const out = { ok: false };
    try {
      const mod = await import(${JSON.stringify(pkgName)});
      const tf = mod.default ?? mod;
      const core = await import('@tensorflow/tfjs');
      await tf.ready();
      const sum = tf.tensor1d([1, 2, 3]).sum().dataSync()[0];
      Object.assign(out, {
        ok: tf.getBackend() === 'tensorflow' && sum === 6,
        backend: tf.getBackend(),
        sharedInstance: (core.default ?? core).getBackend() === tf.getBackend(),
        tfVersion: tf.backend().binding?.TF_Version ?? null,
        tfjsVersion: tf.version?.['tfjs-core'] ?? null,
      });
    } catch (e) { out.error = String(e && e.message || e); }
    console.log('@@' + JSON.stringify(out));`;
  const res = run(process.execPath, ['--input-type=module', '-e', code], {
    cwd: root,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2' },
  });
  const line = (res.stdout || '').split('\n').find((l) => l.startsWith('@@'));
  if (!line) return { ok: false, error: `the check process exited ${res.status ?? res.signal}: ${(res.stderr || '').trim().split('\n').slice(-5).join('\n')}` };
  return JSON.parse(line.slice(2));
}

function builtAddonExists(pkgDir) {
  const lib = join(pkgDir, 'lib');
  if (!existsSync(lib)) return false;
  return readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
}

function linkedTfDir(pkgDir) {
  try {
    return readJson(join(pkgDir, 'deps', MARKER)).tfDir;
  } catch {
    return null;
  }
}

function describeLink(pkgDir) {
  try {
    const marker = readJson(join(pkgDir, 'deps', MARKER));
    return `linked against ${marker.tfDir}`;
  } catch {
    const lib = join(pkgDir, 'deps/lib/libtensorflow.so.2.9.1');
    if (existsSync(lib) && !lstatSync(lib).isSymbolicLink()) return 'using the libtensorflow 2.9.1 its install script downloaded';
    try {
      return `deps/lib -> ${readlinkSync(lib)}`;
    } catch {
      return 'no deps/ folder';
    }
  }
}

function report(pkgName, result) {
  step(`${pkgName}: backend ${result.backend}, TensorFlow ${result.tfVersion ?? '?'}, tfjs ${result.tfjsVersion ?? '?'}` + (result.sharedInstance ? ' (same @tensorflow/tfjs instance)' : ' (WARNING: @tensorflow/tfjs resolves to a different copy)'));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(usage());
    return 0;
  }
  if (process.platform !== 'linux') {
    throw new UserError(`native:link supports Linux only (this is ${process.platform}). On macOS and Windows, tfjs-node's own install downloads a prebuilt libtensorflow; see docs/native-backend.md.`);
  }
  const pkgName = opts.gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  const pkgDir = join(root, 'node_modules', pkgName);

  // An explicit TensorFlow is located first so that a rerun with the same one is still a no-op.
  const explicitTf = opts.tfDir || opts.wheel ? locateTensorFlow(opts) : null;
  if (!opts.force && existsSync(join(pkgDir, 'package.json')) && builtAddonExists(pkgDir) && (!explicitTf || linkedTfDir(pkgDir) === explicitTf.dir)) {
    const result = verify(pkgName);
    if (result.ok) {
      report(pkgName, result);
      step(`already built (${describeLink(pkgDir)}); nothing to do (${seconds(started)}). Use --force to rebuild.`);
      return 0;
    }
    step(`the built addon does not load (${result.error ?? `backend ${result.backend}`}); rebuilding`);
  }

  ensurePackageInstalled(pkgName, opts);
  const tf = explicitTf ?? locateTensorFlow(opts, pkgDir);
  const info = inspectTfDir(tf.dir);
  if (!info.ok) {
    throw new UserError(`${tf.dir} (from ${tf.from}) is not a usable TensorFlow folder: missing ${info.missing.join(', ')}. Point --tf-dir at the installed tensorflow package folder (pip show -f tensorflow-cpu) or pass --wheel FILE.`);
  }
  step(`TensorFlow ${info.version ?? '(unknown version)'}${info.distribution ? ` [${info.distribution}]` : ''}${info.cuda === true ? ' (CUDA build)' : info.cuda === false ? ' (CPU build)' : ''} at ${tf.dir} (from ${tf.from})`);
  if (opts.gpu && info.cuda === false) {
    console.warn('native:link: WARNING: --gpu with a CPU-only TensorFlow: the addon will build but run on the CPU. Link against a CUDA build (pip install "tensorflow[and-cuda]") for the GPU.');
  }
  if (!opts.gpu && info.cuda === true) {
    step('note: this is a CUDA build of TensorFlow; it uses the GPU when CUDA libraries load, even through @tensorflow/tfjs-node');
  }

  linkDeps(pkgDir, tf.dir, info, opts);
  const tBuild = Date.now();
  buildAddon(pkgDir, tf.dir);
  step(`addon built in ${seconds(tBuild)}`);

  const result = verify(pkgName);
  if (!result.ok) {
    throw new UserError(`The addon was built but does not load: ${result.error ?? `backend is ${result.backend}`}.\nSee docs/native-backend.md (Troubleshooting).`);
  }
  report(pkgName, result);
  step(`done in ${seconds(started)}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof UserError ? `native:link: ${e.message}` : e);
    process.exit(1);
  },
);
