import type { Json } from '../json.js';
import type { ExpressionScope } from '../node.js';

/**
 * What one crossing must bring into the isolate before it runs anything: a small JSON
 * header (read by applyPush in realm/runtime.js), the blob holding the call's input, and
 * the JSON texts of values the isolate has not seen yet (passed as separate string
 * arguments so a large value is never escaped twice).
 */
export interface Push {
  header: string;
  inputBlob: number;
  texts: string[];
}

interface Header {
  /** Reset the run: the isolate's state for it is unknown (first call, or a call failed). */
  r?: 1;
  /** Clear the node entries before applying `n` (a node disappeared from the scope). */
  c?: 1;
  /** Blobs to forget. */
  d?: number[];
  /** New blobs: [blobId, index into texts]. */
  b?: [number, number][];
  /** Scope parts: [part, blobId]. */
  s?: [ScopePart, number][];
  /** Node outputs: [nodeId, blobId]. */
  n?: [string, number][];
}

type ScopePart = 'trigger' | 'run' | 'workspace' | 'vars';
const scopeParts: readonly ScopePart[] = ['trigger', 'run', 'workspace', 'vars'];

/**
 * Tracks which of a run's values are already inside the isolate, so that each crossing
 * pushes only what changed: node outputs as they appear, the fixed scope parts once, and
 * an input only when it is not the very same value already there (typically the input of
 * a node *is* its upstream node's output object). Values are compared by identity: the
 * engine treats a Json value as immutable once it is passed in.
 */
export class ScopePusher {
  private nextBlob = 1;
  private blobsByObject = new WeakMap<object, number>();
  private readonly parts = new Map<ScopePart, Json>();
  private readonly nodes = new Map<string, Json>();
  /** Blobs that nodes or scope parts refer to; other blobs only serve as an input. */
  private readonly pinned = new Set<number>();
  private input: { value: Json; blob: number } | undefined;
  private resetPending = true;

  /** Forget everything: the next push rebuilds the run's state from scratch. */
  reset(): void {
    this.blobsByObject = new WeakMap();
    this.parts.clear();
    this.nodes.clear();
    this.pinned.clear();
    this.input = undefined;
    this.resetPending = true;
  }

  prepare(scope: ExpressionScope, input: Json): Push {
    const header: Header = {};
    const texts: string[] = [];
    if (this.resetPending) {
      header.r = 1;
      this.resetPending = false;
    }
    const blobOf = (value: Json): number => {
      const isObject = typeof value === 'object' && value !== null;
      if (isObject) {
        const known = this.blobsByObject.get(value);
        if (known !== undefined) return known;
      }
      const id = this.nextBlob++;
      (header.b ??= []).push([id, texts.length]);
      texts.push(JSON.stringify(value) ?? 'null');
      if (isObject) this.blobsByObject.set(value, id);
      return id;
    };

    for (const part of scopeParts) {
      const value = scope[part];
      if (this.parts.has(part) && this.parts.get(part) === value) continue;
      const id = blobOf(value);
      this.pinned.add(id);
      this.parts.set(part, value);
      (header.s ??= []).push([part, id]);
    }

    this.pushNodes(scope.nodes, header, blobOf);

    const previous = this.input;
    const inputBlob = previous !== undefined && previous.value === input ? previous.blob : blobOf(input);
    if (previous !== undefined && previous.blob !== inputBlob && !this.pinned.has(previous.blob)) {
      (header.d ??= []).push(previous.blob);
      if (typeof previous.value === 'object' && previous.value !== null)
        this.blobsByObject.delete(previous.value);
    }
    this.input = { value: input, blob: inputBlob };

    const empty =
      header.r === undefined &&
      header.c === undefined &&
      header.d === undefined &&
      header.b === undefined &&
      header.s === undefined &&
      header.n === undefined;
    return { header: empty ? '' : JSON.stringify(header), inputBlob, texts };
  }

  /** Node outputs only grow during a run; anything else (a node gone) rebuilds the entries. */
  private pushNodes(nodes: ReadonlyMap<string, Json>, header: Header, blobOf: (value: Json) => number): void {
    let present = 0;
    const changed: [string, Json][] = [];
    for (const [id, value] of nodes) {
      const had = this.nodes.has(id);
      if (had) present++;
      if (!had || this.nodes.get(id) !== value) changed.push([id, value]);
    }
    const rebuild = present < this.nodes.size;
    const entries: Iterable<[string, Json]> = rebuild ? nodes : changed;
    if (rebuild) {
      header.c = 1;
      this.nodes.clear();
    }
    for (const [id, value] of entries) {
      const blob = blobOf(value);
      this.pinned.add(blob);
      this.nodes.set(id, value);
      (header.n ??= []).push([id, blob]);
    }
  }
}
