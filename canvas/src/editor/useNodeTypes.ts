import { useEffect, useState } from 'react';
import { api } from '../api/client.js';
import type { List, NodeType } from '../api/types.js';

let cache: Promise<Map<string, NodeType>> | undefined;

/** Node types never change while the server runs: fetched once per page load. */
export function loadNodeTypes(): Promise<Map<string, NodeType>> {
  cache ??= api
    .get<List<NodeType>>('/api/v1/node-types')
    .then((list) => new Map(list.items.map((t) => [t.type, t])));
  cache.catch(() => {
    cache = undefined;
  });
  return cache;
}

export function useNodeTypes(): Map<string, NodeType> | undefined {
  const [types, setTypes] = useState<Map<string, NodeType>>();
  useEffect(() => {
    let live = true;
    void loadNodeTypes().then((loaded) => live && setTypes(loaded));
    return () => {
      live = false;
    };
  }, []);
  return types;
}
