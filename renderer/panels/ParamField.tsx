/**
 * One inspector field, generated from a parameter's schema: numbers with their range, enums as
 * selects, booleans as switches, tuples and shapes as comma-separated sizes. Validates as you type;
 * a value of the right type is applied at once (out-of-range values are kept and reported on the
 * block, as in a file), and a whole burst of typing is one undo step.
 */
import { useEffect, useRef, useState, type JSX } from 'react';
import { checkParamType, checkParamValue } from '../../shared/blocks/paramUtils.js';
import type { ParamSpec, ParamValue } from '../../shared/blocks/types.js';
import { parseParamText } from '../../shared/editing/paramText.js';
import type { Diagnostic } from '../../shared/analysis/diagnostics.js';
import { CommandError, runEditorCommand } from '../editor/commands.js';
import { editor } from '../app/session.js';
import { toast } from '../state/uiStore.js';

function toText(spec: ParamSpec, value: ParamValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((d) => (d === null ? 'None' : String(d))).join(', ');
  return String(value);
}

let focusCounter = 0;

/** A parameter field. */
export function ParamField({ nodeId, spec, value, diagnostics }: { nodeId: string; spec: ParamSpec; value: ParamValue | undefined; diagnostics: readonly Diagnostic[] }): JSX.Element {
  const [draft, setDraft] = useState(() => toText(spec, value));
  const [parseError, setParseError] = useState<string | null>(null);
  const focused = useRef(false);
  const token = useRef('');
  const id = `p-${nodeId}-${spec.name}`;

  // Follow outside changes (undo, quick fixes) unless the user is typing here.
  useEffect(() => {
    if (!focused.current) {
      setDraft(toText(spec, value));
      setParseError(null);
    }
  }, [spec, value]);

  const commit = (v: ParamValue, coalesce: boolean) => {
    try {
      runEditorCommand(editor, 'graph.setParam', { nodeId, name: spec.name, value: v, ...(coalesce ? { coalesce: token.current } : {}) });
    } catch (e) {
      toast('warning', e instanceof CommandError ? e.message : String(e));
    }
  };

  const onText = (text: string) => {
    setDraft(text);
    const parsed = parseParamText(spec, text);
    if ('error' in parsed) return setParseError(parsed.error);
    const typeProblem = checkParamType(spec, parsed.value);
    if (typeProblem) return setParseError(typeProblem);
    setParseError(null);
    commit(parsed.value, true);
  };

  const rangeProblem = value === undefined ? null : checkParamValue(spec, value);
  const diag = diagnostics.find((d) => d.param === spec.name);
  const message = parseError ?? diag?.message ?? (rangeProblem ? `${spec.label}: ${rangeProblem}` : null);
  // A warning on the value (LL024: allowed but far larger than usual) is shown, not as an error.
  const onlyWarning = parseError === null && !rangeProblem && diag?.severity === 'warning';
  const range =
    spec.kind === 'int' || spec.kind === 'float'
      ? [spec.min !== undefined ? `${spec.minExclusive ? '>' : '≥'} ${spec.min}` : '', spec.max !== undefined ? `${spec.maxExclusive ? '<' : '≤'} ${spec.max}` : ''].filter(Boolean).join(', ')
      : '';

  let control: JSX.Element;
  if (spec.kind === 'bool') {
    control = (
      <label className="ll-switch">
        <input id={id} type="checkbox" checked={value === true} onChange={(e) => commit(e.target.checked, false)} />
        <span className="track" />
      </label>
    );
  } else if (spec.kind === 'enum') {
    control = (
      <select id={id} className="ll-input" value={typeof value === 'string' ? value : ''} onChange={(e) => commit(e.target.value, false)}>
        {!spec.options?.includes(String(value)) && <option value={String(value)}>{String(value)} (invalid)</option>}
        {spec.options?.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        id={id}
        className={`ll-input${message ? (onlyWarning ? ' warned' : ' invalid') : ''}${spec.kind === 'ints' || spec.kind === 'shape' || spec.kind === 'int' || spec.kind === 'float' ? ' mono' : ''}`}
        value={draft}
        inputMode={spec.kind === 'int' || spec.kind === 'float' ? 'decimal' : undefined}
        placeholder={spec.nullable ? 'auto' : spec.kind === 'shape' ? 'e.g. 28, 28, 1' : spec.kind === 'ints' ? 'e.g. 3, 3' : ''}
        spellCheck={false}
        onFocus={() => {
          focused.current = true;
          token.current = `f${++focusCounter}`;
        }}
        onBlur={() => {
          focused.current = false;
          setDraft(toText(spec, editor.doc.nodes.find((n) => n.id === nodeId)?.params[spec.name]));
          setParseError(null);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
        }}
        onChange={(e) => onText(e.target.value)}
        aria-invalid={Boolean(message) && !onlyWarning}
        aria-describedby={`${id}-help`}
      />
    );
  }

  return (
    <div className={`ll-field${message ? ' has-error' : ''}`} data-param={spec.name}>
      <label htmlFor={id} className="ll-field-label">
        {spec.label}
        {range && <span className="ll-field-range">{range}</span>}
      </label>
      {control}
      {message ? (
        <div className={onlyWarning ? 'll-field-warning' : 'll-field-error'} role={onlyWarning ? 'status' : 'alert'}>
          {message}
        </div>
      ) : (
        <div className="ll-field-help" id={`${id}-help`}>
          {spec.help}
        </div>
      )}
    </div>
  );
}
