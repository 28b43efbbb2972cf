/**
 * The API contract: every method has argument validators, the facade exposes exactly the contract,
 * and wire messages decode strictly.
 */
import { describe, expect, it } from 'vitest';
import { API_EVENTS, API_METHODS, subscriptionName, type ApiMethod } from '../../shared/api/contract.js';
import { createApiFacade } from '../../shared/api/facade.js';
import { API_ARGUMENTS, validateArgs } from '../../shared/api/validation.js';
import { decodeHostMessage, decodeRequest } from '../../shared/api/wire.js';
import { ApiError } from '../../shared/api/errors.js';
import { emptyDocument } from '../../shared/graph/document.js';
import { addNode } from '../../shared/graph/operations.js';

describe('API contract', () => {
  it('validates the arguments of every method', () => {
    expect(Object.keys(API_ARGUMENTS).sort()).toEqual([...API_METHODS].sort());
    expect(validateArgs('getAppInfo', [])).toMatchObject({ ok: true });
    expect(validateArgs('getAppInfo', [1])).toMatchObject({ ok: false, errors: ['getAppInfo: expected 0 argument(s), got 1'] });
    expect(validateArgs('constructor', [])).toMatchObject({ ok: false, unknownMethod: true });
    expect(validateArgs('__proto__', [])).toMatchObject({ ok: false, unknownMethod: true });
    expect(validateArgs('openProject', 'x')).toMatchObject({ ok: false, unknownMethod: false });
  });

  it('refuses malformed values with the path to the problem', () => {
    const doc = addNode(emptyDocument('v'), 'Dense', { x: 0, y: 0 }).doc;
    const cases: [ApiMethod, unknown[], RegExp][] = [
      ['openProject', [''], /must not be empty/],
      ['openProject', ['x'.repeat(5000)], /too long/],
      ['saveProject', ['/tmp/a.layerloom', { ...doc, nodes: [{ ...doc.nodes[0], params: { units: -1.5 } }] }, null], /units/],
      ['saveProject', ['/tmp/a.layerloom', { ...doc, version: 99 }, null], /newer Layerloom/],
      ['scanDataset', [{ path: '/data' }], /projectPath: missing/],
      ['generateCode', [{ doc, target: 'pytorch' }], /target: expected one of "keras", "tfjs"/],
      ['exportCode', [{ doc, target: 'keras', folder: 7, projectPath: null }], /folder: expected text/],
      ['exportCode', [{ doc, target: 'java', folder: '/tmp/x', projectPath: null }], /target: expected one of "keras", "tfjs", "onnx"/],
      // ONNX is an export target, not a code preview.
      ['generateCode', [{ doc, target: 'onnx' }], /target: expected one of "keras", "tfjs"/],
      ['stopTraining', ['../../x'], /letters, digits/],
      ['pickPath', [{ purpose: 'deleteEverything' }], /purpose/],
    ];
    for (const [method, args, why] of cases) {
      const r = validateArgs(method, args);
      expect(r.ok, method).toBe(false);
      if (!r.ok) expect(r.errors.join('\n')).toMatch(why);
    }
  });

  it('accepts ONNX as an export target', () => {
    const doc = addNode(emptyDocument('o'), 'Dense', { x: 0, y: 0 }).doc;
    expect(validateArgs('exportCode', [{ doc, target: 'onnx', folder: '/tmp/x', projectPath: null }]).ok).toBe(true);
  });

  it('hands services a normalised document (re-read like a file: unknown keys kept, as a file keeps them)', () => {
    const doc = addNode(emptyDocument('n'), 'Dense', { x: 1, y: 2 }).doc;
    const r = validateArgs('generateCode', [{ doc: { ...doc, extra: 'kept' }, target: 'keras' }]);
    expect(r.ok).toBe(true);
    if (r.ok) expect((r.args[0] as { doc: unknown }).doc).toEqual({ ...doc, extra: 'kept' });
  });

  it('builds a facade with one function per method and one onXxx per event', async () => {
    const calls: [string, readonly unknown[]][] = [];
    const listeners = new Map<string, (p: unknown) => void>();
    const api = createApiFacade({
      call: async (method, args) => (calls.push([method, args]), 'ok'),
      subscribe: (event, listener) => (listeners.set(event, listener as (p: unknown) => void), () => listeners.delete(event)),
    });
    expect(Object.keys(api).sort()).toEqual([...API_METHODS, ...API_EVENTS.map((e) => subscriptionName(e))].sort());
    await api.openProject('/x.layerloom');
    expect(calls).toEqual([['openProject', ['/x.layerloom']]]);
    const got: string[] = [];
    const off = api.onAppCommand((e) => got.push(e.command));
    listeners.get('appCommand')?.({ command: 'file.save' });
    off();
    expect(got).toEqual(['file.save']);
    expect(listeners.has('appCommand')).toBe(false);
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('decodes wire messages strictly', () => {
    expect(decodeRequest('nope')).toEqual({ error: 'Message is not JSON.' });
    expect(decodeRequest('{"type":"request","id":1.5,"method":"x","args":[]}')).toEqual({ error: 'Request id must be an integer.' });
    expect(decodeRequest('{"type":"request","id":1,"method":"x","args":[2]}')).toEqual({ type: 'request', id: 1, method: 'x', args: [2] });
    expect(decodeHostMessage('{"type":"event","event":"nope","payload":{}}')).toBeNull();
    const err = decodeHostMessage('{"type":"response","id":3,"ok":false,"error":{"code":"not-found","message":"gone","details":["a"]}}');
    expect(err).toEqual({ type: 'response', id: 3, ok: false, error: { code: 'not-found', message: 'gone', details: ['a'] } });
    const e = ApiError.fromInfo({ code: 'failed', message: 'm', details: ['d'] });
    expect([e.code, e.message, e.details]).toEqual(['failed', 'm', ['d']]);
  });
});
