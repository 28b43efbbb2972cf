/** The Keras engine's version rule, on version strings real installations report. */
import { describe, expect, it } from 'vitest';
import { atLeast, kerasVersionProblem } from '../../shared/training/kerasVersions.js';

describe('Keras engine versions', () => {
  it('compares release numbers, pre-releases as their release', () => {
    expect(atLeast('2.21.0', '2.16.0')).toBe(true);
    expect(atLeast('2.16.0rc0', '2.16.0')).toBe(true);
    expect(atLeast('2.9.1', '2.16.0')).toBe(false);
    expect(atLeast('3.15.1', '3.0.0')).toBe(true);
    expect(atLeast('2.15.0', '3.0.0')).toBe(false);
    expect(atLeast('3.0.0.dev2024', '3.0.0')).toBe(true);
  });

  it('accepts TensorFlow 2.21 with Keras 3.15 and names what is missing or too old', () => {
    expect(kerasVersionProblem({ python: '3.11.7', tensorflow: '2.21.0', keras: '3.15.1' })).toBeNull();
    expect(kerasVersionProblem({ python: '3.10.12', tensorflow: '2.15.1', keras: '2.15.0' })).toBe(
      'TensorFlow or Keras is too old: found Python 3.10.12, TensorFlow 2.15.1, Keras 2.15.0; the Keras engine needs TensorFlow 2.16.0 or newer and Keras 3.0.0 or newer',
    );
    expect(kerasVersionProblem({ python: '3.12.3', tensorflow: null, keras: null, tensorflow_error: "ModuleNotFoundError: No module named 'tensorflow'" })).toMatch(
      /^TensorFlow or Keras is missing: found Python 3\.12\.3, TensorFlow not installed, Keras not installed \(ModuleNotFoundError: No module named 'tensorflow'\)/,
    );
  });
});
