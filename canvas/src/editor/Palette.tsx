import { memo, useMemo, useState, type DragEvent } from 'react';
import type { NodeType } from '../api/types.js';
import { FAMILY_ORDER, FAMILY_TITLE } from './model.js';

export const DRAG_TYPE = 'application/x-revflow-node';

/** Node types grouped by family, with search: click to add, or drag onto the canvas. */
/** Memoised: the editor re-renders on every drag frame, the palette has no reason to. */
export const Palette = memo(PaletteView);

function PaletteView({ types, onAdd }: { types: Map<string, NodeType>; onAdd: (type: string) => void }) {
  const [query, setQuery] = useState('');
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const byFamily = new Map<string, NodeType[]>();
    for (const type of types.values()) {
      const text = `${type.title} ${type.type} ${type.description}`.toLowerCase();
      if (q && !text.includes(q)) continue;
      byFamily.set(type.family, [...(byFamily.get(type.family) ?? []), type]);
    }
    const rank = (family: string): number => FAMILY_ORDER.indexOf(family) + 1 || 99;
    return [...byFamily].sort(([a], [b]) => rank(a) - rank(b));
  }, [types, query]);

  const onDragStart = (event: DragEvent<HTMLButtonElement>, type: string): void => {
    event.dataTransfer.setData(DRAG_TYPE, type);
    event.dataTransfer.effectAllowed = 'move';
  };

  return (
    <aside className="palette" data-testid="palette">
      <input
        className="search palette__search"
        placeholder="Search nodes"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="palette-search"
      />
      <div className="palette__groups">
        {groups.map(([family, members]) => (
          <section key={family}>
            <h4>{FAMILY_TITLE[family] ?? family}</h4>
            {members.map((type) => (
              <button
                key={type.type}
                className={`palette__item palette__item--${type.family}`}
                draggable
                onDragStart={(event) => onDragStart(event, type.type)}
                onClick={() => onAdd(type.type)}
                title={type.docs ?? type.description}
                data-testid={`palette-${type.type}`}
              >
                <strong>{type.title}</strong>
                <small>{type.description}</small>
              </button>
            ))}
          </section>
        ))}
        {groups.length === 0 && <p className="muted">No node matches “{query}”.</p>}
      </div>
    </aside>
  );
}
