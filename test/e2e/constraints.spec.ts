/**
 * Weight constraints in the inspector's Advanced section: pick max_norm on a Dense kernel, give it
 * an axis the kernel lacks (an error on the block naming the fix), then a valid one.
 */
import { expect, test } from './fixtures.js';

test('a kernel constraint is set in the Advanced section (its numbers shown only for kinds that read them), and an axis the kernel lacks is an error on the block', async ({ app, page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await app.newFromTemplate('mlp');
  await app.select('dense');
  const inspector = page.getByTestId('inspector');
  await inspector.getByRole('button', { name: /Advanced/ }).click();
  // Under "none" a constraint's numbers stay hidden; max_norm shows its max and axes, not min_max_norm's min and rate.
  await expect(inspector.locator('[data-param="kernel_constraint_max_value"]')).toHaveCount(0);
  await inspector.locator('[data-param="kernel_constraint"] select').selectOption('max_norm');
  const max = inspector.locator('[data-param="kernel_constraint_max_value"] input');
  await expect(max).toBeVisible();
  await expect(inspector.locator('[data-param="kernel_constraint_min_value"]')).toHaveCount(0);
  await expect(inspector.locator('[data-param="kernel_constraint_rate"]')).toHaveCount(0);
  await max.fill('0.5');
  await max.press('Enter');
  const axis = inspector.locator('[data-param="kernel_constraint_axis"] input');
  await axis.fill('0, 2');
  await axis.press('Enter');
  await expect(app.badge('dense')).toBeVisible();
  await expect(inspector).toContainText('the kernel has 2 axes (0 to 1), so its constraint cannot take norms over axis 2');
  await inspector.locator('[data-param="kernel_constraint"]').scrollIntoViewIfNeeded();
  await app.shot('constraint-axis-error-1280');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await app.shot('constraint-axis-error-1920');
  await axis.fill('0');
  await axis.press('Enter');
  await expect(app.badge('dense')).toBeHidden();
  const dense = (await app.doc()).nodes.find((n) => n.label === 'dense');
  expect(dense?.params).toMatchObject({ kernel_constraint: 'max_norm', kernel_constraint_max_value: 0.5, kernel_constraint_axis: [0] });
  await app.shot('constraint-set-1920');
});
