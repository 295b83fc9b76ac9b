import type { Edge } from '@xyflow/react';
import { useEffect, type MutableRefObject } from 'react';
import type { FlowNode, Graph } from './model.js';

/** The editor's keyboard shortcuts; ignored while typing in a field. */
export function useShortcuts(deps: {
  graphRef: MutableRefObject<Graph>;
  clipboard: MutableRefObject<{ nodes: FlowNode[]; edges: Edge[] } | null>;
  undo: () => void;
  redo: () => void;
  paste: () => void;
  selectAll: () => void;
  save: () => void;
  layout: () => void;
}): void {
  const { graphRef, clipboard, undo, redo, paste, selectAll, save, layout } = deps;
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      const target = event.target as HTMLElement | null;
      if (target && (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable)) return;
      const mod = event.metaKey || event.ctrlKey;
      const key = event.key.toLowerCase();
      if (mod && key === 'z' && !event.shiftKey) undo();
      else if (mod && (key === 'y' || (key === 'z' && event.shiftKey))) redo();
      else if (mod && key === 'c') {
        const g = graphRef.current;
        const ids = new Set(g.nodes.filter((n) => n.selected).map((n) => n.id));
        if (ids.size === 0) return;
        clipboard.current = {
          nodes: g.nodes.filter((n) => ids.has(n.id)),
          edges: g.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
        };
      } else if (mod && key === 'v') paste();
      else if (mod && key === 'a') selectAll();
      else if (mod && key === 's') save();
      else if (!mod && key === 'l' && event.shiftKey) layout();
      else return;
      event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [graphRef, clipboard, undo, redo, paste, selectAll, save, layout]);
}
