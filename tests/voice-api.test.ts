import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingFor } from '../api/billing/hub.js';
import {
  createTeam,
  invalidFields,
  startApi,
  type ApiClient,
  type Team,
  type TestApi,
} from './helpers/api.js';

// Over 400 lines on purpose: every route family of one feature against one started server.
/**
 * Voice-to-Action's API (issue 14): upload a transcript in any of four formats (JSON, multipart,
 * raw text), see the action items with owners and dates, review them, make tasks once; leads get
 * a timeline row; a voice.transcript workflow runs; hostile and huge input gets clear answers.
 */

let server: TestApi;

beforeAll(async () => {
  server = await startApi({ engine: true });
});
afterAll(async () => {
  await server?.close();
});

interface Item {
  id: string;
  kind: 'action' | 'decision' | 'question';
  text: string;
  owner: { name: string; email?: string; userId?: string } | null;
  ownerReason: string | null;
  dueDate: string | null;
  priority: string;
  quote: string;
  speaker: string;
  startMs: number;
  status: string;
  taskId: string | null;
}
interface CallBody {
  id: string;
  title: string;
  status: string;
  sourceFormat: string;
  durationSeconds: number;
  speakers: string[];
  provider: string | null;
  items: Item[];
}

const VTT = `WEBVTT

00:00:01.000 --> 00:00:05.000
<v Maria Lopez>Thanks everyone for joining. Let's get started.

00:00:06.000 --> 00:00:12.000
<v Tom Becker>I'll send the revised pricing sheet by Friday.

00:00:13.000 --> 00:00:20.000
<v Maria Lopez>Priya, can you set up the security review next week? It's urgent.

00:00:21.000 --> 00:00:24.000
<v Priya Shah>Sure, will do.

00:00:25.000 --> 00:00:30.000
<v Maria Lopez>We agreed to go with the annual plan. Does the API support SSO with Okta?
`;

async function enterpriseTeam(): Promise<Team> {
  const team = await createTeam(server);
  await billingFor(server.db.knex).accounts.setPlan(team.workspaceId, { planId: 'enterprise' });
  return team;
}

const calls = (team: Team) => `/api/v1/workspaces/${team.workspaceId}/calls`;

