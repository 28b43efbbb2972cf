/** tfjs types the training loop and its callbacks share (the tf namespace is the worker's backend's). */
import type { TF } from '../../../shared/compile/tfTypes.js';

export type Optimizer = ReturnType<TF['train']['adam']>;
export type Tensor = ReturnType<TF['tensor']>;
export type LayersModel = ReturnType<TF['model']>;
