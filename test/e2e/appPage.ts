/**
 * Page object of the editor: what a user does (open a template, drag a block, connect, edit a
 * parameter, undo…) and what they see (a block's shape, its error badge, the status bar), so the
 * journeys read as user stories and survive markup changes in one place.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Locator, type Page, type TestInfo } from '@playwright/test';

/** Fixture projects (test/e2e/fixtures/*.layerloom). */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A block as the test hook reports it. */
export interface HookNode {
  readonly id: string;
  readonly type: string;
  readonly label: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly position: { readonly x: number; readonly y: number };
}

/** The document as the test hook reports it. */
export interface HookDoc {
  readonly name: string;
  readonly nodes: readonly HookNode[];
  readonly edges: readonly { readonly id: string; readonly source: string; readonly sourcePort: string; readonly target: string; readonly targetPort: string }[];
  readonly dataset: { readonly path: string; readonly kind?: string; readonly targetColumn?: string } | null;
  readonly training: Readonly<Record<string, unknown>> | null;
}

/** The shape of `globalThis.__layerloom` (set by renderer/main.tsx for tests and benchmarks). */
interface Hook {
  editor: { doc: HookDoc; state: { path: string | null; analysis: { valid: boolean } }; dirty: boolean };
}

/** The editor page. */
export class AppPage {
  constructor(
    readonly page: Page,
    private readonly testInfo: TestInfo,
  ) {}

