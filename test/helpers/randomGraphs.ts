/**
 * Seeded random graphs over the whole block catalog, for property tests: most are invalid
 * (which must only ever produce diagnostics), the valid ones must compile to exactly what
 * analysis inferred.
 */
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import { BLOCKS } from '../../shared/blocks/registry.js';
import type { Dim, ParamSpec, ParamValue } from '../../shared/blocks/types.js';
import { emptyDocument, type ProjectDocument } from '../../shared/graph/document.js';
import { addNode, connect } from '../../shared/graph/operations.js';

/** Mulberry32: small, fast, good enough for test generation. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function randomParam(r: () => number, spec: ParamSpec): ParamValue {
  if (r() < 0.5) return spec.default;
  const lo = spec.min ?? 1;
  switch (spec.kind) {
    case 'int':
      return Math.min(spec.max ?? Infinity, Math.max(lo, Math.floor(lo + r() * 6)));
    case 'float':
      return Math.round(r() * 0.9 * 100) / 100;
    case 'bool':
      return r() < 0.5;
    case 'enum':
      return pick(r, spec.options ?? [String(spec.default)]);
    case 'string':
      return String(spec.default);
    case 'ints':
    case 'shape': {
      const n = spec.length ?? (Array.isArray(spec.default) ? spec.default.length : 2);
      return Array.from({ length: n }, (): Dim => Math.max(1, Math.floor(1 + r() * 4)));
    }
  }
}

/** A random graph: one Input, `size` random blocks wired to random earlier nodes, one Output. */
export function randomGraph(seed: number, size = 5): ProjectDocument {
  const r = rng(seed);
  // Frozen layers (params.trainable) come from a stream of their own, so adding the parameter left
  // every other draw, and so the graph of each seed, as it was.
  const frozen = rng(seed * 7919 + 1);
  // Embedding's mask_zero likewise.
  const masks = rng(seed * 104_729 + 3);
  // And the TimeDistributed option: its own stream, rarely on.
  const timeDistributed = rng(seed * 130_363 + 5);
  // A recurrent block's return_state too (its state ports stay unwired here); initial_state stays
  // off, as its ports want states, not whatever random block comes before.
  const states = rng(seed * 155_921 + 7);
  const retries = rng(seed * 199_999 + 13);
  let tries = 0;
  // Weight regularizers and constraints: their own stream, mostly off, so the many parameters they
  // add to each weight-carrying block leave the graph of each seed as it was.
  const penalties = rng(seed * 181_081 + 11);
  const layers = BLOCKS.filter((b) => b.type !== 'Input' && b.type !== 'Output');
  let doc = emptyDocument(`random_${seed}`);
  const rank = 1 + Math.floor(r() * 3);
  const shape: Dim[] = Array.from({ length: rank }, () => (r() < 0.1 ? null : 2 + Math.floor(r() * 10)));
  const wantsInts = r() < 0.15;
  const input = addNode(doc, 'Input', { x: 0, y: 0 }, { params: { shape, dtype: wantsInts ? 'int32' : 'float32' } });
  doc = input.doc;
  const ids = [input.nodeId];
  for (let i = 0; i < size; i++) {
    // Token ids only make sense into an Embedding, so an int32 graph starts with one.
    const def = i === 0 && wantsInts ? (layers.find((b) => b.type === 'Embedding') ?? pick(r, layers)) : pick(r, layers);
    const params: Record<string, ParamValue> = {};
    for (const spec of def.params) {
      if (spec.name === 'trainable') params[spec.name] = frozen() >= 0.25;
      else if (spec.name === 'mask_zero') params[spec.name] = masks() < 0.5;
      else if (spec.name === 'time_distributed') params[spec.name] = timeDistributed() < 0.2;
      else if (spec.name === 'return_state') params[spec.name] = states() < 0.3;
      else if (spec.name === 'initial_state') params[spec.name] = false;
      else if (/_(l1|l2)$|_constraint(_|$)/.test(spec.name)) params[spec.name] = penalties() < 0.15 ? randomParam(penalties, spec) : spec.default;
      else params[spec.name] = randomParam(r, spec);
    }
    const before = doc;
    const added = addNode(doc, def.type, { x: (i + 1) * 200, y: 0 }, { params });
    doc = added.doc;
    for (const port of def.ports(params)) {
      if (port.optional && r() < 0.5) continue;
      // Mostly chain to the previous node, sometimes branch from an earlier one.
      const from = r() < 0.7 ? ids[ids.length - 1] : pick(r, ids);
      doc = connect(doc, from, added.nodeId, port.name).doc;
    }
    // Most blocks want one input rank, and the catalog has many (1-D, 2-D, 3-D families): a block
    // that cannot take what it was wired to is usually drawn again (up to three times), so enough
    // graphs stay valid to exercise the compile path; some stay, for the error path.
    if (retries() < 0.6 && tries < 3 && analyzeGraph(doc).diagnostics.some((d) => d.nodeId === added.nodeId && d.severity === 'error')) {
      doc = before;
      tries++;
      i--;
      continue;
    }
    tries = 0;
    ids.push(added.nodeId);
  }
  const out = addNode(doc, 'Output', { x: (size + 1) * 200, y: 0 });
  doc = connect(out.doc, ids[ids.length - 1], out.nodeId, 'in').doc;
  return doc;
}
