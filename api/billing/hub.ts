import type { Knex } from 'knex';
import { BillingAccounts } from './accounts.js';
import { Expansions } from './expansions.js';
import { BillingOutbox } from './outbox.js';
import { UsageMeter } from './usage.js';

/** Billing's services for one database: accounts, usage, expansion, the event outbox. */
export interface Billing {
  accounts: BillingAccounts;
  usage: UsageMeter;
  expansions: Expansions;
  outbox: BillingOutbox;
}

const hubs = new WeakMap<Knex, Billing>();

/** Build billing's services for a database (tests pass options: trial days, clock, grace). */
export function createBilling(
  knex: Knex,
  options: { trialDays?: number; graceMs?: number; now?: () => Date } = {},
): Billing {
  const accounts = new BillingAccounts(knex, {
    ...(options.trialDays !== undefined && { trialDays: options.trialDays }),
    ...(options.now && { now: options.now }),
  });
  const outbox = new BillingOutbox(knex);
  const expansions = new Expansions(knex, outbox);
  const usage = new UsageMeter(knex, accounts, {
    ...(options.graceMs !== undefined && { graceMs: options.graceMs }),
    ...(options.now && { now: options.now }),
    onThreshold: async (crossing) => void (await expansions.quotaThreshold(crossing)),
  });
  return { accounts, usage, expansions, outbox };
}

/**
 * The one set of billing services per database connection pool in this process: the mailer
 * wrapper, the billing nodes, the routes, seat checks and the publish gate all share it, so
 * the outbox the API attaches its event sink to is the one they write to.
 */
export function billingFor(knex: Knex): Billing {
  let billing = hubs.get(knex);
  if (!billing) {
    billing = createBilling(knex);
    hubs.set(knex, billing);
  }
  return billing;
}
