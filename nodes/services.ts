/**
 * The services nodes reach the world through (DESIGN §4), one interface file per feature, each
 * merging its service into NodeServices: nodes/credentials, nodes/http, nodes/mail,
 * nodes/work-items and nodes/billing `service.ts`; redaction helpers in nodes/redact.ts.
 * This barrel keeps the older import path working; new code imports the feature's file.
 */
export * from './billing/service.js';
export * from './credentials/service.js';
export * from './http/service.js';
export * from './mail/service.js';
export * from './redact.js';
export * from './required.js';
export * from './work-items/service.js';
