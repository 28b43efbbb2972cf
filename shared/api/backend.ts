/**
 * The backend doctor's full report: which TensorFlow.js backend training runs on, on which device,
 * and why each better backend was not used. Produced by `electron/services/backendService.ts`,
 * shown by `layerloom doctor` and the app. Pure types (no runtime code).
 */

/**
 * A backend Layerloom can run on, best first:
 * - `native-gpu`: `@tensorflow/tfjs-node-gpu` (TensorFlow C library with CUDA);
 * - `native`: `@tensorflow/tfjs-node` (TensorFlow C library, CPU);
 * - `wasm`: `@tensorflow/tfjs-backend-wasm` (WebAssembly, plus Layerloom's training kernels);
 * - `cpu`: tfjs's pure-JavaScript backend (always available, slow).
 */
export type BackendId = 'native-gpu' | 'native' | 'wasm' | 'cpu';

/** One backend the doctor tried (or would have tried), in the order tried. */
export interface BackendAttempt {
  readonly backend: BackendId;
  /** True when this backend loaded and is the one in use. */
  readonly ok: boolean;
  /**
   * For people: why it was not used, naming the missing thing and the fix
   * (`@tensorflow/tfjs-node-gpu not installed …`, `libcudart.so.11.0 missing: …`), or what loaded.
   */
  readonly reason: string;
}

/** The device tensors live on. */
export interface BackendDevice {
  readonly kind: 'GPU' | 'CPU';
  /** GPU name (`NVIDIA GeForce RTX 4090`) or CPU model; null when the system does not say. */
  readonly name: string | null;
  /** GPU memory, or system memory for the CPU, in MiB; null when unknown. */
  readonly memoryMiB: number | null;
  /** Logical CPU cores (CPU devices only). */
  readonly cores?: number;
  /** NVIDIA driver version when known (GPU devices only). */
  readonly driver?: string;
}

/** What the wasm training kernels registered (see electron/services/wasmKernels.ts). */
export interface WasmKernelInfo {
  /** Kernels added to the wasm backend. */
  readonly registered: readonly string[];
  /** Kernels that run through the slower cpu fallback on wasm. */
  readonly fallbacks: readonly string[];
}

/** The backend doctor's verdict. */
export interface BackendReport {
  /** The backend in use. */
  readonly id: BackendId;
  /** tfjs backend name as `tf.getBackend()` says it: `tensorflow`, `wasm`, `cpu`. */
  readonly backend: string;
  /** The npm package that provides it (`@tensorflow/tfjs-node`, …). */
  readonly package: string;
  /** `@tensorflow/tfjs` version. */
  readonly tfjsVersion: string;
  /** TensorFlow C library version for native backends (`2.21.0`), else null. */
  readonly tfVersion: string | null;
  /**
   * The TensorFlow folder the native addon was linked against by `npm run native:link`;
   * null for the stock libtensorflow download or non-native backends.
   */
  readonly linkedTo: string | null;
  readonly device: BackendDevice;
  /** True when the caller forced this backend instead of letting the doctor choose. */
  readonly forced: boolean;
  /** Every backend tried, best first; the last one with `ok` is in use. */
  readonly attempts: readonly BackendAttempt[];
  /** Present when the backend is `wasm` and its training kernels were registered. */
  readonly wasmKernels: WasmKernelInfo | null;
  /** False when training would be unusably slow (pure-JS `cpu`) or unable to train some blocks. */
  readonly fast: boolean;
  /** Further remarks for people, one line each (e.g. why wasm was not tried before cpu). */
  readonly notes: readonly string[];
}