function multipart(
  fields: Record<string, string>,
  file: { name: string; type: string; data: Buffer | string },
) {
  const boundary = `----revflow${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields))
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  chunks.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
    ),
    Buffer.isBuffer(file.data) ? file.data : Buffer.from(file.data),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A raw (non-JSON) POST with the client's session: multipart and text bodies. */
async function rawPost(client: ApiClient, path: string, body: Buffer | string, contentType: string) {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-revflow-csrf': '1',
      cookie: `revflow_session=${client.sessionCookie}`,
    },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : null) as CallBody & {
      detail?: string;
      invalidParams?: Array<{ name: string; reason: string }>;
      code?: string;
    },
  };
}

describe('the Enterprise gate', () => {
  it('refuses calls below Enterprise with a 402 naming the feature, and says so on the status route', async () => {
    const team = await createTeam(server);
    const status = await team.viewer.client.get<{ enabled: boolean; requiredPlan: string; speech: boolean }>(
      `/api/v1/workspaces/${team.workspaceId}/voice/status`,
    );
    expect(status.body).toMatchObject({ enabled: false, requiredPlan: 'enterprise', speech: false });
    const upload = await team.member.client.post(calls(team), { title: 'x', transcript: VTT });
    expect(upload.status).toBe(402);
    expect(upload.text).toContain('voice_to_action');
    expect((await team.member.client.get(calls(team))).status).toBe(402);
  });
});

describe('uploading a transcript', () => {
  it('turns a WebVTT call into action items with owners, due dates, priority, quotes and timestamps', async () => {
    const team = await enterpriseTeam();
    const upload = await team.member.client.post<CallBody>(calls(team), {
      title: 'Acme pricing follow-up',
      startedAt: '2026-03-04T15:00:00Z',
      participants: [
        { name: 'Maria Lopez' },
        { name: 'Tom Becker', email: team.member.account.email },
        { name: 'Priya Shah', email: 'priya@example.com' },
      ],
      transcript: VTT,
    });
    expect(upload.status, upload.text).toBe(201);
    expect(upload.body).toMatchObject({
      sourceFormat: 'vtt',
      status: 'extracted',
      provider: 'local',
      durationSeconds: 30,
    });
    expect(upload.body.speakers.sort()).toEqual(['Maria Lopez', 'Priya Shah', 'Tom Becker']);
    const actions = upload.body.items.filter((i) => i.kind === 'action');
    expect(actions).toHaveLength(2);
    expect(actions[0]).toMatchObject({
      text: 'Send the revised pricing sheet by Friday',
      owner: { name: 'Tom Becker', email: team.member.account.email, userId: team.member.account.userId },
      dueDate: '2026-03-06',
      speaker: 'Tom Becker',
      startMs: 6000,
      status: 'proposed',
    });
    expect(actions[1]).toMatchObject({
      owner: { name: 'Priya Shah' },
      dueDate: '2026-03-09',
      priority: 'urgent',
    });
    expect(upload.body.items.filter((i) => i.kind === 'decision').map((i) => i.quote)).toEqual([
      'We agreed to go with the annual plan.',
    ]);
    expect(upload.body.items.filter((i) => i.kind === 'question').map((i) => i.quote)).toEqual([
      'Does the API support SSO with Okta?',
    ]);

    const segments = await team.viewer.client.get<{
      items: Array<{ speaker: string; startMs: number; at: string }>;
    }>(`${calls(team)}/${upload.body.id}/segments`);
    expect(segments.body.items[1]).toMatchObject({ speaker: 'Tom Becker', startMs: 6000, at: '00:06' });
    const list = await team.viewer.client.get<{ items: Array<{ id: string; segmentCount: number }> }>(
      calls(team),
    );
    expect(list.body.items).toMatchObject([{ id: upload.body.id, segmentCount: 5 }]);
  });

  it('accepts SRT as multipart, "Speaker: text" lines as a raw body, and JSON segments', async () => {
    const team = await enterpriseTeam();
    const srt =
      '1\n00:00:01,000 --> 00:00:04,000\nAnna: I will draft the proposal tomorrow.\n\n2\n00:00:05,000 --> 00:00:07,000\nBen: Thanks.\n';
    const form = multipart(
      { startedAt: '2026-03-04T15:00:00Z', participants: '[{"name":"Anna Berg"}]' },
      { name: 'kickoff.srt', type: 'application/x-subrip', data: srt },
    );
    const viaForm = await rawPost(team.member.client, calls(team), form.body, form.contentType);
    expect(viaForm.status, JSON.stringify(viaForm.body)).toBe(201);
    expect(viaForm.body).toMatchObject({ title: 'kickoff', sourceFormat: 'srt' });
    expect(viaForm.body.items[0]).toMatchObject({ owner: { name: 'Anna Berg' }, dueDate: '2026-03-05' });

    const lines = 'Anna: Let me send the contract by end of month.\nBen: Great.\n';
    const viaText = await rawPost(
      team.member.client,
      `${calls(team)}?title=Lines&startedAt=2026-03-04T15:00:00Z`,
      lines,
      'text/plain',
    );
    expect(viaText.status).toBe(201);
    expect(viaText.body).toMatchObject({ title: 'Lines', sourceFormat: 'lines' });
    expect(viaText.body.items[0]).toMatchObject({ owner: null, dueDate: '2026-03-31' });
    expect(viaText.body.items[0]!.ownerReason).toBeTruthy();

    const viaJson = await team.member.client.post<CallBody>(calls(team), {
      title: 'Segments',
      segments: [{ speaker: 'Ben', start: 3.5, end: 6, text: 'I need to renew the certificate.' }],
    });
    expect(viaJson.status, viaJson.text).toBe(201);
    expect(viaJson.body).toMatchObject({ sourceFormat: 'json' });
    expect(viaJson.body.items[0]).toMatchObject({ startMs: 3500, speaker: 'Ben' });
  });

  it('names the line of a malformed file, and the path of bad JSON segments', async () => {
    const team = await enterpriseTeam();
    const vtt = await team.member.client.post(calls(team), {
      transcript: 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello\n\n00:00:xx --> 00:00:04.000\nbroken\n',
    });
    expect(vtt.status).toBe(400);
    expect(vtt.body.detail).toMatch(/line 6: /);
    expect(invalidFields(vtt.body)).toEqual(['transcript']);
    const srt = await team.member.client.post(calls(team), {
      format: 'srt',
      transcript: '1\n00:00:01,000 --> 00:00:02,000\nhi\n\nnot a cue\n',
    });
    expect(srt.body.detail).toMatch(/line 5: /);
    const lines = await team.member.client.post(calls(team), {
      format: 'lines',
      transcript: 'no speaker on this line\n',
    });
    expect(lines.body.detail).toMatch(/line 1: expected "Speaker: text"/);
    const json = await team.member.client.post(calls(team), {
      segments: [
        { speaker: 'A', start: 1, text: 'ok' },
        { speaker: 'B', start: 'soon', text: 'x' },
      ],
    });
    expect(json.status).toBe(400);
    expect(json.body.detail).toMatch(/segments\[1\]\.start: /);
    const empty = await team.member.client.post(calls(team), { transcript: '   ' });
    expect(empty.status).toBe(400);
  });

  it('takes a 4-hour transcript (2,880 WebVTT cues) as a file', async () => {
    const team = await enterpriseTeam();
    const cues: string[] = ['WEBVTT', ''];
    const clock = (s: number) =>
      `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.000`;
    for (let s = 0; s < 4 * 3600; s += 5)
      cues.push(
        `${clock(s)} --> ${clock(s + 5)}`,
        `<v ${s % 10 ? 'Ana' : 'Bo'}>${s % 600 === 0 ? "I'll send the weekly summary by Friday." : 'We talked about the roadmap, the pricing and the onboarding plan for a while.'}`,
        '',
      );
    const form = multipart(
      { title: 'Workshop' },
      { name: 'workshop.vtt', type: 'text/vtt', data: cues.join('\n') },
    );
    expect(form.body.length).toBeGreaterThan(300_000);
    const upload = await rawPost(team.member.client, calls(team), form.body, form.contentType);
    expect(upload.status, JSON.stringify(upload.body).slice(0, 300)).toBe(201);
    expect(upload.body.durationSeconds).toBe(4 * 3600);
    expect(upload.body.items.filter((i) => i.kind === 'action')).toHaveLength(24);
  });
});

describe('review and tasks', () => {
  it('accepts, edits, reassigns and drops items, then makes each accepted one a task once', async () => {
    const team = await enterpriseTeam();
    const upload = await team.member.client.post<CallBody>(calls(team), {
      title: 'Review me',
      startedAt: '2026-03-04T15:00:00Z',
      participants: [{ name: 'Maria Lopez' }, { name: 'Tom Becker' }, { name: 'Priya Shah' }],
      transcript: VTT,
    });
    const [send, review] = upload.body.items.filter((i) => i.kind === 'action');
    const item = (id: string) => `${calls(team)}/${upload.body.id}/items/${id}`;
    const edited = await team.member.client.patch<Item>(item(send!.id), {
      action: 'accept',
      text: 'Send the revised pricing sheet (EU prices)',
      dueDate: '2026-03-09',
      owner: { userId: team.admin.account.userId },
    });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({
      status: 'accepted',
      dueDate: '2026-03-09',
      owner: { userId: team.admin.account.userId, email: team.admin.account.email },
    });
    expect((await team.member.client.patch(item(review!.id), { action: 'drop' })).body).toMatchObject({
      status: 'dropped',
    });
    const notMember = await team.member.client.patch(item(review!.id), {
      owner: { userId: team.outsider.account.userId },
    });
    expect(notMember.status).toBe(400);
    expect(invalidFields(notMember.body)).toEqual(['body.owner.userId']);

    const made = await team.member.client.post<{
      tasks: Array<{ id: string; title: string; assignee: string; dueAt: string; priority: string }>;
      created: number;
    }>(`${calls(team)}/${upload.body.id}/tasks`, {});
    expect(made.status, made.text).toBe(200);
    expect(made.body.created).toBe(1);
    expect(made.body.tasks[0]).toMatchObject({
      title: 'Send the revised pricing sheet (EU prices)',
      assignee: team.admin.account.email,
      dueAt: '2026-03-09T00:00:00.000Z',
    });
    const again = await team.member.client.post<{ created: number; tasks: Array<{ id: string }> }>(
      `${calls(team)}/${upload.body.id}/tasks`,
      {},
    );
    expect(again.body).toMatchObject({ created: 0, tasks: [{ id: made.body.tasks[0]!.id }] });
    const tasks = await team.viewer.client.get<{ items: Array<{ id: string }> }>(
      `/api/v1/workspaces/${team.workspaceId}/tasks`,
    );
    expect(tasks.body.items.map((t) => t.id)).toEqual([made.body.tasks[0]!.id]);
    const call = await team.viewer.client.get<CallBody>(`${calls(team)}/${upload.body.id}`);
    expect(call.body.status).toBe('reviewed');
    expect(call.body.items.find((i) => i.id === send!.id)).toMatchObject({
      status: 'created',
      taskId: made.body.tasks[0]!.id,
    });
    // Extracting again keeps what people reviewed.
    const re = await team.member.client.post<{ actionItems: Item[] }>(
      `${calls(team)}/${upload.body.id}/extract`,
      { provider: 'local' },
    );
    expect(re.body.actionItems.find((i) => i.id === send!.id)).toMatchObject({
      text: 'Send the revised pricing sheet (EU prices)',
    });
  });

  it('writes a lead timeline row for a call with a lead, and refuses another workspace’s lead', async () => {
    const team = await enterpriseTeam();
    const other = await enterpriseTeam();
    const [lead] = await server.db
      .knex('outbound_leads')
      .insert({ workspace_id: team.workspaceId, email: 'ceo@acme.test', name: 'Carla Acme' })
      .returning<Array<{ id: string }>>('id');
    const [foreign] = await server.db
      .knex('outbound_leads')
      .insert({ workspace_id: other.workspaceId, email: 'x@y.test' })
      .returning<Array<{ id: string }>>('id');
    const upload = await team.member.client.post<CallBody>(calls(team), {
      title: 'Discovery',
      leadId: lead!.id,
      transcript: 'Carla: I will send our requirements tomorrow.',
    });
    expect(upload.status, upload.text).toBe(201);
    expect(upload.body.items[0]).toMatchObject({ owner: { name: 'Carla Acme' } });
    const events = await server.db
      .knex('outbound_events')
      .where({ workspace_id: team.workspaceId, kind: 'call' });
    expect(events).toMatchObject([
      {
        lead_id: lead!.id,
        dedup_key: `call:${upload.body.id}`,
        data: { callId: upload.body.id, title: 'Discovery' },
      },
    ]);
    const refused = await team.member.client.post(calls(team), {
      title: 'x',
      leadId: foreign!.id,
      transcript: 'A: hi',
    });
    expect(refused.status).toBe(400);
    expect(invalidFields(refused.body)).toEqual(['leadId']);
  });

  it('runs a voice.transcript workflow that makes tasks without review, once per call and item', async () => {
    const team = await enterpriseTeam();
    const base = `/api/v1/workspaces/${team.workspaceId}`;
    const created = await team.member.client.post<{ id: string }>(`${base}/workflows`, {
      schemaVersion: 1,
      name: 'Call to tasks',
      nodes: [
        { id: 'call', type: 'voice.transcript', config: {} },
        { id: 'extract', type: 'voice.extractActions', config: { review: false } },
      ],
      edges: [{ from: 'call', to: 'extract' }],
    });
    expect(created.status, created.text).toBe(201);
    expect((await team.member.client.post(`${base}/workflows/${created.body.id}/publish`, {})).status).toBe(
      201,
    );
    const activated = await team.member.client.post(`${base}/workflows/${created.body.id}/activate`, {});
    expect(activated.status, activated.text).toBe(200);
    await team.member.client.post<CallBody>(calls(team), {
      title: 'Auto',
      transcript: 'Dana: I will book the venue by Friday.\nEli: I need to order the badges.',
    });
    const deadline = Date.now() + 25_000;
    let tasks: Array<{ title: string; data: { callId: string } }> = [];
    while (Date.now() < deadline && tasks.length < 2) {
      tasks = (await team.viewer.client.get<{ items: typeof tasks }>(`${base}/tasks`)).body.items;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const runs = await server.db.knex('runs').where({ workspace_id: team.workspaceId });
    const steps = await server.db.knex('steps').whereIn(
      'run_id',
      runs.map((r: { id: string }) => r.id),
    );
    expect(tasks.map((t) => t.title).sort(), JSON.stringify({ runs, steps }).slice(0, 3000)).toEqual([
      'Book the venue by Friday',
      'Order the badges',
    ]);
    const events = await server.db
      .knex('events')
      .where({ workspace_id: team.workspaceId })
      .whereIn('name', ['call.transcribed', 'call.actions_extracted']);
    expect(new Set(events.map((e: { name: string }) => e.name))).toEqual(
      new Set(['call.transcribed', 'call.actions_extracted']),
    );
  });
});

describe('attacks', () => {
  it('keeps calls inside their workspace and roles in their place', async () => {
    const team = await enterpriseTeam();
    const other = await enterpriseTeam();
    const upload = await team.member.client.post<CallBody>(calls(team), { title: 'Secret', transcript: VTT });
    const id = upload.body.id;
    const itemId = upload.body.items[0]!.id;
    for (const path of [`${calls(other)}/${id}`, `${calls(other)}/${id}/segments`])
      expect((await other.owner.client.get(path)).status).toBe(404);
    expect(
      (await other.owner.client.patch(`${calls(other)}/${id}/items/${itemId}`, { action: 'accept' })).status,
    ).toBe(404);
    expect((await other.owner.client.post(`${calls(other)}/${id}/tasks`, {})).status).toBe(404);
    expect((await other.owner.client.delete(`${calls(other)}/${id}`)).status).toBe(404);
    expect((await team.outsider.client.get(`${calls(team)}/${id}`)).status).toBe(404);
    expect((await team.viewer.client.post(calls(team), { transcript: VTT })).status).toBe(403);
    expect(
      (await team.viewer.client.patch(`${calls(team)}/${id}/items/${itemId}`, { action: 'accept' })).status,
    ).toBe(403);
    expect((await team.member.client.delete(`${calls(team)}/${id}`)).status).toBe(403);
    expect((await team.admin.client.delete(`${calls(team)}/${id}`)).status).toBe(204);
    expect((await team.viewer.client.get(`${calls(team)}/${id}`)).status).toBe(404);
  });

  it('answers hostile text with a 400 naming the field or line, and stores HTML as text', async () => {
    const team = await enterpriseTeam();
    const nul = await rawPost(team.member.client, calls(team), 'A: fine\nB: bad \u0000 byte\n', 'text/plain');
    expect(nul.status).toBe(400);
    expect(nul.body.detail).toMatch(/line 2: .*NUL/);
    const surrogate = await team.member.client.post(calls(team), { transcript: 'A: \ud800 hi' });
    expect(surrogate.status).toBe(400);
    const deep = await team.member.client.request('POST', calls(team), undefined, {
      rawBody: `{"segments":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
    });
    expect(deep.status).toBe(400);
    const form = multipart({ title: 'bad\u0000title' }, { name: 'a.txt', type: 'text/plain', data: 'A: hi' });
    const title = await rawPost(team.member.client, calls(team), form.body, form.contentType);
    expect(title.status).toBe(400);
    expect(title.body.invalidParams?.[0]?.name).toBe('body.title');
    const binary = multipart(
      {},
      {
        name: 'blob.bin',
        type: 'application/octet-stream',
        data: Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 37) % 256)),
      },
    );
    expect((await rawPost(team.member.client, calls(team), binary.body, binary.contentType)).status).toBe(
      400,
    );
    const html = await team.member.client.post<CallBody>(calls(team), {
      title: '<img src=x onerror=alert(1)>',
      transcript: 'Eve: I will send <script>alert(1)</script> tomorrow.',
    });
    expect(html.status).toBe(201);
    expect(html.body.title).toBe('<img src=x onerror=alert(1)>');
    const big = multipart(
      {},
      { name: 'huge.txt', type: 'text/plain', data: Buffer.alloc(11 * 1024 * 1024, 'a') },
    );
    const huge = await rawPost(team.member.client, calls(team), big.body, big.contentType);
    expect(huge.status).toBe(413);
    const tooBig = await rawPost(
      team.member.client,
      calls(team),
      Buffer.alloc(30 * 1024 * 1024, 'a'),
      'text/plain',
    );
    expect(tooBig.status).toBe(413);
  });
});