  /** Opens the app and waits for the host connection. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await expect(this.page.getByTestId('statusbar')).toContainText('Connected');
    await expect(this.page.locator('.react-flow__renderer')).toBeVisible();
  }

  /** Saves a screenshot as a test artifact. */
  async shot(name: string): Promise<void> {
    const path = this.testInfo.outputPath(`${String(++this.shots).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path });
    await this.testInfo.attach(name, { path, contentType: 'image/png' });
  }
  private shots = 0;

  /** The document in the editor (read through the test hook). */
  doc(): Promise<HookDoc> {
    return this.page.evaluate(() => (globalThis as unknown as { __layerloom: Hook }).__layerloom.editor.doc);
  }

  /** The label of the block with this id. */
  async labelOf(id: string): Promise<string> {
    const node = (await this.doc()).nodes.find((n) => n.id === id);
    if (!node) throw new Error(`No block with id ${id}`);
    return node.label;
  }

  /** A block on the canvas, by label. */
  node(label: string): Locator {
    return this.page.locator(`.react-flow__node [data-node-label="${label}"]`);
  }

  /** The output shape a block shows. */
  async shapeOf(label: string): Promise<string> {
    return ((await this.node(label).getByTestId('node-shape').textContent()) ?? '').trim();
  }

  /** The diagnostic badge of a block. */
  badge(label: string): Locator {
    return this.node(label).getByTestId('node-badge');
  }

  /** Shape labels drawn on connections. */
  edgeLabels(): Locator {
    return this.page.locator('.ll-edge-label');
  }

  /** "New from template" → the template with this id. */
  async newFromTemplate(id: string): Promise<void> {
    await this.page.getByTestId('tb-template').click();
    await this.page.locator(`[data-template="${id}"]`).click();
    // A project with unsaved changes asks first; that dialog can appear a moment after the click,
    // so wait for either it or the templates dialog closing, not one look.
    const confirm = this.page.getByTestId('confirm');
    const templates = this.page.getByTestId('dialog-templates');
    await expect
      .poll(async () => {
        if (await confirm.isVisible().catch(() => false)) {
          await confirm.click().catch(() => undefined);
          return false;
        }
        return !(await templates.isVisible().catch(() => true)) && !(await confirm.isVisible().catch(() => false));
      }, { timeout: 15_000, intervals: [100, 200, 300] })
      .toBe(true);
    await this.settle();
  }

  /** Drags a block from the palette onto the canvas at a point relative to the canvas. */
  async dragBlock(type: string, at: { x: number; y: number }): Promise<void> {
    await this.page.locator(`.ll-palette-item[data-block-type="${type}"]`).dragTo(this.page.getByTestId('canvas'), { targetPosition: at });
  }

  /** Connects `from`'s output (`fromPort`, e.g. an LSTM's `h`) to `to`'s input port by dragging between the handles. */
  async connect(from: string, to: string, port = 'in', fromPort = 'out'): Promise<void> {
    const src = await this.node(from).locator(`.react-flow__handle.source[data-handleid="${fromPort}"]`).boundingBox();
    const dst = await this.node(to).locator(`.react-flow__handle[data-handleid="${port}"]`).boundingBox();
    if (!src || !dst) throw new Error(`Cannot see the handles of ${from} → ${to}`);
    const m = this.page.mouse;
    await m.move(src.x + src.width / 2, src.y + src.height / 2);
    await m.down();
    await m.move((src.x + dst.x) / 2, (src.y + dst.y) / 2 + 20, { steps: 8 });
    await m.move(dst.x + dst.width / 2, dst.y + dst.height / 2, { steps: 8 });
    await m.up();
  }

  /** Waits until the view stops moving (zoom-to-fit animates after a project loads). */
  async settle(): Promise<void> {
    const viewport = this.page.locator('.react-flow__viewport');
    let last = '';
    for (let i = 0; i < 40; i++) {
      await this.page.waitForTimeout(120);
      const now = (await viewport.getAttribute('style')) ?? '';
      if (now === last) return;
      last = now;
    }
  }

  /** Selects exactly one block by clicking its header. */
  async select(label: string): Promise<void> {
    await this.page.locator('body').press('Escape');
    // Blocks outside the view are not drawn (a tall graph opens showing its top): bring it into view
    // as the summary's row click does.
    if ((await this.node(label).count()) === 0) {
      await this.page.evaluate((l) => {
        const ll = (globalThis as unknown as { __layerloom: { editor: { doc: { nodes: { id: string; label: string }[] } }; canvas(): { focusNode(id: string): void } } }).__layerloom;
        const n = ll.editor.doc.nodes.find((x) => x.label === l);
        if (n) ll.canvas().focusNode(n.id);
      }, label);
      await this.settle();
    }
    await this.node(label).locator('.ll-node-type').click();
    await expect(this.page.getByTestId('inspector')).toBeVisible();
  }

  /** Types a parameter value into the inspector (Enter applies it). */
  async setParam(name: string, value: string): Promise<void> {
    const input = this.page.locator(`[data-testid=inspector] [data-param="${name}"] input`);
    await input.fill(value);
    await input.press('Enter');
  }

  /** Clicks a quick-fix button (in the inspector or problems panel). */
  async quickFix(id: string): Promise<void> {
    await this.page.getByTestId(`quickfix-${id}`).first().click();
  }

  /** Presses a shortcut with focus on the canvas. */
  async shortcut(keys: string): Promise<void> {
    await this.page.keyboard.press(keys);
  }

  /** Undo / redo with the keyboard. */
  async undo(): Promise<void> {
    await this.shortcut('Control+z');
  }
  async redo(): Promise<void> {
    await this.shortcut('Control+Shift+z');
  }

  /** Opens a bottom-dock tab. */
  async tab(name: 'problems' | 'analyzer' | 'dataset' | 'training' | 'code'): Promise<void> {
    const tab = this.page.getByTestId(`tab-${name}`);
    if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  }

  /** Host capabilities (which services are connected). */
  capabilities(): Promise<Record<string, boolean>> {
    return this.page.evaluate(async () => {
      const ll = (globalThis as unknown as { __layerloom: { api: { getAppInfo(): Promise<{ capabilities: Record<string, boolean> }> } } }).__layerloom;
      return (await ll.api.getAppInfo()).capabilities;
    });
  }

  /** Scans a dataset path and applies it to the model. */
  async useDataset(path: string): Promise<void> {
    await this.tab('dataset');
    await this.page.getByTestId('dataset-path').fill(path);
    await this.page.getByTestId('dataset-scan').click();
    await expect(this.page.getByTestId('dataset-report')).toBeVisible({ timeout: 60_000 });
    await this.page.getByTestId('dataset-use').click();
  }

  /** Saves with Ctrl+S, typing the path when the project has none. */
  async saveAs(path: string): Promise<void> {
    await this.shortcut('Control+s');
    const dialog = this.page.getByTestId('dialog-save');
    await expect(dialog).toBeVisible();
    await dialog.getByTestId('path-input').fill(path);
    await dialog.getByTestId('path-submit').click();
    await expect(dialog).toBeHidden();
    await expect(this.page.getByTestId('dirty-marker')).toBeHidden();
  }

  /** Opens a project by path through the Open dialog. */
  async openPath(path: string): Promise<void> {
    await this.page.getByTestId('tb-open').click();
    const dialog = this.page.getByTestId('dialog-open');
    await dialog.getByTestId('path-input').fill(path);
    await dialog.getByTestId('path-submit').click();
    await expect(dialog).toBeHidden();
    await this.settle();
  }

  /** Saves the mnist example, pointed at the bundled digits, as `digits.layerloom` in `folder` and opens it; returns its path. */
  async openDigits(folder: string): Promise<string> {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const project = join(folder, 'digits.layerloom');
    const doc = JSON.parse(await readFile(join(root, 'examples', 'mnist-cnn.layerloom'), 'utf8')) as { dataset: { path: string } };
    doc.dataset.path = join(root, 'assets', 'datasets', 'digits');
    await writeFile(project, JSON.stringify(doc, null, 2));
    await this.openPath(project);
    return project;
  }

  /** Opens a copy of a fixture project (so saving never touches the fixture); returns its path. */
  async openFixture(name: string): Promise<string> {
    const path = this.testInfo.outputPath(`${name}.layerloom`);
    await copyFile(`${FIXTURES}${name}.layerloom`, path);
    await this.openPath(path);
    return path;
  }

  /** The text of the newest toast. */
  lastToast(): Locator {
    return this.page.locator('.ll-toast').last();
  }

  /** True when the editor has unsaved changes. */
  dirty(): Promise<boolean> {
    return this.page.evaluate(() => (globalThis as unknown as { __layerloom: Hook }).__layerloom.editor.dirty);
  }
}

