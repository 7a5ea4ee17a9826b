import { unknownName } from './errors.js';

/** What every registry entry says about itself: shown by the CLI's listing commands. */
export interface RegistryEntry {
  readonly name: string;
  /** One line, no trailing period. */
  readonly description: string;
  /** Where the method or format comes from (paper, standard), or '' for prunefi's own. */
  readonly reference: string;
}

/**
 * A typed, ordered map of named entries (pruning methods, fault models, datasets, ...). Lookups of
 * unknown names throw a `PrunefiError` listing the valid names, so no caller writes a switch.
 */
export class Registry<T extends RegistryEntry> {
  readonly kind: string;
  private readonly entries = new Map<string, T>();

  constructor(kind: string, entries: readonly T[] = []) {
    this.kind = kind;
    for (const e of entries) this.add(e);
  }

  /** Adds an entry; a duplicate name is a programming error. */
  add(entry: T): this {
    if (this.entries.has(entry.name)) throw new Error(`duplicate ${this.kind} '${entry.name}'`);
    this.entries.set(entry.name, entry);
    return this;
  }

  /** The entry called `name`, or a `PrunefiError('UNKNOWN_NAME')` listing the valid names. */
  get(name: string): T {
    const e = this.entries.get(name);
    if (!e) throw unknownName(this.kind, name, this.names());
    return e;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  list(): T[] {
    return [...this.entries.values()];
  }
}
