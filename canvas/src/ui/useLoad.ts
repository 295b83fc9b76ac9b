import { useCallback, useEffect, useState } from 'react';
import { messageOf } from '../api/client.js';

/** Load data for a page: `data` stays while reloading so lists do not flash. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
): {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (update: (data: T | undefined) => T | undefined) => void;
} {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setDataState(await run());
      setError(null);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setLoading(false);
    }
  }, [run]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload, setData: setDataState };
}
