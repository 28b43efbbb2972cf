/**
 * The tfjs types the runtime side of shared/ works with. Type-only: the `tf` namespace is always
 * passed in as a parameter, so the same code runs on whichever backend the caller loaded.
 */
import type * as tfjs from '@tensorflow/tfjs';

/** The `tf` namespace of `@tensorflow/tfjs` (any backend). Passed in, never imported at run time. */
export type TF = typeof tfjs;

/** A symbolic tensor of the tfjs functional API. */
export type SymbolicTensor = tfjs.SymbolicTensor;
