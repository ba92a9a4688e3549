import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { watcherBond } from '@corridor/domain';
import { WatcherBondCommands } from '../watcher-bond-commands';
import { SlashBondCommand } from './slash-bond.command';

@CommandHandler(SlashBondCommand)
export class SlashBondHandler implements ICommandHandler<SlashBondCommand> {
  constructor(private readonly bonds: WatcherBondCommands) {}

  execute(c: SlashBondCommand) {
    return this.bonds.run(c.watcherId, 'SlashBond', { offence: c.offence as watcherBond.Offence, evidence: c.evidence });
  }
}
