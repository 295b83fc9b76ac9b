import { createContext, useContext } from 'react';
import type { NodeType, Step, ValidationIssue } from '../api/types.js';

/** What every drawn node may show beyond its own data: its type, its problems, its run step. */
export interface CanvasInfo {
  types: Map<string, NodeType>;
  issues: Map<string, ValidationIssue[]>;
  steps: Map<string, Step>;
}

export const CanvasContext = createContext<CanvasInfo>({
  types: new Map(),
  issues: new Map(),
  steps: new Map(),
});
export const useCanvasInfo = (): CanvasInfo => useContext(CanvasContext);
