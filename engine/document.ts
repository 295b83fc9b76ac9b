import { z } from 'zod';

/** The workflow document, schemaVersion 1 (DESIGN §3). */

export const nodeIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'use letters, digits, _ and -, starting with a letter or _');

export const retryPolicySchema = z.object({
  maxAttempts: z.number().int().min(1).max(20).default(1),
  backoff: z.enum(['fixed', 'exponential']).default('exponential'),
  initialDelayMs: z.number().int().min(0).max(3_600_000).default(500),
  maxDelayMs: z.number().int().min(0).max(86_400_000).default(60_000),
});
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

export const onErrorSchema = z.enum(['fail', 'continue', 'route']);
export type OnError = z.infer<typeof onErrorSchema>;

export const sandboxLimitsSchema = z.object({
  memoryMb: z.number().int().min(8).max(1024).optional(),
  cpuTimeoutMs: z.number().int().min(1).max(600_000).optional(),
});

export const nodeSpecSchema = z.object({
  id: nodeIdSchema,
  type: z.string().min(1).max(100),
  name: z.string().max(200).optional(),
  config: z.record(z.string(), z.unknown()).default({}),
  position: z.object({ x: z.number(), y: z.number() }).optional(),
  retry: retryPolicySchema.partial().optional(),
  timeoutMs: z.number().int().min(1).max(86_400_000).optional(),
  onError: onErrorSchema.optional(),
  sandbox: sandboxLimitsSchema.optional(),
  notes: z.string().max(10_000).optional(),
});
export type NodeSpec = z.infer<typeof nodeSpecSchema>;

export const edgeSpecSchema = z.object({
  from: z.string().min(1),
  fromPort: z.string().min(1).default('out'),
  to: z.string().min(1),
  toPort: z.string().min(1).default('in'),
});
export type EdgeSpec = z.infer<typeof edgeSpecSchema>;

export const workflowSettingsSchema = z.object({
  timeoutMs: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400_000)
    .optional(),
  concurrency: z.number().int().min(1).max(10_000).optional(),
  rateLimit: z.object({ max: z.number().int().min(1), perMs: z.number().int().min(1) }).optional(),
  maxStepOutputBytes: z
    .number()
    .int()
    .min(1)
    .max(100 * 1024 * 1024)
    .optional(),
  sandbox: sandboxLimitsSchema.optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
});
export type WorkflowSettings = z.infer<typeof workflowSettingsSchema>;

export const workflowDocumentSchema = z.object({
  schemaVersion: z.literal(1),
  name: z.string().min(1).max(200),
  description: z.string().max(10_000).optional(),
  nodes: z.array(nodeSpecSchema).max(2_000),
  edges: z.array(edgeSpecSchema).max(10_000),
  settings: workflowSettingsSchema.default({}),
  /** Editor test data (like n8n's pinData): a node's pinned output, used by test runs only. */
  pinData: z.record(nodeIdSchema, z.unknown()).optional(),
});
export type WorkflowDocument = z.infer<typeof workflowDocumentSchema>;
/** A document as authors write it: defaults not yet applied. */
export type WorkflowDocumentInput = z.input<typeof workflowDocumentSchema>;
