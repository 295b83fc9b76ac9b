import { useCallback, useMemo, useRef } from 'react';

const LIMIT = 100;
const COALESCE_MS = 800;

/**
 * Undo/redo over whole snapshots. `checkpoint(key)` records the state before a change;
 * repeated checkpoints with the same key in quick succession (typing in a field, the node
 * and edge halves of one delete) count as one step.
 */
export function useHistory<T>(current: () => T, restore: (state: T) => void) {
  const past = useRef<T[]>([]);
  const future = useRef<T[]>([]);
  const last = useRef<{ key: string; at: number } | null>(null);

  const checkpoint = useCallback(
    (key = String(Math.random())) => {
      const now = Date.now();
      if (last.current && last.current.key === key && now - last.current.at < COALESCE_MS) {
        last.current.at = now;
        return;
      }
      last.current = { key, at: now };
      past.current = [...past.current.slice(-LIMIT + 1), current()];
      future.current = [];
    },
    [current],
  );
  const undo = useCallback(() => {
    const previous = past.current.pop();
    if (previous === undefined) return;
    future.current.push(current());
    last.current = null;
    restore(previous);
  }, [current, restore]);
  const redo = useCallback(() => {
    const next = future.current.pop();
    if (next === undefined) return;
    past.current.push(current());
    last.current = null;
    restore(next);
  }, [current, restore]);
  // One object for as long as the callbacks live: editor callbacks that use it stay stable.
  return useMemo(
    () => ({
      checkpoint,
      undo,
      redo,
      canUndo: () => past.current.length > 0,
      canRedo: () => future.current.length > 0,
    }),
    [checkpoint, undo, redo],
  );
}
