/**
 * The block contract. A block is a spec: data plus a few pure functions (ports, shape rule, weight
 * count, the Keras call and how tfjs spells it). Nothing here runs tfjs: the tfjs runtime (Layerloom's
 * own layer classes, building and applying layers) lives in shared/compile. Adding a block is one
 * file entry plus one registry line (see registry.ts).
 *
 * Shapes here are per-sample: the batch dimension is implicit (Keras prints it as `None`).
 * `null` stands for a variable dimension (e.g. sequence length).
 */
import type { DiagnosticCode } from '../analysis/diagnostics.js';

/** A dimension: a size, or `null` when it is only known at run time. */
export type Dim = number | null;

/** A tensor shape without the batch dimension. Keras rank = `shape.length + 1`. */
export type Shape = readonly Dim[];

/** The value of a block parameter as stored in the project file. */
export type ParamValue = number | string | boolean | null | readonly Dim[];

/** Parameter values of one node, keyed by Keras parameter name. */
export type Params = Readonly<Record<string, ParamValue>>;

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
  /**
   * When the inspector shows the option, given the block's values (absent: always); e.g. a
   * constraint's max only for the kinds that have one. A hidden option keeps its value, and one with
   * a problem is shown anyway.
   */
  readonly shownWhen?: (params: Params) => boolean;
  /**
   * Above this a value is allowed but almost surely a typo (LL024 warning): e.g. 65,536 filters.
   * For `ints`, each entry.
   */
  readonly warnAbove?: number;
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
  /** The output shape (of the `out` port), or null when an error makes it unknowable. */
  readonly shape: Shape | null;
  readonly problems: readonly ShapeProblem[];
  /**
   * Shapes of the block's other output ports (see {@link BlockSpec.outputs}), keyed by port name:
   * a recurrent layer's final states with `return_state` on. Absent: the block has only `out`.
   */
  readonly outputs?: Readonly<Record<string, Shape>>;
}

/** A Keras argument list: `[name, value]` pairs in Keras spelling, in the order they are printed. */
export type KerasArgs = ReadonlyArray<readonly [string, KerasArg]>;

/** The Keras side of a layer: `layers.Conv2D(filters=32, ...)`, and how it is called. */
export interface KerasCall {
  /** Keras class name under `keras.layers` (e.g. `Conv2D`), or a class the Keras export defines. */
  readonly kerasClass: string;
  /** Keras keyword arguments in Keras spelling, in the order they should be printed. */
  readonly kerasArgs: KerasArgs;
  /** Wraps the layer in `Bidirectional(layer, merge_mode=...)`. */
  readonly bidirectional?: { readonly mergeMode: string };
  /**
   * Wraps the layer in `TimeDistributed(layer)`: applied with the same weights to every step of the
   * input's first axis (the arguments are those of the layer on one step).
   */
  readonly timeDistributed?: true;
  /** Extra keyword arguments for the call itself (`layer(x, use_causal_mask=True)`). */
  readonly callArgs?: KerasArgs;
}

/**
 * A layer as a constructor call in both spellings: the Keras call plus the tfjs factory and config
 * derived from it (see tfjsSpelling.ts). The compiler builds the tfjs layer from exactly this call
 * and the code generators print it, so the app, the TS export and the Keras export cannot drift apart.
 */
export interface LayerCall extends KerasCall {
  /** tfjs factory under `tf.layers` (e.g. `conv2d`), or one of Layerloom's tfjs class names when `custom`. */
  readonly tfjsFactory: string;
  /** tfjs config object in tfjs spelling. */
  readonly tfjsArgs: KerasArgs;
  /** True when the tfjs layer is one of Layerloom's own classes (its source ships with the TS export). */
  readonly custom?: boolean;
}

/** The tfjs side of a call while it is being derived: a factory (or own class) and its config. */
export interface TfjsCall {
  readonly factory: string;
  readonly args: KerasArgs;
}

/**
 * How a block's Keras call is spelled in tfjs-layers, where the default rule does not give it. The
 * default: the factory is the Keras class in tfjs's spelling (`Conv2D` → `conv2d`, `LSTM` → `lstm`),
 * argument names go from snake_case to camelCase, initializer names become tfjs identifiers
 * (`glorot_uniform` → `glorotUniform`), and everything else passes unchanged.
 */
export interface TfjsSpelling {
  /** Keras argument → tfjs argument name, where camelCase is not it (`negative_slope` → `alpha`). */
  readonly rename?: Readonly<Record<string, string>>;
  /**
   * Layerloom's own tfjs class (a name from `LAYERLOOM_TFJS_CLASSES`) for these params, where
   * tfjs-layers lacks the layer or cannot train or run this configuration; null for tfjs's own layer.
   */
  readonly ownLayer?: (params: Params, inputs: readonly (Shape | null)[]) => string | null;
  /**
   * The last step, for values tfjs needs differently from Keras (a resolved shape where Keras
   * infers one, an axis counted from the front). Receives the derived call and returns the final one.
   */
  readonly adjust?: (call: TfjsCall, params: Params, inputs: readonly (Shape | null)[]) => TfjsCall;
}

/** What a block is in the model: a model input, an output marker, or a layer. */
export type BlockRole = 'input' | 'output' | 'layer';

