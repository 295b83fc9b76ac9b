/**
 * Who an action item belongs to: a speaker label or a name said in the call, resolved against
 * the call's participants (members, leads, contacts) and the workspace's members by name or email.
 */

export interface Participant {
  name: string;
  email?: string;
  userId?: string;
  leadId?: string;
  /** The label the transcript uses for this person, when it differs from the name. */
  speaker?: string;
}

export interface Member {
  userId: string;
  name: string;
  email: string;
}

export interface Owner {
  name: string;
  email?: string;
  userId?: string;
  leadId?: string;
}

const norm = (value: string): string =>
  value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s*\([^)]*\)\s*/g, ' ')
    .replace(/[^a-z0-9@.\s'-]/g, '')
    .trim();

const firstName = (value: string): string => norm(value).split(/\s+/)[0] ?? '';

export class Directory {
  private readonly people: Owner[] = [];
  private readonly aliases = new Map<string, Owner>();

  constructor(participants: readonly Participant[], members: readonly Member[]) {
    for (const participant of participants) {
      const member = members.find(
        (m) =>
          (participant.userId && m.userId === participant.userId) ||
          (participant.email && norm(m.email) === norm(participant.email)),
      );
      this.people.push({
        name: participant.name,
        ...((participant.email ?? member?.email) ? { email: participant.email ?? member?.email } : {}),
        ...((participant.userId ?? member?.userId) ? { userId: participant.userId ?? member?.userId } : {}),
        ...(participant.leadId ? { leadId: participant.leadId } : {}),
      });
      if (participant.speaker && norm(participant.speaker) !== norm(participant.name))
        this.aliases.set(norm(participant.speaker), this.people.at(-1)!);
    }
    for (const member of members) {
      if (this.people.some((p) => p.userId === member.userId)) continue;
      this.people.push({ name: member.name || member.email, email: member.email, userId: member.userId });
    }
  }

  /** The person a label or a spoken name means: exact name, alias, email, then a unique first name. */
  resolve(label: string): Owner | undefined {
    const key = norm(label);
    if (!key) return undefined;
    const alias = this.aliases.get(key);
    if (alias) return alias;
    const exact = this.people.find((p) => norm(p.name) === key || (p.email && norm(p.email) === key));
    if (exact) return exact;
    const byLocalPart = this.people.filter((p) => p.email && norm(p.email).split('@')[0] === key);
    if (byLocalPart.length === 1) return byLocalPart[0];
    const first = firstName(label);
    const byFirst = this.people.filter((p) => firstName(p.name) === first);
    return byFirst.length === 1 ? byFirst[0] : undefined;
  }

  /** Whether a capitalised word is someone's first name here (so "Maria will…" names a person). */
  knowsFirstName(word: string): boolean {
    const first = firstName(word);
    return (
      first.length > 1 &&
      (this.people.some((p) => firstName(p.name) === first) ||
        [...this.aliases.keys()].some((alias) => alias.split(/\s+/)[0] === first))
    );
  }
}
