/**
 * Vitest setup (vitest.config.ts `setupFiles`): silences tfjs's Node.js CPU banner in test output,
 * as the app does when it loads tfjs (shared/compile/quietTfjs.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { silenceCpuBanner } from '../../shared/compile/quietTfjs.js';

await tf.ready();
silenceCpuBanner(tf);
