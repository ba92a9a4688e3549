/**
 * The 20 compliance domains of the tensor, in their canonical order (the order of the Rust generation of the
 * reference). This list is the single definition: every other module, the canonical tensor form and the
 * commitment take it from here.
 */
export const COMPLIANCE_DOMAINS = [
  'aml',
  'kyc',
  'sanctions',
  'tax',
  'securities',
  'corporate',
  'custody',
  'data_privacy',
  'licensing',
  'banking',
  'payments',
  'clearing',
  'settlement',
  'digital_assets',
  'employment',
  'immigration',
  'ip',
  'consumer_protection',
  'arbitration',
  'trade',
] as const;

export type ComplianceDomain = (typeof COMPLIANCE_DOMAINS)[number];

const DOMAIN_SET: ReadonlySet<string> = new Set(COMPLIANCE_DOMAINS);

export function isComplianceDomain(value: unknown): value is ComplianceDomain {
  return typeof value === 'string' && DOMAIN_SET.has(value);
}
