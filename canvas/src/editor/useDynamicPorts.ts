import { useEffect, useRef } from 'react';
import { api } from '../api/client.js';
import type { NodeType } from '../api/types.js';
import type { FlowNode } from './model.js';

/**
 * Nodes whose ports depend on their config (logic.switch cases) ask the server for them
 * whenever the config changes; returns the latest known outputs per node id.
 */
export function useDynamicPorts(
  nodes: FlowNode[],
  types: Map<string, NodeType>,
  onPorts: (id: string, outputs: string[]) => void,
): Map<string, string[]> {
  const known = useRef(new Map<string, string[]>());
  const asked = useRef(new Map<string, string>());
  const callback = useRef(onPorts);
  callback.current = onPorts;
  useEffect(() => {
    const timer = setTimeout(() => {
      for (const node of nodes) {
        if (!types.get(node.data.spec.type)?.dynamicOutputs) continue;
        const key = JSON.stringify([node.data.spec.config, node.data.spec.onError]);
        if (asked.current.get(node.id) === key) continue;
        asked.current.set(node.id, key);
        void api
          .post<{ outputs: string[] }>(
            `/api/v1/node-types/${encodeURIComponent(node.data.spec.type)}/ports`,
            { config: node.data.spec.config },
          )
          .then(({ outputs }) => {
            const all = node.data.spec.onError === 'route' ? [...outputs, 'error'] : outputs;
            known.current.set(node.id, outputs);
            if (JSON.stringify(all) !== JSON.stringify(node.data.outputs)) callback.current(node.id, all);
          })
          .catch(() => undefined);
      }
    }, 300);
    return () => clearTimeout(timer);
  }, [nodes, types]);
  return known.current;
}
