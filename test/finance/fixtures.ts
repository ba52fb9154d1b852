/** Hand-made appraisals for the portfolio and report tests. */
import type { ProjectAppraisal } from '../../src/finance/appraisal.ts';

/** An appraisal with only what the plan reads set; the rest neutral. */
export function appraisal(o: Partial<ProjectAppraisal> & { id: string }): ProjectAppraisal {
  const lost = (o as { lost?: number }).lost ?? 0;
  return {
    name: o.id,
    company: '',
    country: o.region ?? 'USA',
    region: 'USA',
    member: true,
    commodity: 'lithium/chemicals',
    chain: 'lithium',
    status: 'feasibility',
    origin: 'data',
    committed: false,
    capacity: 1,
    unit: 't LCE',
    priceUnit: 'USD/t LCE',
    capex: 1e8,
    cashCost: 1,
    leadTime: 3,
    life: 20,
    integrated: false,
    decisionYear: 2026,
    onlineYear: 2029,
    provenance: {},
    npvBaseline: -1,
    npvZone: -1,
    npvZoneMarket: -1,
    irrBaseline: null,
    irrZone: null,
    irrBaselineNote: '',
    irrZoneNote: '',
    incentivePrice: null,
    incentivePriceAnnuity: null,
    cfdPayments: 0,
    floorTransfer: 0,
    bankableBaseline: false,
    bankableWithoutSupport: false,
    supportCost: 1e8,
    capitalCost: 2e8,
    security: {
      consumptionLostAvoided: lost,
      consumptionLostAvoidedInShocks: lost / 2,
      selfSufficiency: null,
      blocProductionAdded: 0,
    },
    supplyValueAdded: 0,
    securityPerSupportDollar: null,
    ...o,
  };
}