/**
 * How a layer is applied to the tensors on its ports: `single` — one tensor (`layer(x)`); `list` —
 * the tensors of all ports in port order (`Add()([a, b])`); `query-value-key` — attention's
 * `mha(query, value, key=key)`, where a repeated tensor means self-attention; `initial-state` — a
 * recurrent layer's `layer(x, initial_state=[h, c])`: the first port is the sequence, the others
 * (when connected) its initial states in port order.
 */
export type CallConvention = 'single' | 'list' | 'query-value-key' | 'initial-state';

/** The one output port of most blocks. */
export const DEFAULT_OUTPUT_PORT = 'out';

/** A literal for generated code. Tuples print as `(1, 2)` in Python and `[1, 2]` in TS. */
export type KerasArg =
  | number
  | string
  | boolean
  | null
  | { readonly tuple: readonly KerasArg[] }
  | { readonly raw: string }
  | KerasObject;

/**
 * A Keras object given to a layer argument, built by a class of `keras.<module>`: a weight
 * regularizer (`keras.regularizers.L2(l2=0.01)`) or constraint (`keras.constraints.MaxNorm(max_value=2, axis=0)`).
 * Printed as that constructor call in Python and as tfjs's serialized form (`{className, config}`) in tfjs.
 */
export interface KerasObject {
  readonly module: 'regularizers' | 'constraints';
  /** Keras class name (`L1`, `L2`, `L1L2`, `MaxNorm`, `NonNeg`, `UnitNorm`), or tfjs's in a tfjs call (`L1L2`). */
  readonly className: string;
  /** Constructor arguments, Keras spelling (tfjs spelling in a tfjs call). */
  readonly args: KerasArgs;
}

/** A block as its family file writes it (see {@link defineBlock} in define.ts for the defaults). */
export interface BlockSpec {
  /** Stable type id stored in project files; equals the Keras class name where one exists. */
  readonly type: string;
  readonly category: BlockCategory;
  /** One sentence for the palette tooltip. */
  readonly description: string;
  /** Default `layer`. */
  readonly role?: BlockRole;
  /** Default `single`. */
  readonly callConvention?: CallConvention;
  /**
   * The block looks up integer token ids (Embedding): it must be fed straight from an int32 Input,
   * and an int32 Input may feed only such blocks (LL019, LL021). `vocabularyParam` names the
   * parameter holding the vocabulary size (ids must be below it).
   */
  readonly tokenIds?: { readonly vocabularyParam: string };
  /**
   * True when, with these params, the layer's output in training mode is random (dropout): two
   * training-mode calls on the same input differ. Absent: training mode is deterministic.
   */
  readonly randomInTraining?: (params: Params) => boolean;
  /**
   * The block offers Keras's `TimeDistributed` wrapper as its `time_distributed` option (added by
   * {@link defineBlock}): the layer runs on each step of the first axis with shared weights.
   */
  readonly timeDistributable?: boolean;
  /**
   * The rank of each weight the block offers a constraint on (`kernel: 4` for a Conv2D kernel), so
   * {@link defineBlock} reports a constraint axis the weight does not have (constraintParams.ts).
   */
  readonly constrainedWeightRanks?: Readonly<Record<string, number>>;
  readonly params: readonly ParamSpec[];
  /** Input ports; may depend on params (merge blocks grow ports with `num_inputs`). */
  ports(params: Params): readonly PortSpec[];
  /**
   * Output ports, in the order the Keras layer returns its tensors; the first is always `out`
   * ({@link DEFAULT_OUTPUT_PORT}). Absent: one `out` port. A recurrent layer with `return_state`
   * adds its final states (`h`, LSTM's `c`, and the backward ones when bidirectional).
   */
  readonly outputs?: (params: Params) => readonly PortSpec[];
  /** Output shape from the connected input shapes (in port order; `null` for an unconnected optional port). */
  inferShape(inputs: readonly (Shape | null)[], params: Params): ShapeResult;
  /** Weight counts, given valid input shapes. */
  paramCount(inputs: readonly (Shape | null)[], params: Params): ParamCount;
  /**
   * Multiply-accumulates of one forward pass for one sample, given valid input shapes and the
   * inferred output shape (formulas in docs/analyzer.md); `null` when a variable size (`None`)
   * decides it. Absent: the block does no multiply-accumulates (pooling, merges, normalisation,
   * activations, lookups).
   */
  readonly macs?: (inputs: readonly (Shape | null)[], params: Params, output: Shape) => number | null;
  /** The Keras layer this block is. Absent only for Input and Output, which are not layers. */
  readonly keras?: (params: Params, inputs: readonly (Shape | null)[]) => KerasCall;
  /** Where tfjs spells the call differently from the default rule. */
  readonly tfjs?: TfjsSpelling;
}

/** Everything Layerloom knows about one block type: its spec with the defaults filled in. */
export interface BlockDef extends BlockSpec {
  readonly role: BlockRole;
  readonly callConvention: CallConvention;
  readonly outputs: (params: Params) => readonly PortSpec[];
  /**
   * The layer as a constructor call in Keras and tfjs spelling (the Keras call plus its derived tfjs
   * spelling). Absent only for Input and Output.
   */
  layerCall?(params: Params, inputs: readonly (Shape | null)[]): LayerCall;
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
