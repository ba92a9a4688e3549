import * as fs from 'node:fs';
import * as path from 'node:path';
import { dispute } from '@corridor/domain';
import {
  ARBITRATION_ENFORCEMENT_FAMILY,
  COMPLIANCE_ATTESTATION_FAMILY,
  LICENCE_FAMILY,
  SANCTIONS_FAMILY,
} from '@corridor/compliance';

describe('the event names the projections read', () => {
  it('include the enforcement kind the dispute aggregate emits in the family the tensor reads', () => {
    expect(dispute.RULING_ENFORCEMENT_KIND.startsWith(ARBITRATION_ENFORCEMENT_FAMILY)).toBe(true);
  });

  it('read transition families the governance registry admits', () => {
    const file = path.join(__dirname, '..', '..', '..', 'governance', 'transition-kinds.json');
    const matches = (JSON.parse(fs.readFileSync(file, 'utf8')) as { kinds: { match: string }[] }).kinds.map((k) => k.match);
    for (const family of [COMPLIANCE_ATTESTATION_FAMILY, SANCTIONS_FAMILY, LICENCE_FAMILY, ARBITRATION_ENFORCEMENT_FAMILY]) {
      expect(matches).toContain(`${family}*`);
    }
  });
});
