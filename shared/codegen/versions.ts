/**
 * Library versions the exports are tested with. requirements.txt and package.json pin these, so an
 * exported folder installs what the equivalence tests ran.
 */

/** Keras (`keras==3.15.*`). */
export const KERAS_VERSION = '3.15';
/** TensorFlow for Python (`tensorflow==2.21.*`). */
export const TENSORFLOW_VERSION = '2.21';
/** NumPy range TensorFlow 2.21 supports. */
export const NUMPY_REQUIREMENT = 'numpy>=1.26,<3';
/** TensorFlow.js packages (`@tensorflow/tfjs`, `-node`, `-node-gpu`). */
export const TFJS_VERSION = '4.22.0';
/** TypeScript compiler for the TS export. */
export const TYPESCRIPT_VERSION = '5.9.3';
/** Runs train.ts without a build step. */
export const TSX_VERSION = '4.23.15';
/** Node type definitions for the TS export. */
export const NODE_TYPES_VERSION = '20.19.43';
/** Tokenizes CSV in the TS export, as in the app. */
export const CSV_PARSE_VERSION = '7.0.3';
/** ONNX Runtime for Python, which runs the ONNX export's predict.py (`onnxruntime==1.30.*`). */
export const ONNXRUNTIME_VERSION = '1.30';
