import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { BeginReviewCommand } from './begin-review.command';
import { BeginReviewDto } from './begin-review.dto';

@ApiTags('disputes')
@Controller('disputes/:id')
export class BeginReviewController {
  constructor(private readonly commands: CommandBus) {}

  @Post('review')
  @HttpCode(201)
  @ApiOperation({ summary: 'Begin review and appoint the arbitrator (FILED → UNDER_REVIEW)', description: "The ruling must later be signed by this arbitrator's did:key." })
  async beginReview(@Param('id') id: string, @Body() b: BeginReviewDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new BeginReviewCommand(id, b.case_reference, b.arbitrator)));
  }
}
