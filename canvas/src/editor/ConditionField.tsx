import { useState } from 'react';
import type { JsonValue } from '../api/types.js';
import { JsonField } from './JsonField.js';

const OPERATORS = ['==', '!=', '>', '>=', '<', '<=', 'in'] as const;
type Operator = (typeof OPERATORS)[number];

interface Simple {
  path: string;
  op: Operator;
  value: string;
}

/** Reads `{ op: [{ var: path }, value] }`; anything else is edited as JSON only. */
function asSimple(rule: JsonValue | undefined): Simple | null {
  if (rule === undefined) return { path: 'input.', op: '==', value: '' };
  if (!rule || typeof rule !== 'object' || Array.isArray(rule)) return null;
  const [op, args] = Object.entries(rule)[0] ?? [];
  if (!OPERATORS.includes(op as Operator) || !Array.isArray(args) || args.length !== 2) return null;
  const [left, right] = args;
  if (!left || typeof left !== 'object' || Array.isArray(left) || typeof left.var !== 'string') return null;
  if (right !== null && typeof right === 'object') return null;
  return {
    path: left.var,
    op: op as Operator,
    value: right === null ? 'null' : typeof right === 'string' ? JSON.stringify(right) : String(right),
  };
}

function literal(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

/** A json-logic condition: a one-line builder for the common case, JSON for everything else. */
export function ConditionField(props: {
  value: JsonValue | undefined;
  onChange: (value: JsonValue | undefined) => void;
  testId: string;
}) {
  const simple = asSimple(props.value);
  const [mode, setMode] = useState<'builder' | 'json'>(simple ? 'builder' : 'json');
  const update = (next: Simple): void =>
    props.onChange({ [next.op]: [{ var: next.path }, literal(next.value)] });
  return (
    <div className="condition">
      <div className="segmented">
        <button
          type="button"
          className={mode === 'builder' ? 'on' : ''}
          disabled={!simple}
          onClick={() => setMode('builder')}
        >
          Builder
        </button>
        <button
          type="button"
          className={mode === 'json' ? 'on' : ''}
          onClick={() => setMode('json')}
          data-testid={`${props.testId}-json-mode`}
        >
          JSON
        </button>
      </div>
      {mode === 'builder' && simple ? (
        <div className="condition__row">
          <input
            value={simple.path}
            onChange={(e) => update({ ...simple, path: e.target.value })}
            placeholder="input.amount"
            data-testid={`${props.testId}-path`}
          />
          <select
            value={simple.op}
            onChange={(e) => update({ ...simple, op: e.target.value as Operator })}
            data-testid={`${props.testId}-op`}
          >
            {OPERATORS.map((op) => (
              <option key={op}>{op}</option>
            ))}
          </select>
          <input
            value={simple.value}
            onChange={(e) => update({ ...simple, value: e.target.value })}
            placeholder="60"
            data-testid={`${props.testId}-value`}
          />
        </div>
      ) : (
        <JsonField value={props.value} onChange={props.onChange} testId={props.testId} />
      )}
    </div>
  );
}
