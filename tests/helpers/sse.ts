export interface SseEvent {
  event: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read it
  data: any;
}

/** Read a Server-Sent Events stream until the server closes it (or the timeout). */
export async function readSse(url: string, sessionCookie: string, timeoutMs: number): Promise<SseEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('SSE stream did not end in time')), timeoutMs);
  try {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', cookie: `revflow_session=${sessionCookie}` },
      signal: controller.signal,
    });
    if (response.status !== 200) throw new Error(`SSE answered ${response.status}: ${await response.text()}`);
    const text = await response.text();
    return text
      .split('\n\n')
      .filter((block) => block.startsWith('event:'))
      .map((block) => {
        const lines = block.split('\n');
        const event = lines.find((line) => line.startsWith('event: '))!.slice(7);
        const data = lines.find((line) => line.startsWith('data: '))!.slice(6);
        return { event, data: JSON.parse(data) as unknown };
      });
  } finally {
    clearTimeout(timer);
  }
}
