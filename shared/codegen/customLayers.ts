/**
 * Layerloom's own layers in the exports: the Keras class model.py defines for each, and how its
 * weights map onto that class. Layers that exist in Keras (attention → `layers.MultiHeadAttention`)
 * need no class here, only a weight mapping (weightLayout.ts).
 */

import type { KerasArg } from '../blocks/types.js';

/** A Keras class shipped inside model.py. */
export interface CustomKerasLayer {
  /** Class name, as LayerCall.kerasClass spells it. */
  readonly kerasClass: string;
  /** Python source of the class (registered as serializable, so `model.keras` files reload). */
  readonly python: string;
  /** Import lines the class needs beyond keras/layers. */
  readonly imports: readonly string[];
  /** Its constructor's defaults (left out of calls, as for Keras's own classes). */
  readonly defaults: Readonly<Record<string, KerasArg>>;
}

/**
 * keras_hub's `PositionEmbedding` (same arguments, weight name and maths), defined in model.py so
 * the export needs no keras_hub install.
 */
const POSITION_EMBEDDING: CustomKerasLayer = {
  kerasClass: 'PositionEmbedding',
  imports: ['from keras import ops'],
  defaults: { initializer: 'glorot_uniform' },
  python: `@keras.saving.register_keras_serializable(package="layerloom")
class PositionEmbedding(layers.Layer):
    """Learned position vectors, as keras_hub.layers.PositionEmbedding.

    Holds a (sequence_length, features) table; the output is its first \`length\` rows,
    broadcast to the input's shape. Add it to the token embeddings.
    """

    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.sequence_length, input_shape[-1]),
            initializer=self.initializer,
        )

    def call(self, inputs):
        shape = ops.shape(inputs)
        table = ops.slice(self.embeddings, (0, 0), (shape[-2], shape[-1]))
        return ops.broadcast_to(table, shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            sequence_length=self.sequence_length,
            initializer=keras.initializers.serialize(self.initializer),
        )
        return config
`,
};

const CUSTOM_KERAS_LAYERS: Readonly<Record<string, CustomKerasLayer>> = { PositionEmbedding: POSITION_EMBEDDING };

/** The class model.py must define for `kerasClass`, or undefined for a class of `keras.layers`. */
export function customKerasLayer(kerasClass: string): CustomKerasLayer | undefined {
  return Object.prototype.hasOwnProperty.call(CUSTOM_KERAS_LAYERS, kerasClass) ? CUSTOM_KERAS_LAYERS[kerasClass] : undefined;
}
