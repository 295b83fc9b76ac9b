import { describe, expect, it } from 'vitest';
import { localClassify } from '../api/ai/local/classify.js';
import { localEmbed } from '../api/ai/local/embed.js';
import { localExtract } from '../api/ai/local/extract.js';
import { localGenerate, LOCAL_GENERATE_NOTICE } from '../api/ai/local/generate.js';
import { localSummarize } from '../api/ai/local/summarize.js';
import { approximateTokens, cleanText } from '../api/ai/text.js';

/** The local provider on realistic sales email: what it reads, and what it says it cannot. */

const inbound = `Hi team,

I'm Sarah Connor, VP of Sales at Acme Robotics. We'd like 25 seats of the Professional plan starting March 3rd, 2027.
Our budget is around $12.5k per year. We don't need SSO yet but want a demo next week.
Call me at (415) 555-0199 or email sarah.connor@acme-robotics.com.
We're based in Austin, Texas. See https://acme-robotics.com/about.
Best, Sarah`;

const evaluation = `Hi Tom,

Thanks for the call yesterday. We evaluated three vendors and your pricing is the most competitive, but we need SSO and a SOC 2 report before legal signs off.
Our budget is $40,000 for the first year, and we want to roll out to 120 reps by February 15.
Can you send the security questionnaire and a revised quote with annual billing?

Best regards,
Priya Raman
Head of Revenue Operations, Northwind Traders`;

const now = new Date('2026-12-04T10:00:00Z');

describe('local extraction', () => {
  it('fills a lead from an inbound email: contact, company, seats, budget, date, plan, yes/no', () => {
    const { data, missing } = localExtract(
      inbound,
      {
        type: 'object',
        properties: {
          name: { type: 'string' },
          email: { type: 'string', format: 'email' },
          phone: { type: 'string' },
          company: { type: 'string' },
          title: { type: 'string' },
          seats: { type: 'integer' },
          budget: { type: 'number' },
          startDate: { type: 'string', format: 'date' },
          plan: { enum: ['starter', 'professional', 'enterprise'] },
          wantsDemo: { type: 'boolean' },
          needsSso: { type: 'boolean', description: 'needs SSO' },
          city: { type: 'string' },
          website: { type: 'string' },
          sentiment: { enum: ['positive', 'neutral', 'negative'] },
          competitor: { type: 'string' },
        },
      },
      now,
    );
    expect(data).toEqual({
      name: 'Sarah Connor',
      email: 'sarah.connor@acme-robotics.com',
      phone: '+14155550199',
      company: 'Acme Robotics',
      title: 'VP of Sales',
      seats: 25,
      budget: 12500,
      startDate: '2027-03-03',
      plan: 'professional',
      wantsDemo: true,
      needsSso: false,
      city: 'Austin, Texas',
      website: 'https://acme-robotics.com/about',
      sentiment: 'positive',
    });
    // Nobody named a competitor: it says so instead of guessing.
    expect(missing).toEqual(['competitor']);
  });

  it('reads the writer, not the person greeted, and the company from the signature', () => {
    const { data, missing } = localExtract(
      evaluation,
      {
        type: 'object',
        properties: {
          contactName: { type: 'string' },
          company: { type: 'string' },
          jobTitle: { type: 'string' },
          reps: { type: 'integer', description: 'number of reps to roll out to' },
          budget: { type: 'number' },
          deadline: { type: 'string', format: 'date' },
          needsSso: { type: 'boolean' },
          contact: { type: 'object', properties: { email: { type: 'string' } } },
        },
      },
      now,
    );
    expect(data).toEqual({
      contactName: 'Priya Raman',
      company: 'Northwind Traders',
      jobTitle: 'Head of Revenue Operations',
      reps: 120,
      budget: 40000,
      deadline: '2027-02-15',
      needsSso: true,
    });
    expect(missing).toEqual(['contact.email']);
  });
});

describe('local classification', () => {
  const categories = [
    { name: 'pricing', description: 'questions about price, quote, discount, billing' },
    { name: 'security', description: 'SSO, SOC 2, compliance, security review' },
    { name: 'support', description: 'bugs, errors, something broken' },
    { name: 'complaint', description: 'unhappy customer, angry, wants a refund' },
  ];

  it('labels a buying email with pricing and security, not support or complaint', () => {
    const result = localClassify(evaluation, categories, true);
    expect(result.labels.sort()).toEqual(['pricing', 'security']);
    expect(result.scores.support).toBe(0);
    expect(result.scores.complaint).toBeLessThan(0.15);
  });

  it('hears an angry customer as a complaint (sentiment counts), single label', () => {
    const result = localClassify(
      'This is broken again and I am furious. I want a refund now!',
      categories,
      false,
    );
    expect(result.labels).toEqual(['complaint']);
    expect(result.scores.complaint).toBeGreaterThan(result.scores.support ?? 1);
  });

  it('answers other when nothing fits', () => {
    expect(localClassify('What time is lunch on Friday?', categories, false).labels).toEqual(['other']);
  });
});

describe('local summary, generation and embeddings', () => {
  it('summarises by the sentences with the facts, leaving out greetings and the signature', () => {
    const { summary, keyPoints } = localSummarize(evaluation, 2);
    expect(summary).toContain('SOC 2');
    expect(summary).toContain('$40,000');
    expect(summary).not.toContain('Hi Tom');
    expect(keyPoints.some((point) => point.includes('security questionnaire'))).toBe(true);
    expect(keyPoints.join(' ')).not.toMatch(/Best regards/);
  });

  it('fills a template from the prompt and leaves what it cannot fill visible', () => {
    const { text, unfilled } = localGenerate(
      'Follow up with Priya Raman (priya@northwind.com) at Northwind Traders.\nTemplate:\nHi [First name], I will send the quote for {company} to <email> today. {discount}',
      undefined,
    );
    expect(text).toBe(
      'Hi Priya, I will send the quote for Northwind Traders to priya@northwind.com today. {discount}',
    );
    expect(unfilled).toEqual(['{discount}']);
    expect(LOCAL_GENERATE_NOTICE).toMatch(/not a language model/);
  });

  it('embeds texts so shared words are close and unrelated ones are not', () => {
    const dot = (a: number[], b: number[]): number => a.reduce((sum, v, i) => sum + v * (b[i] ?? 0), 0);
    const a = localEmbed('pricing for the enterprise plan');
    expect(a).toHaveLength(256);
    expect(dot(a, localEmbed('Enterprise plan price'))).toBeGreaterThan(0.9);
    expect(Math.abs(dot(a, localEmbed('the weather is sunny')))).toBeLessThan(0.3);
  });
});

describe('text hygiene', () => {
  it('removes NUL and control characters, repairs lone surrogates, counts tokens', () => {
    expect(cleanText('a\u0000b\u0007c\n\td\uD800e', 'text', 100)).toBe('abc\n\td\uFFFDe');
    expect(approximateTokens('Hello, world! Internationalization')).toBe(2 + 1 + 2 + 1 + 5);
  });

  it('refuses input past the cap, naming the field and the limit', () => {
    expect(() => cleanText('x'.repeat(101), 'text', 100)).toThrow(
      /text has 101 characters; AI calls take at most 100/,
    );
  });
});
