/**
 * Templates: the example projects in `examples/`, offered by "New from template". A template opens
 * as a new, unsaved project, so the example file itself is never overwritten.
 */
import { blockRole } from '../../shared/blocks/registry.js';
import { readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { analyzeGraph } from '../../shared/analysis/analyze.js';
import type { OpenedProject, TemplateInfo } from '../../shared/api/types.js';
import type { ProjectDocument } from '../../shared/graph/document.js';
import { loadProjectFile } from './projectService.js';

const EXT = '.layerloom';

/** One-line descriptions of the bundled examples; other files get one derived from their blocks. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  'mnist-cnn': 'The classic Keras tutorial CNN for 28×28 grey digits: three convolutions, two poolings, a dense head.',
  'text-lstm': 'Token ids → Embedding → two stacked LSTMs → Dense classifier.',
  'transformer-classifier': 'Token + position embedding, one Transformer encoder block, pooling and a softmax head.',
  'resnet-mini': 'A small residual CNN: convolution blocks with BatchNormalization and skip connections (Add).',
  mlp: 'A small multi-layer perceptron for tabular data.',
};

/** "Conv2D ×3, MaxPooling2D ×2, Dense ×2" from the document's layers. */
export function describeLayers(doc: ProjectDocument): string {
  const counts = new Map<string, number>();
  for (const n of doc.nodes) if (blockRole(n.type) === 'layer') counts.set(n.type, (counts.get(n.type) ?? 0) + 1);
  const parts = [...counts].map(([t, c]) => (c > 1 ? `${t} ×${c}` : t));
  return parts.length ? parts.join(', ') : 'An empty network.';
}

/** Reads templates from a folder of example projects. */
export class TemplateService {
  constructor(readonly dir: string) {}

  private pathOf(id: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) throw new Error(`Invalid template id "${id}".`);
    return join(this.dir, `${id}${EXT}`);
  }

  /** Ids of the templates present, sorted with the CNN first (the sample project). */
  async ids(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const ids = names.filter((n) => n.endsWith(EXT)).map((n) => n.slice(0, -EXT.length));
    const rank = (id: string): number => {
      const i = Object.keys(DESCRIPTIONS).indexOf(id);
      return i === -1 ? 100 : i;
    };
    return ids.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }

  /** Every readable template with its preview; unreadable files are skipped. */
  async list(): Promise<TemplateInfo[]> {
    const out: TemplateInfo[] = [];
    for (const id of await this.ids()) {
      try {
        const { doc } = await loadProjectFile(this.pathOf(id));
        const analysis = analyzeGraph(doc);
        out.push({
          id,
          name: doc.name,
          description: DESCRIPTIONS[id] ?? describeLayers(doc),
          nodeCount: doc.nodes.length,
          params: analysis.totals.trainable + analysis.totals.nonTrainable,
          preview: {
            nodes: doc.nodes.map((n) => ({ id: n.id, type: n.type, x: n.position.x, y: n.position.y })),
            edges: doc.edges.map((e) => ({ source: e.source, target: e.target })),
          },
        });
      } catch {
        // A template that does not open is left out rather than breaking the gallery.
      }
    }
    return out;
  }

  /** A template as a new project (no path, so "Save" asks where). */
  async open(id: string): Promise<OpenedProject> {
    const { doc } = await loadProjectFile(this.pathOf(id));
    // The new project has no folder yet, so a dataset path relative to the example's folder is
    // made absolute; otherwise it would resolve against wherever the copy is saved.
    const dataset = doc.dataset && !isAbsolute(doc.dataset.path) ? { ...doc.dataset, path: resolve(this.dir, doc.dataset.path) } : doc.dataset;
    return { path: null, doc: { ...doc, dataset } };
  }

  /** The file of a template (absolute), e.g. to offer the sample project at start. */
  fileOf(id: string): string {
    return this.pathOf(id);
  }
}
