import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { OpenEvidenceCollectionCommand } from './open-evidence-collection.command';
import { OpenEvidenceCollectionDto } from './open-evidence-collection.dto';

@ApiTags('disputes')
@Controller('disputes/:id')
export class OpenEvidenceCollectionController {
  constructor(private readonly commands: CommandBus) {}

  @Post('evidence-collection')
  @HttpCode(201)
  @ApiOperation({ summary: 'Open evidence collection until a deadline (UNDER_REVIEW → EVIDENCE_COLLECTION)', description: 'By procedural order (recorded by digest).' })
  async openEvidenceCollection(@Param('id') id: string, @Body() b: OpenEvidenceCollectionDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new OpenEvidenceCollectionCommand(id, b.procedural_order_digest_sha256, b.evidence_deadline)));
  }
}
