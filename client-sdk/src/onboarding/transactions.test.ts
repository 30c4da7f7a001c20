// Derived RFM features and churn / next-period-spend labels against a hand-computed example.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveTaskDefinition } from '@consort/core';
import { parseMapping } from './mapping.ts';
import { openMappedSource } from './mapped-source.ts';

const LINES = `InvoiceNo,InvoiceDate,CustomerID,Quantity,UnitPrice,Consent
INV1,2024-01-01 00:00,A,2,5,yes
INV1,2024-01-01 00:00,A,1,20,yes
INV2,2024-01-21 00:00,A,1,40,yes
C3,2024-02-10 00:00,A,-1,20,yes
INV4,2024-02-20 00:00,A,3,10,yes
INV5,2024-03-10 00:00,A,1,15,yes
INV6,2024-02-15 00:00,B,1,100,yes
INV7,2024-03-05 00:00,C,1,10,yes
INV8,2024-04-15 00:00,B,2,50,yes
INV9,2024-02-01 00:00,,1,10,yes
INV10,2024-02-01 00:00,D,1,10,no
`;

describe('transactions -> customers', () => {
  it('derives recency, frequency, monetary, tenure, AOV, inter-purchase time, trend and labels as computed by hand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consort-tx-'));
    writeFileSync(join(dir, 'lines.csv'), LINES);
    const mapping = parseMapping({
      source: { path: 'lines.csv' }, shape: 'transactions', consent: { column: 'Consent', values: ['yes'] },
      transactions: {
        customer: 'CustomerID', invoice: 'InvoiceNo', timestamp: 'InvoiceDate', dateFormat: 'YYYY-MM-DD HH:mm', quantity: 'Quantity', unitPrice: 'UnitPrice',
        cancellation: { column: 'InvoiceNo', startsWith: 'C' }, cutoff: '2024-03-01', horizonDays: 30,
      },
    }, 'm.yaml', dir);
    const task = resolveTaskDefinition({
      name: 't', label: 'churned', numeric: ['recency_days', 'frequency', 'monetary', 'tenure_days', 'avg_order_value', 'inter_purchase_days', 'spend_trend', 'next_period_spend'], minMembers: 3,
    });
    const mapped = await openMappedSource(mapping, task);
    const rows = [];
    for await (const r of mapped.rows()) rows.push(r.values);
    // A: orders INV1 (30), INV2 (40), INV4 (30); C3 returns 20. Cutoff 2024-03-01 (2024 is a leap year).
    //   recency = Feb 20 -> Mar 1 = 10 d; tenure = Jan 1 -> Mar 1 = 60 d; frequency 3; monetary 30 + 40 - 20 + 30 = 80;
    //   AOV 80 / 3; inter-purchase (Feb 20 - Jan 1) / 2 = 25 d; trend: recent [Jan 31, Mar 1) = -20 + 30 = 10,
    //   earlier [Jan 1, Jan 31) = 70 -> (10 - 70) / 80 = -0.75; INV5 on Mar 10 is inside the 30-day horizon: not churned, spend 15.
    // B: one order Feb 15 (100): recency = tenure = 15; no order in [Mar 1, Mar 31) (INV8 is after the horizon): churned.
    // C buys only after the cutoff (not a customer yet); the line without id and D (no consent) are excluded.
    expect(rows).toEqual([
      { customer_id: 'A', recency_days: '10', frequency: '3', monetary: '80', tenure_days: '60', avg_order_value: '26.6667', inter_purchase_days: '25', spend_trend: '-0.75', next_period_spend: '15', churned: '0' },
      { customer_id: 'B', recency_days: '15', frequency: '1', monetary: '100', tenure_days: '15', avg_order_value: '100', inter_purchase_days: '', spend_trend: '1', next_period_spend: '0', churned: '1' },
    ]);
    expect(mapped.counts).toMatchObject({ read: 11, noCustomer: 1, noConsent: 1 });
    expect(mapped.counts.derivation).toMatchObject({ cancellations: 1, linesAfterHorizon: 1, customersOnlyAfterCutoff: 1 });
    expect(mapped.sourceColumnsRead.sort()).toEqual(['Consent', 'CustomerID', 'InvoiceDate', 'InvoiceNo', 'Quantity', 'UnitPrice']);
  });
});
