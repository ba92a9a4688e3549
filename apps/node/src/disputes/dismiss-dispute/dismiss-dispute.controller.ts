import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { DismissDisputeCommand } from './dismiss-dispute.command';
import { DismissDisputeDto } from './dismiss-dispute.dto';

@ApiTags('disputes')
@Controller('disputes/:id')
export class DismissDisputeController {
  constructor(private readonly commands: CommandBus) {}

  @Post('dismiss')
  @HttpCode(201)
  @ApiOperation({ summary: 'Dismiss the dispute (FILED or UNDER_REVIEW → DISMISSED)', description: 'By dismissal order (recorded by digest).' })
  async dismissDispute(@Param('id') id: string, @Body() b: DismissDisputeDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new DismissDisputeCommand(id, b.dismissal_order_digest_sha256, b.reason)));
  }
}
