import type { Knex } from 'knex';
import type { JsonObject } from '../../engine/json.js';

/** Where billing product events go: the events service (`trigger.event` workflows). */
export interface ProductEventSink {
  ingest(workspaceId: string, event: { id: string; name: string; data: JsonObject }): Promise<unknown>;
}

export interface BillingEvent {
  workspaceId: string;
  /** Stable: the same opportunity or notice always gets the same id, so it is emitted once. */
  eventId: string;
  name: string;
  data: JsonObject;
}

interface OutboxRow {
  workspace_id: string;
  event_id: string;
  name: string;
  data: JsonObject;
}

/**
 * Billing product events are written to `billing_outbox` first (in any process: an API, a queue
 * worker sending email) and emitted as product events by the process that has an event sink
 * (the API). The event id is stable and the events table is unique per (workspace, id), so an
 * event is emitted once even when two processes flush the same row.
 */
export class BillingOutbox {
  private sink: ProductEventSink | undefined;
  private flushing: Promise<number> | undefined;
  private onError: (error: unknown) => void = () => {};

  constructor(private readonly knex: Knex) {}

  /** The API process: emit through this sink from now on. */
  attach(sink: ProductEventSink, onError: (error: unknown) => void): void {
    this.sink = sink;
    this.onError = onError;
  }

  detach(): void {
    this.sink = undefined;
  }

  /** Queue an event; false when it was queued before (nothing new). Emission follows. */
  async enqueue(event: BillingEvent, db: Knex | Knex.Transaction = this.knex): Promise<boolean> {
    const inserted = await db('billing_outbox')
      .insert({
        workspace_id: event.workspaceId,
        event_id: event.eventId,
        name: event.name,
        data: JSON.stringify(event.data),
      })
      .onConflict(['workspace_id', 'event_id'])
      .ignore()
      .returning('event_id');
    if (inserted.length > 0 && db === this.knex) this.flushSoon();
    return inserted.length > 0;
  }

  /** Start a flush in the background (errors are reported, the sweeper retries). */
  flushSoon(): void {
    if (!this.sink) return;
    this.flush().catch(this.onError);
  }

  /** Emit what is pending; returns how many were emitted. One flush at a time per process. */
  async flush(): Promise<number> {
    if (!this.sink) return 0;
    this.flushing ??= this.emitPending().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async emitPending(): Promise<number> {
    const sink = this.sink;
    if (!sink) return 0;
    let emitted = 0;
    for (;;) {
      const rows = await this.knex<OutboxRow>('billing_outbox')
        .whereNull('emitted_at')
        .orderBy('created_at')
        .limit(50)
        .select('workspace_id', 'event_id', 'name', 'data');
      if (rows.length === 0) return emitted;
      for (const row of rows) {
        await sink.ingest(row.workspace_id, { id: row.event_id, name: row.name, data: row.data });
        await this.knex('billing_outbox')
          .where({ workspace_id: row.workspace_id, event_id: row.event_id })
          .update({ emitted_at: this.knex.fn.now() });
        emitted += 1;
      }
    }
  }
}
