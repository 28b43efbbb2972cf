/**
 * The block catalog. Adding a block: write it in its family file and list it here.
 */
import type { BlockDef } from './types.js';
import { coreBlocks } from './core.js';
import { convBlocks } from './conv.js';
import { poolingBlocks } from './pooling.js';
import { normalizationBlocks } from './normalization.js';
import { mergeBlocks } from './merge.js';
import { embeddingBlocks } from './embedding.js';
import { recurrentBlocks } from './recurrent.js';
import { attentionBlocks } from './attention.js';

const FAMILIES: readonly (readonly BlockDef[])[] = [coreBlocks, convBlocks, poolingBlocks, normalizationBlocks, mergeBlocks, embeddingBlocks, recurrentBlocks, attentionBlocks];

/** Every block, in palette order. */
export const BLOCKS: readonly BlockDef[] = FAMILIES.flat();

const BY_TYPE: ReadonlyMap<string, BlockDef> = new Map(BLOCKS.map((b) => [b.type, b]));

/** The block definition for a type id, or undefined for an unknown type. */
export function getBlock(type: string): BlockDef | undefined {
  return BY_TYPE.get(type);
}
