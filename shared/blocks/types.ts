/**
 * The block contract. A block is data plus a few pure functions; adding a block is one file entry
 * plus one registry line (see registry.ts).
 *
 * Shapes here are per-sample: the batch dimension is implicit (Keras prints it as `None`).
 * `null` stands for a variable dimension (e.g. sequence length).
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { DiagnosticCode } from '../analysis/diagnostics.js';

/** A dimension: a size, or `null` when it is only known at run time. */
export type Dim = number | null;

/** A tensor shape without the batch dimension. Keras rank = `shape.length + 1`. */
export type Shape = readonly Dim[];

/** The value of a block parameter as stored in the project file. */
export type ParamValue = number | string | boolean | null | readonly Dim[];

/** Parameter values of one node, keyed by Keras parameter name. */
export type Params = Readonly<Record<string, ParamValue>>;

/** The `tf` namespace of `@tensorflow/tfjs` (any backend). Passed in, never imported at run time. */
export type TF = typeof tfjs;

/** A symbolic tensor of the tfjs functional API. */
export type SymbolicTensor = tfjs.SymbolicTensor;

/** Declares one parameter: its type, default, range and help text (drives the inspector form). */
export interface ParamSpec {
  /** Keras name, e.g. `kernel_size`. */
  readonly name: string;
  /** Short label for forms. */
  readonly label: string;
  /**
   * `int`/`float`: a number; `bool`; `enum`: one of `options`; `string`;
   * `ints`: a tuple of positive integers (`length` entries, or any length when absent);
   * `shape`: a tuple of positive integers or `null` (variable dims).
   */
  readonly kind: 'int' | 'float' | 'bool' | 'enum' | 'string' | 'ints' | 'shape';
  readonly default: ParamValue;
  readonly min?: number;
  readonly max?: number;
  /** Exclusive lower bound for floats (e.g. a rate that must be > 0). */
  readonly minExclusive?: boolean;
  /** Exclusive upper bound (e.g. a dropout rate that must be < 1). */
  readonly maxExclusive?: boolean;
  readonly options?: readonly string[];
  readonly length?: number;
  /** `null` is an accepted value (e.g. `value_dim` = "same as key_dim"). */
  readonly nullable?: boolean;
  readonly help: string;
  /** Shown only in an "advanced" section of the inspector. */
  readonly advanced?: boolean;
}

/** An input port. */
export interface PortSpec {
  readonly name: string;
  readonly label: string;
  /** An optional port may stay unconnected (e.g. attention `key`). */
  readonly optional?: boolean;
}

/** Trainable and non-trainable weight counts, as Keras's `model.summary()` reports them. */
export interface ParamCount {
  readonly trainable: number;
  readonly nonTrainable: number;
}

/**
 * Why a block cannot produce an output shape. `code` is a diagnostic code from
 * analysis/diagnostics.ts; `message` says what is wrong and how to fix it.
 */
export interface ShapeProblem {
  readonly code: DiagnosticCode;
  readonly message: string;
  /** The parameter the problem is about, when there is one. */
  readonly param?: string;
  /** `warning`: the shape is still valid (e.g. Dense applied to the last axis of a rank-4 tensor). */
  readonly severity?: 'error' | 'warning';
}

/** Result of shape inference for one block. */
export interface ShapeResult {
  /** The output shape, or null when an error makes it unknowable. */
  readonly shape: Shape | null;
  readonly problems: readonly ShapeProblem[];
}

/** A constructor call in generated code: `layers.Conv2D(filters=32, ...)` / `tf.layers.conv2d({...})`. */
export interface LayerCall {
  /** Keras class name under `keras.layers` (e.g. `Conv2D`), or a Layerloom custom layer class name. */
  readonly kerasClass: string;
  /** Keras keyword arguments in Keras spelling, in the order they should be printed. */
  readonly kerasArgs: ReadonlyArray<readonly [string, KerasArg]>;
  /** tfjs factory under `tf.layers` (e.g. `conv2d`), or a custom layer class name when `custom`. */
  readonly tfjsFactory: string;
  /** tfjs config object in tfjs spelling. */
  readonly tfjsArgs: ReadonlyArray<readonly [string, KerasArg]>;
  /** True when the layer is one of Layerloom's own layers (its source ships with the export). */
  readonly custom?: boolean;
  /** Wraps the layer in `Bidirectional(layer, merge_mode=...)`. */
  readonly bidirectional?: { readonly mergeMode: string };
  /** Extra keyword arguments for the call itself (`layer(x, use_causal_mask=True)`). */
  readonly callArgs?: ReadonlyArray<readonly [string, KerasArg]>;
}

/** A literal for generated code. Tuples print as `(1, 2)` in Python and `[1, 2]` in TS. */
export type KerasArg =
  | number
  | string
  | boolean
  | null
  | { readonly tuple: readonly KerasArg[] }
  | { readonly raw: string };

/** Everything Layerloom knows about one block type. */
export interface BlockDef {
  /** Stable type id stored in project files; equals the Keras class name where one exists. */
  readonly type: string;
  readonly category: BlockCategory;
  /** One sentence for the palette tooltip. */
  readonly description: string;
  readonly params: readonly ParamSpec[];
  /** Input ports; may depend on params (merge blocks grow ports with `num_inputs`). */
  ports(params: Params): readonly PortSpec[];
  /** Output shape from the connected input shapes (in port order; `null` for an unconnected optional port). */
  inferShape(inputs: readonly (Shape | null)[], params: Params): ShapeResult;
  /** Weight counts, given valid input shapes. */
  paramCount(inputs: readonly (Shape | null)[], params: Params): ParamCount;
  /**
   * The layer as a constructor call (Keras and tfjs spelling). The compiler builds the tfjs layer
   * from exactly this call, and the code generators print it, so the app, the TS export and the
   * Keras export cannot drift apart. Absent only for Input and Output, which are not layers.
   */
  layerCall?(params: Params, inputs: readonly (Shape | null)[]): LayerCall;
  /**
   * Custom construction for layers tfjs lacks (attention, position embedding): builds the layer and
   * applies it to the inputs (unconnected optional ports are `null`). `name` is the unique layer name.
   */
  apply?(tf: TF, inputs: readonly (SymbolicTensor | null)[], params: Params, name: string): SymbolicTensor;
}

/** Palette groups, in display order. */
export const BLOCK_CATEGORIES = [
  'Input / Output',
  'Core',
  'Convolution',
  'Pooling',
  'Recurrent',
  'Attention',
  'Normalization',
  'Regularization',
  'Reshaping',
  'Merge',
] as const;

/** A palette group. */
export type BlockCategory = (typeof BLOCK_CATEGORIES)[number];
