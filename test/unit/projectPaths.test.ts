/**
 * The one rule for paths in a project: relative to the project file once saved, absolute while
 * unsaved, rebased on Save As, resolved by one function (shared/graph/projectPaths.ts) that the
 * services use too (datasetService.resolveDatasetPath). Compared with Node's own path module.
 */
import { describe, expect, it } from 'vitest';
import { posix, win32 } from 'node:path';
import { emptyDocument } from '../../shared/graph/document.js';
import { ProjectPathError, rebaseProjectPaths, resolveProjectPath, storedProjectPath } from '../../shared/graph/projectPaths.js';
import { DatasetError, resolveDatasetPath } from '../../electron/services/datasetService.js';

describe('resolveProjectPath', () => {
  it.each([
    ['data/digits', '/home/ann/proj/net.layerloom'],
    ['./data/../data/digits/', '/home/ann/proj/net.layerloom'],
    ['../shared/iris.csv', '/home/ann/proj/net.layerloom'],
    ['../../../../x', '/a/net.layerloom'],
    ['/srv/data//digits', '/home/ann/proj/net.layerloom'],
  ])('resolves %s against %s as Node does (POSIX)', (stored, project) => {
    expect(resolveProjectPath(stored, project)).toBe(posix.resolve(posix.dirname(project), stored).replace(/(.)\/$/, '$1'));
  });

  it.each([
    ['data\\digits', 'C:\\Users\\ann\\proj\\net.layerloom'],
    ['..\\shared\\iris.csv', 'C:\\Users\\ann\\proj\\net.layerloom'],
    ['data/digits', 'C:\\Users\\ann\\net.layerloom'],
    ['D:\\data\\digits', 'C:\\Users\\ann\\net.layerloom'],
    ['data', '\\\\server\\share\\proj\\net.layerloom'],
  ])('resolves %s against %s as Node does (Windows)', (stored, project) => {
    expect(resolveProjectPath(stored, project)).toBe(win32.resolve(win32.dirname(project), stored));
  });

  it('refuses a relative path while the project is unsaved, saying what to do', () => {
    expect(() => resolveProjectPath('data/digits', null)).toThrow(ProjectPathError);
    expect(() => resolveProjectPath('data/digits', null)).toThrow(/not been saved yet.*full path.*or save the project first/);
    expect(resolveProjectPath('/data/digits', null)).toBe('/data/digits');
  });

  it('is what the services resolve with (scan, train, export, command line)', () => {
    expect(resolveDatasetPath('data/digits', '/home/ann/proj/net.layerloom')).toBe('/home/ann/proj/data/digits');
    expect(() => resolveDatasetPath('data/digits', null)).toThrow(DatasetError);
  });
});

describe('storedProjectPath', () => {
  it('stores relative to the project file with forward slashes, absolute when unsaved or on another drive', () => {
    expect(storedProjectPath('/home/ann/proj/data/digits', '/home/ann/proj/net.layerloom')).toBe('data/digits');
    expect(storedProjectPath('/home/ann/shared/iris.csv', '/home/ann/proj/net.layerloom')).toBe('../shared/iris.csv');
    expect(storedProjectPath('/home/ann/proj', '/home/ann/proj/net.layerloom')).toBe('.');
    expect(storedProjectPath('/home/ann/proj/data', null)).toBe('/home/ann/proj/data');
    expect(storedProjectPath('C:\\Users\\ann\\data\\digits', 'C:\\Users\\ann\\proj\\net.layerloom')).toBe('../data/digits');
    expect(storedProjectPath('D:\\data', 'C:\\Users\\ann\\proj\\net.layerloom')).toBe('D:\\data');
  });

  it('round-trips: what is stored resolves back to the same place', () => {
    for (const [abs, project] of [
      ['/a/b/c/d', '/a/x/y/p.layerloom'],
      ['/a', '/a/b/p.layerloom'],
      ['/z/q', '/a/b/p.layerloom'],
    ]) {
      expect(resolveProjectPath(storedProjectPath(abs, project), project)).toBe(abs);
    }
  });
});

describe('rebaseProjectPaths', () => {
  const withData = (path: string) => ({ ...emptyDocument('p'), dataset: { path, kind: 'images' as const } });
  it('rewrites the dataset relative to the new file on Save As, and stores an unsaved absolute path relative on first save', () => {
    expect(rebaseProjectPaths(withData('data/digits'), '/home/ann/a/p.layerloom', '/home/ann/b/p.layerloom').dataset?.path).toBe('../a/data/digits');
    expect(rebaseProjectPaths(withData('/home/ann/data/digits'), null, '/home/ann/b/p.layerloom').dataset?.path).toBe('../data/digits');
  });
  it('returns the same document when nothing changes', () => {
    const doc = withData('data/digits');
    expect(rebaseProjectPaths(doc, '/home/ann/a/p.layerloom', '/home/ann/a/p.layerloom')).toBe(doc);
    const none = emptyDocument('x');
    expect(rebaseProjectPaths(none, null, '/x/p.layerloom')).toBe(none);
  });
});
