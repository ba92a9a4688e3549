import * as fs from 'node:fs';
import * as path from 'node:path';
import { corridor, dispute, migrationSaga, watcherBond } from '@corridor/domain';
import {
  ARBITRATION_ENFORCEMENT_FAMILY,
  COMPLIANCE_ATTESTATION_FAMILY,
  CORRIDOR_EVENTS,
  DISPUTE_EVENTS,
  LICENCE_FAMILY,
  MIGRATION_EVENTS,
  SANCTIONS_FAMILY,
  WATCHER_EVENTS,
} from '@corridor/compliance';

describe('the event names the projections read', () => {
  it('are the domain library\'s stable names', () => {
    expect(CORRIDOR_EVENTS).toEqual(corridor.CORRIDOR_EVENT_TYPES);
    expect(MIGRATION_EVENTS).toEqual(migrationSaga.MIGRATION_SAGA_EVENT_TYPES);
    expect(WATCHER_EVENTS).toEqual(watcherBond.WATCHER_BOND_EVENT_TYPES);
    expect(DISPUTE_EVENTS).toEqual(dispute.DISPUTE_EVENT_TYPES);
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
