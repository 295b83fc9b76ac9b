import { useEffect, useState } from 'react';
import type { JsonValue } from '../api/types.js';

/** JSON text for any value; the value changes only when the text parses. */
export function JsonField(props: {
  value: JsonValue | undefined;
  onChange: (value: JsonValue | undefined) => void;
  testId?: string;
  rows?: number;
}) {
  const serialise = (value: JsonValue | undefined): string =>
    value === undefined ? '' : JSON.stringify(value, null, 2);
  const [text, setText] = useState(() => serialise(props.value));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // Follow outside changes (undo, condition builder) unless they are what we typed.
    setText((current) => {
      try {
        if (current.trim() !== '' && JSON.stringify(JSON.parse(current)) === JSON.stringify(props.value))
          return current;
      } catch {
        /* keep what is being typed */
        return current;
      }
      return serialise(props.value);
    });
  }, [props.value]);
  const change = (next: string): void => {
    setText(next);
    if (next.trim() === '') {
      setError(null);
      props.onChange(undefined);
      return;
    }
    try {
      props.onChange(JSON.parse(next) as JsonValue);
      setError(null);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : 'Not valid JSON');
    }
  };
  return (
    <>
      <textarea
        className="mono"
        rows={props.rows ?? 4}
        value={text}
        spellCheck={false}
        onChange={(e) => change(e.target.value)}
        data-testid={props.testId}
      />
      {error && <small className="field__error">{error}</small>}
    </>
  );
}
