import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { JsonObject } from '@corridor/protocol';
import { SubmitAttestationCommand } from './submit-attestation.command';
import { SubmitAttestationDto } from './submit-attestation.dto';

@ApiTags('watchers')
@Controller('corridors/:id/attestations')
export class SubmitAttestationController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'A bonded watcher attests a head of the state channel',
    description:
      'Verified (signature, bond covering the corridor, freshness, the head is this node\'s chain at that height) and counted towards watcher quorum; reaching quorum is recorded as a receipt. A watcher that already attested another head at that height is slashed for equivocation (409).',
  })
  submit(@Param('id') id: string, @Body() body: SubmitAttestationDto): Promise<JsonObject> {
    return this.commands.execute(new SubmitAttestationCommand(id, body.attestation as JsonObject));
  }
}
