import type { WebhookResponse } from '../../nodes/actions/webhook-respond.js';

/**
 * HTTP requests waiting for their run's Respond node. The engine reaches this through the
 * `webhookResponder` service; the ingress route waits on it.
 */
export class PendingResponses {
  private readonly waiting = new Map<string, (response: WebhookResponse) => void>();
  /** Responses that arrived before anyone waited (a very fast run). */
  private readonly early = new Map<string, WebhookResponse>();

  respond(runId: string, response: WebhookResponse): void {
    const resolve = this.waiting.get(runId);
    if (resolve) {
      this.waiting.delete(runId);
      resolve(response);
    } else {
      this.early.set(runId, response);
      setTimeout(() => this.early.delete(runId), 60_000).unref();
    }
  }

  /** Resolves with the response, or undefined when `cancelled` resolves first. */
  wait(runId: string, cancelled: Promise<unknown>): Promise<WebhookResponse | undefined> {
    const early = this.early.get(runId);
    if (early) {
      this.early.delete(runId);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      this.waiting.set(runId, resolve);
      void cancelled.then(() => {
        if (this.waiting.get(runId) === resolve) {
          this.waiting.delete(runId);
          resolve(undefined);
        }
      });
    });
  }
}
