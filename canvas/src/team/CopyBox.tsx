import { useState } from 'react';

/** A secret or link shown once, with a copy button. */
export function CopyBox({ label, value, testId }: { label: string; value: string; testId: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="copy-box">
      <small>{label}</small>
      <div className="copy-box__row">
        <code data-testid={testId}>{value}</code>
        <button className="btn btn--small" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}
