import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { ChangeCorridorLifecycleCommand } from './change-lifecycle.command';
import { LifecycleTransitionDto } from './change-lifecycle.dto';

/** One route per lifecycle move; which moves are allowed from which state is the governance file's business. */
@ApiTags('corridors')
@Controller('corridors/:id')
export class ChangeCorridorLifecycleController {
  constructor(private readonly commands: CommandBus) {}

  private run(id: string, kind: ChangeCorridorLifecycleCommand['kind'], body: LifecycleTransitionDto): Promise<CommandAnswer> {
    return this.commands.execute(new ChangeCorridorLifecycleCommand(id, kind, body.evidence, body.authorization)).then(commandAnswer);
  }

  @Post('submit') @HttpCode(201) @ApiOperation({ summary: 'DRAFT → PENDING with the definition credential' })
  submit(@Param('id') id: string, @Body() body: LifecycleTransitionDto) { return this.run(id, 'submit', body); }

  @Post('activate') @HttpCode(201) @ApiOperation({ summary: 'PENDING → ACTIVE with agreement credentials meeting the activation thresholds; starts the state channel' })
  activate(@Param('id') id: string, @Body() body: LifecycleTransitionDto) { return this.run(id, 'activate', body); }

  @Post('halt') @HttpCode(201) @ApiOperation({ summary: 'ACTIVE → HALTED with a fork-alarm credential' })
  halt(@Param('id') id: string, @Body() body: LifecycleTransitionDto) { return this.run(id, 'halt', body); }

  @Post('suspend') @HttpCode(201) @ApiOperation({ summary: 'ACTIVE → SUSPENDED with a zone-authority authorization' })
  suspend(@Param('id') id: string, @Body() body: LifecycleTransitionDto) { return this.run(id, 'suspend', body); }

  @Post('resume') @HttpCode(201) @ApiOperation({ summary: 'HALTED → ACTIVE (fork resolution) or SUSPENDED → ACTIVE (zone authority)' })
  resume(@Param('id') id: string, @Body() body: LifecycleTransitionDto) { return this.run(id, 'resume', body); }

  @Post('deprecate') @HttpCode(201) @ApiOperation({ summary: 'ACTIVE/HALTED/SUSPENDED → DEPRECATED with a zone-authority authorization' })
  deprecate(@Param('id') id: string, @Body() body: LifecycleTransitionDto) { return this.run(id, 'deprecate', body); }
}
