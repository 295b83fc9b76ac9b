import { Parser } from 'htmlparser2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMarkdown } from '../api/releases/markdown.js';
import { startApi, type ApiClient, type TestApi } from './helpers/api.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions
type Body = any;

/** Hostile markdown and HTML an admin account (or whoever stole it) might write into a note. */
const PAYLOADS: Array<[string, string]> = [
  ['script tag', '<script>alert(1)</script>'],
  ['script, mixed case', '<ScRiPt src="https://evil.example/x.js"></ScRiPt>'],
  ['script split by markdown', '<scr<script>ipt>alert(1)</scr</script>ipt>'],
  ['javascript: markdown link', '[click](javascript:alert(1))'],
  ['javascript: with entities', '[click](&#106;avascript:alert(1))'],
  ['javascript: with tab', '<a href="java\tscript:alert(1)">x</a>'],
  ['JaVaScRiPt: html link', '<a href="JaVaScRiPt:alert(1)">x</a>'],
  ['vbscript: link', '<a href="vbscript:msgbox(1)">x</a>'],
  ['data: link', '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
  ['data: image', '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)'],
  ['img onerror', '<img src=x onerror=alert(1)>'],
  ['img onerror https', '<img src="https://e.example/a.png" onerror="alert(1)">'],
  ['svg onload', '<svg onload=alert(1)><circle r=1 /></svg>'],
  ['svg script', '<svg><script>alert(1)</script></svg>'],
  [
    'math xlink',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
  ],
  ['iframe srcdoc', '<iframe srcdoc="<script>alert(1)</script>"></iframe>'],
  ['object data', '<object data="javascript:alert(1)"></object>'],
  ['embed', '<embed src="javascript:alert(1)">'],
  ['body onload', '<body onload=alert(1)>'],
  ['details ontoggle', '<details open ontoggle=alert(1)>x</details>'],
  ['style tag', '<style>body{background:url("javascript:alert(1)")}</style>'],
  ['style attribute', '<p style="background-image:url(javascript:alert(1))">x</p>'],
  ['link stylesheet', '<link rel=stylesheet href="https://evil.example/x.css">'],
  ['meta refresh', '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'],
  ['form action', '<form action="javascript:alert(1)"><button>go</button></form>'],
  ['base href', '<base href="javascript:alert(1)//">'],
  ['attribute breakout', '<a href="https://ok.example" " onclick="alert(1)">x</a>'],
  ['markdown title breakout', '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")'],
  ['autolink javascript', '<javascript:alert(1)>'],
  ['html comment trick', '<!--><img src=x onerror=alert(1)>-->'],
  ['noscript mutation', '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>'],
  ['template', '<template><img src=x onerror=alert(1)></template>'],
  ['protocol-relative link', '<a href="//evil.example">x</a>'],
  ['relative img', '<img src="/api/v1/auth/logout">'],
  ['NUL in tag', '<scr\u0000ipt>alert(1)</script>'],
];

const EXECUTABLE_TAGS = new Set([
  'script',
  'style',
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
  'link',
  'meta',
  'base',
  'form',
  'body',
  'template',
  'noscript',
  'frame',
  'frameset',
  'applet',
  'input',
  'button',
]);

/** What a browser could run in this HTML: dangerous tags, handlers, styles, non-http(s) URLs. */
function dangers(html: string): string[] {
  const found: string[] = [];
  const parser = new Parser({
    onopentag(name, attributes) {
      if (EXECUTABLE_TAGS.has(name)) found.push(`<${name}>`);
      for (const [attribute, value] of Object.entries(attributes)) {
        if (/^on/i.test(attribute)) found.push(`${name}[${attribute}]`);
        if (attribute === 'style' || attribute === 'srcdoc' || attribute.includes(':'))
          found.push(`${name}[${attribute}]`);
        if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(attribute)) {
          // Browsers drop whitespace and control characters inside a scheme.
          // eslint-disable-next-line no-control-regex -- that is what is looked for
          const url = value.replace(/[\s\u0000-\u001f]/g, '').toLowerCase();
          if (!/^(https:\/\/|http:\/\/|mailto:)/.test(url)) found.push(`${name}[${attribute}=${value}]`);
          if (name === 'img' && !url.startsWith('https://')) found.push(`img[src=${value}]`);
        }
      }
    },
  });
  parser.write(html);
  parser.end();
  return found;
}

