import { useRef, type ReactNode, type UIEvent } from 'react';

const TOKEN =
  /(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|('(?:\\.|[^'\\\n])*'?|"(?:\\.|[^"\\\n])*"?|`(?:\\.|[^`\\])*`?)|\b(\d+(?:\.\d+)?)\b|\b(return|const|let|var|if|else|for|while|of|in|function|async|await|new|true|false|null|undefined|typeof|throw|try|catch|switch|case|break|continue|default)\b|\b(input|trigger|nodes|run|workspace|vars|console)\b/g;
const CLASSES = ['', 'tok-comment', 'tok-string', 'tok-number', 'tok-keyword', 'tok-scope'];

/** JavaScript → spans with token classes (a light highlighter; no library needed for one language). */
export function highlight(source: string): ReactNode[] {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const m of source.matchAll(TOKEN)) {
    const index = m.index;
    if (index > last) parts.push(source.slice(last, index));
    const group = m.findIndex((value, i) => i > 0 && value !== undefined);
    parts.push(
      <span key={index} className={CLASSES[group]}>
        {m[0]}
      </span>,
    );
    last = index + m[0].length;
  }
  parts.push(source.slice(last));
  return parts;
}

/** A code editor: a transparent textarea over a highlighted copy of its text. */
export function CodeField(props: {
  value: string;
  onChange: (value: string) => void;
  testId?: string;
  invalid?: boolean;
}) {
  const pre = useRef<HTMLPreElement>(null);
  const sync = (event: UIEvent<HTMLTextAreaElement>): void => {
    if (!pre.current) return;
    pre.current.scrollTop = event.currentTarget.scrollTop;
    pre.current.scrollLeft = event.currentTarget.scrollLeft;
  };
  return (
    <div className={`code-field${props.invalid ? ' code-field--invalid' : ''}`}>
      <pre ref={pre} aria-hidden="true">
        {highlight(props.value)}
        {'\n'}
      </pre>
      <textarea
        spellCheck={false}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        onScroll={sync}
        onKeyDown={(event) => {
          if (event.key !== 'Tab') return;
          event.preventDefault();
          const el = event.currentTarget;
          const { selectionStart, selectionEnd } = el;
          props.onChange(`${el.value.slice(0, selectionStart)}  ${el.value.slice(selectionEnd)}`);
          requestAnimationFrame(() => el.setSelectionRange(selectionStart + 2, selectionStart + 2));
        }}
        data-testid={props.testId}
      />
    </div>
  );
}
