import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString } from 'class-validator';
import { watcherBond } from '@corridor/domain';

export class SlashBondDto {
  @ApiProperty({ enum: watcherBond.OFFENCES, description: 'Priced by governance/watcher-slashing.json (basis points of the collateral; collusion also bans).' })
  @IsString()
  @IsIn(watcherBond.OFFENCES)
  offence!: string;

  @ApiProperty({
    description:
      'equivocation: {attestations: [vc, vc]} — two MSEZCorridorWatcherAttestationCredentials signed by the watcher, same corridor and receipt count, different final state roots (verified by the node). Other offences: {incident_id, corridor_id, evidence_digest_sha256} of the adjudicated evidence bundle.',
  })
  @IsOptional()
  @IsObject()
  evidence?: Record<string, unknown>;
}
