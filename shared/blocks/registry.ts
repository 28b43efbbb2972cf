/**
 * The block catalog. Adding a block: write it in its family file and list it here.
 */
import type { BlockDef, BlockRole } from './types.js';
import { coreBlocks } from './core.js';
import { convBlocks } from './conv.js';
import { poolingBlocks } from './pooling.js';
import { normalizationBlocks } from './normalization.js';
import { mergeBlocks } from './merge.js';
import { embeddingBlocks } from './embedding.js';
import { recurrentBlocks } from './recurrent.js';
import { attentionBlocks } from './attention.js';
import { activationBlocks } from './activations.js';
import { paddingBlocks } from './padding.js';
import { preprocessingBlocks } from './preprocessing.js';
import { noiseBlocks } from './noise.js';

const FAMILIES: readonly (readonly BlockDef[])[] = [
  coreBlocks,
  activationBlocks,
  convBlocks,
  poolingBlocks,
  paddingBlocks,
  normalizationBlocks,
  preprocessingBlocks,
  noiseBlocks,
  mergeBlocks,
  embeddingBlocks,
  recurrentBlocks,
  attentionBlocks,
];

/** Every block, in palette order. */
export const BLOCKS: readonly BlockDef[] = FAMILIES.flat();

const BY_TYPE: ReadonlyMap<string, BlockDef> = new Map(BLOCKS.map((b) => [b.type, b]));

/** The block definition for a type id, or undefined for an unknown type. */
export function getBlock(type: string): BlockDef | undefined {
  return BY_TYPE.get(type);
}

/**
 * The role of a block type (`input`, `output`, `layer`), or undefined for an unknown type. Code
 * outside shared/blocks asks this instead of comparing type names.
 */
export function blockRole(type: string): BlockRole | undefined {
  return BY_TYPE.get(type)?.role;
}

/** The first block type with this role (the palette's Input or Output block). */
export function blockTypeWithRole(role: Exclude<BlockRole, 'layer'>): string {
  const def = BLOCKS.find((b) => b.role === role);
  if (!def) throw new Error(`The block catalog has no ${role} block.`);
  return def.type;
}
