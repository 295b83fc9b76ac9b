import type { AnyNodeType } from './node.js';

/** The node types an engine knows, by type id. */
export class NodeRegistry {
  private readonly types = new Map<string, AnyNodeType>();

  constructor(types: Iterable<AnyNodeType> = []) {
    for (const type of types) this.register(type);
  }

  register(type: AnyNodeType): this {
    if (!/^[a-z][a-zA-Z0-9]*\.[a-zA-Z][a-zA-Z0-9]*$/.test(type.type)) {
      throw new Error(`node type id "${type.type}" must look like family.name`);
    }
    if (this.types.has(type.type)) throw new Error(`node type "${type.type}" is registered twice`);
    this.types.set(type.type, type);
    return this;
  }

  get(type: string): AnyNodeType | undefined {
    return this.types.get(type);
  }

  has(type: string): boolean {
    return this.types.has(type);
  }

  list(): AnyNodeType[] {
    return [...this.types.values()];
  }
}