describe('audio', () => {
  let speech: Server;
  let seen: string[] = [];
  beforeAll(async () => {
    speech = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push(
          `${req.url} ${req.headers.authorization} ${Buffer.concat(chunks).includes('whisper-test') ? 'model' : ''}`,
        );
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            text: 'x',
            segments: [{ start: 0, end: 4.2, text: " I'll send the quote by Friday." }],
          }),
        );
      });
    });
    await new Promise<void>((resolve) => speech.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    delete process.env.REVFLOW_SPEECH_BASE_URL;
    await new Promise((resolve) => speech.close(resolve));
  });

  it('says clearly that audio needs a speech provider, and transcribes through one when it is set', async () => {
    const team = await enterpriseTeam();
    const wav = multipart(
      { startedAt: '2026-03-04T15:00:00Z' },
      { name: 'call.wav', type: 'audio/wav', data: Buffer.alloc(2048, 1) },
    );
    const refused = await rawPost(team.member.client, calls(team), wav.body, wav.contentType);
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('speech provider');
    process.env.REVFLOW_SPEECH_BASE_URL = `http://127.0.0.1:${(speech.address() as AddressInfo).port}/v1`;
    process.env.REVFLOW_SPEECH_API_KEY = 'speech-key';
    process.env.REVFLOW_SPEECH_MODEL = 'whisper-test';
    seen = [];
    const status = await team.viewer.client.get<{ speech: boolean }>(
      `/api/v1/workspaces/${team.workspaceId}/voice/status`,
    );
    expect(status.body.speech).toBe(true);
    const done = await rawPost(team.member.client, calls(team), wav.body, wav.contentType);
    expect(done.status, JSON.stringify(done.body)).toBe(201);
    expect(seen).toEqual(['/v1/audio/transcriptions Bearer speech-key model']);
    expect(done.body).toMatchObject({ sourceFormat: 'audio', title: 'call.wav' });
    expect(done.body.items[0]).toMatchObject({ text: 'Send the quote by Friday', dueDate: '2026-03-06' });
  });
});
