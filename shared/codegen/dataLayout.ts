/**
 * The README paragraph on what the dataset must look like, shared by the Keras and TS exports.
 */
import { MAX_CATEGORIES } from '../training/csvPrep.js';
import { IMAGE_PIXEL_DIVISOR, type TrainingPlan } from './training.js';

/** The "what the data folder must look like" paragraph, shared by both READMEs. */
export function dataLayout(t: TrainingPlan): string {
  switch (t.dataKind) {
    case 'images': {
      const img = t.image as NonNullable<TrainingPlan['image']>;
      return `A folder with one subfolder per class; the subfolder names, sorted, are the classes:

\`\`\`
data/
  cats/  001.png  002.jpg ...
  dogs/  001.png ...
\`\`\`

Images are resized to ${img.height}×${img.width} (bilinear with half-pixel centres, as \`tf.image.resize\`), converted to ${img.colorMode} and their pixels divided by ${IMAGE_PIXEL_DIVISOR}. The validation images are the ones Layerloom holds out for the same seed (its seeded split, per class).`;
    }
    case 'text': {
      const txt = t.text as NonNullable<TrainingPlan['text']>;
      return `A folder with one subfolder of \`.txt\` files per class; the subfolder names, sorted, are the classes. Texts are tokenized as Keras \`TextVectorization\` does (A–Z lower-cased, ASCII punctuation stripped, split on ASCII whitespace); the ${txt.vocabularySize - 2} most frequent words get ids 2 and up (0 is padding, 1 an unknown word), and each text is ${txt.sequenceLength === null ? 'padded to the longest one' : `cut or padded to ${txt.sequenceLength} tokens`}.`;
    }
    case 'csv': {
      const csv = t.csv as NonNullable<TrainingPlan['csv']>;
      return `A CSV file with a header row. The column ${csv.targetColumn === null ? 'last column' : `\`${csv.targetColumn}\``} is the target; the others are features: numeric columns are standardized (training rows' mean and standard deviation, empty cells becoming the mean), text columns with at most ${MAX_CATEGORIES} distinct values one-hot encoded. The model takes ${csv.features} feature values per row. The validation rows are the ones Layerloom holds out for the same seed.`;
    }
    default:
      return `The scripts have no loader for this model: ${t.dataProblem ?? ''}`;
  }
}

