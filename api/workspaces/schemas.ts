import { z } from 'zod';
import { emailSchema, isoDate } from '../auth/schemas.js';
import { roles } from '../http/route.js';
import { invitationStatus, type InvitationWithInviter } from './invitations.js';
import type { MemberRow, WorkspaceRow } from './repository.js';
import type { SeatUsage } from '../billing/seats.js';

export const roleSchema = z.enum(roles).meta({ id: 'Role', description: 'viewer < member < admin < owner' });

export const workspaceParams = z.object({ workspaceId: z.uuid() });
export const workspaceNameSchema = z
  .string()
  .trim()
  .min(1, 'Enter a workspace name')
  .max(100, 'Workspace name must be at most 100 characters');

export const workspaceSummarySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    slug: z.string(),
    plan: z.string(),
    role: roleSchema,
    createdAt: isoDate,
  })
  .meta({ id: 'WorkspaceSummary' });

export const seatsSchema = z
  .object({
    limit: z.number().int(),
    used: z.number().int(),
    members: z.number().int(),
    pendingInvitations: z.number().int(),
  })
  .meta({ id: 'Seats' });

export const workspaceSchema = workspaceSummarySchema
  .extend({ seats: seatsSchema })
  .meta({ id: 'Workspace' });

export const memberSchema = z
  .object({ userId: z.uuid(), email: z.string(), name: z.string(), role: roleSchema, joinedAt: isoDate })
  .meta({ id: 'Member' });

export const invitationStatusSchema = z.enum(['pending', 'accepted', 'revoked', 'expired']);

export const invitationSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: roleSchema,
    status: invitationStatusSchema,
    invitedBy: z.string().nullable(),
    createdAt: isoDate,
    expiresAt: isoDate,
    sentAt: isoDate,
    sendCount: z.number().int(),
    acceptedAt: isoDate.nullable(),
    revokedAt: isoDate.nullable(),
  })
  .meta({ id: 'Invitation' });

export const invitationCreatedSchema = invitationSchema
  .extend({ acceptUrl: z.url().describe('The link to send the invitee; shown only in this response') })
  .meta({ id: 'InvitationWithLink' });

export const invitationPreviewSchema = z
  .object({
    workspace: z.object({ name: z.string() }),
    inviter: z.string().nullable(),
    email: z.string(),
    role: roleSchema,
    status: invitationStatusSchema,
    expiresAt: isoDate,
  })
  .meta({ id: 'InvitationPreview' });

export const inviteBody = z.object({ email: emailSchema, role: roleSchema });

export type WorkspaceSummary = z.infer<typeof workspaceSummarySchema>;
export type WorkspaceView = z.infer<typeof workspaceSchema>;
export type MemberView = z.infer<typeof memberSchema>;
export type InvitationView = z.infer<typeof invitationSchema>;
export type InvitationWithLink = z.infer<typeof invitationCreatedSchema>;
export type InvitationPreview = z.infer<typeof invitationPreviewSchema>;

export function workspaceSummaryView(row: WorkspaceRow, role: z.infer<typeof roleSchema>): WorkspaceSummary {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    plan: row.plan,
    role,
    createdAt: row.created_at.toISOString(),
  };
}

export function seatsView(usage: SeatUsage): z.infer<typeof seatsSchema> {
  return {
    limit: usage.limit,
    used: usage.members + usage.pendingInvitations,
    members: usage.members,
    pendingInvitations: usage.pendingInvitations,
  };
}

export function memberView(row: MemberRow): z.infer<typeof memberSchema> {
  return {
    userId: row.user_id,
    email: row.email,
    name: row.name,
    role: row.role,
    joinedAt: row.created_at.toISOString(),
  };
}

export function invitationView(row: InvitationWithInviter): InvitationView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status: invitationStatus(row),
    invitedBy: row.inviter_name,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    sentAt: row.sent_at.toISOString(),
    sendCount: row.send_count,
    acceptedAt: row.accepted_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}
