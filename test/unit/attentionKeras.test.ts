/**
 * tfjs = Keras, numerically, for attention, recurrent layers and Embedding: the shared harness in
 * test/helpers/kerasNumeric.ts builds each layer through the compiler's own path with seeded
 * weights and runs real Keras 3 on the same weights and inputs. Skipped, saying why, when Python
 * cannot import Keras.
 */
import { describeKerasNumeric } from '../helpers/kerasNumeric.js';
import { SEQUENCE_CASES as CASES } from '../helpers/kerasCases.js';


describeKerasNumeric('tfjs layers equal Keras 3 numerically (same weights, same inputs)', CASES);
