import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RunEvent } from '../execution.js';
import { decodeRunEvent, encodeRunEvent, type RunEventBus, type RunEventHandlers } from './run-event-bus.js';

export interface RedisRunEventBusOptions {
  redisUrl: string;
  /** Channels are named after it, so deployments (and tests) sharing a Redis stay apart. */
  namespace: string;
  onError?: (error: unknown) => void;
}

/**
 * RunEventBus over Redis pub/sub. Two channels: events and cancellations. Each message starts
 * with the sending bus's id and a newline, so a process drops what it sent itself.
 */
export class RedisRunEventBus implements RunEventBus {
  private readonly id = randomUUID();
  private readonly publisher: Redis;
  private subscriber: Redis | undefined;
  private readonly eventsChannel: string;
  private readonly cancelChannel: string;
  private readonly onError: (error: unknown) => void;

  constructor(options: RedisRunEventBusOptions) {
    this.onError = options.onError ?? (() => undefined);
    this.eventsChannel = `${options.namespace}:events`;
    this.cancelChannel = `${options.namespace}:cancel`;
    // Auto-pipelining: the events of one loop turn go out in one socket write, not one each.
    this.publisher = new Redis(options.redisUrl, {
      lazyConnect: false,
      maxRetriesPerRequest: 3,
      enableAutoPipelining: true,
    });
    this.publisher.on('error', this.onError);
  }

  publish(event: RunEvent): void {
    this.publisher.publish(this.eventsChannel, `${this.id}\n${encodeRunEvent(event)}`).catch(this.onError);
  }

  async publishCancel(runId: string): Promise<void> {
    await this.publisher.publish(this.cancelChannel, `${this.id}\n${runId}`);
  }

  async listen(handlers: RunEventHandlers): Promise<void> {
    if (this.subscriber) throw new Error('The bus is already listening');
    const subscriber = this.publisher.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', this.onError);
    subscriber.on('message', (channel: string, message: string) => {
      const newline = message.indexOf('\n');
      if (newline < 0 || message.slice(0, newline) === this.id) return;
      const body = message.slice(newline + 1);
      try {
        if (channel === this.eventsChannel) {
          const event = decodeRunEvent(body);
          if (event) handlers.event?.(event);
        } else if (channel === this.cancelChannel) {
          handlers.cancel?.(body);
        }
      } catch (error) {
        this.onError(error);
      }
    });
    const channels = [
      handlers.event ? this.eventsChannel : undefined,
      handlers.cancel ? this.cancelChannel : undefined,
    ];
    await subscriber.subscribe(...channels.filter((channel): channel is string => channel !== undefined));
  }

  async close(): Promise<void> {
    await Promise.all([quit(this.publisher), this.subscriber ? quit(this.subscriber) : undefined]);
  }
}

async function quit(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
