import { describe, expect, it } from 'vitest';
import { lastPythonError, pythonStderr } from '../helpers/pythonLog.js';

// What TensorFlow 2.21 prints on import with TF_CPP_MIN_LOG_LEVEL=3, then a real error.
const STDERR = [
  'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR',
  'I0000 00:00:1796407818.071639    6095 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.',
  'I0000 00:00:1796407818.498183    6095 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.',
  'To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.',
  'Traceback (most recent call last):',
  '  File "model.py", line 3, in <module>',
  "ValueError: Input 0 of layer 'dense' is incompatible with the layer",
  'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR',
  'I0000 00:00:1796407820.922062    6095 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results.',
  '',
].join('\n');

describe('Python stderr without TensorFlow start-up notices', () => {
  it('keeps the traceback and drops the notices, wherever they appear', () => {
    expect(pythonStderr(STDERR)).toBe(
      ['Traceback (most recent call last):', '  File "model.py", line 3, in <module>', "ValueError: Input 0 of layer 'dense' is incompatible with the layer"].join('\n'),
    );
  });
  it('the last line is the exception, not a notice printed after it', () => {
    expect(lastPythonError(STDERR)).toBe("ValueError: Input 0 of layer 'dense' is incompatible with the layer");
    expect(lastPythonError(undefined)).toBe('');
  });
  it('keeps other TensorFlow log lines (warnings a user should see)', () => {
    const w = 'W0000 00:00:1796407818.1 6095 gpu_device.cc:2342] Cannot dlopen some GPU libraries.';
    expect(pythonStderr(w)).toBe(w);
  });
});