let server: TestApi;
let admin: ApiClient;
const ADMIN_EMAIL = `xss-admin-${Date.now()}@revflow.example`;
const saved = process.env.REVFLOW_ADMIN_EMAILS;

beforeAll(async () => {
  process.env.REVFLOW_ADMIN_EMAILS = ADMIN_EMAIL;
  server = await startApi();
  admin = server.client();
  await admin.signup({ email: ADMIN_EMAIL });
}, 60_000);

afterAll(async () => {
  await server?.close();
  process.env.REVFLOW_ADMIN_EMAILS = saved;
});

describe('release notes: hostile markdown never executes', () => {
  it('the detector itself sees the raw payloads as dangerous (so the test can fail)', () => {
    // The raw-HTML payloads (markdown ones only become HTML through marked).
    const raw = [
      'script tag',
      'img onerror',
      'svg onload',
      'style attribute',
      'JaVaScRiPt: html link',
      'iframe srcdoc',
      'relative img',
    ];
    for (const [name, payload] of PAYLOADS.filter(([n]) => raw.includes(n)))
      expect(dangers(payload), name).not.toEqual([]);
  });

  it.each(PAYLOADS)('%s: rendered to harmless HTML', (_name, payload) => {
    const html = renderMarkdown(`Before\n\n${payload}\n\nAfter`);
    expect(dangers(html)).toEqual([]);
  });

  it('keeps what a release note needs: headings, emphasis, lists, code, https links and images', () => {
    const html = renderMarkdown(
      '## New\n\n- **Bold** and _em_\n- `code`\n\n[docs](https://revflow.example/docs) ![shot](https://revflow.example/a.png)\n\n```\nnpm start\n```',
    );
    expect(html).toContain('<h2>New</h2>');
    expect(html).toContain('<strong>Bold</strong>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain(
      '<a href="https://revflow.example/docs" rel="noopener noreferrer nofollow" target="_blank">docs</a>',
    );
    expect(html).toContain('<img src="https://revflow.example/a.png" alt="shot" />');
    expect(html).toContain('<pre><code>npm start\n</code></pre>');
  });

  it('serves only sanitised HTML over the API: preview, the note, the changelog and the feed', async () => {
    // NUL is refused at the door (400), so it is left out of what is stored.
    expect((await admin.post('/api/v1/admin/releases/preview', { body: '<scr\u0000ipt>' })).status).toBe(400);
    const body = PAYLOADS.filter(([name]) => name !== 'NUL in tag')
      .map(([, payload]) => payload)
      .join('\n\n');
    const preview = await admin.post<Body>('/api/v1/admin/releases/preview', { body });
    expect(preview.status).toBe(200);
    expect(dangers(preview.body.html)).toEqual([]);
    const made = await admin.post<Body>('/api/v1/admin/releases', {
      title: '<img src=x onerror=alert(1)>',
      body,
      category: 'security',
    });
    expect(made.status).toBe(201);
    expect(dangers(made.body.html)).toEqual([]);
    expect((await admin.post(`/api/v1/admin/releases/${made.body.id}/publish`, {})).status).toBe(200);
    const me = await admin.get<Body>('/api/v1/me');
    const changelog = await admin.get<Body>(`/api/v1/workspaces/${me.body.workspaces[0].id}/releases`);
    const shown = changelog.body.items.find((note: Body) => note.id === made.body.id);
    expect(dangers(shown.html)).toEqual([]);
    // The title is data, shown as text by the canvas; the markdown source is kept as written.
    expect(shown.title).toBe('<img src=x onerror=alert(1)>');
    const atom = await server.client().get('/api/v1/releases/feed.atom');
    expect(atom.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const contents = [
      ...atom.text.matchAll(/<content type="html"><!\[CDATA\[([\s\S]*?)\]\]><\/content>/g),
    ].map((m) => m[1] ?? '');
    expect(contents.length).toBeGreaterThan(0);
    for (const content of contents) expect(dangers(content)).toEqual([]);
  });
});
