import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ProcessManagersModule } from '../process-managers/process-managers.module';
import { BeginReviewController } from './begin-review/begin-review.controller';
import { BeginReviewHandler } from './begin-review/begin-review.handler';
import { CloseDisputeController } from './close-dispute/close-dispute.controller';
import { CloseDisputeHandler } from './close-dispute/close-dispute.handler';
import { ConsentToSettlementController } from './consent-to-settlement/consent-to-settlement.controller';
import { ConsentToSettlementHandler } from './consent-to-settlement/consent-to-settlement.handler';
import { DismissDisputeController } from './dismiss-dispute/dismiss-dispute.controller';
import { DismissDisputeHandler } from './dismiss-dispute/dismiss-dispute.handler';
import { DisputeAggregate } from './dispute-aggregate';
import { DisputeCommands } from './dispute-commands';
import { EnforceRulingController } from './enforce-ruling/enforce-ruling.controller';
import { EnforceRulingHandler } from './enforce-ruling/enforce-ruling.handler';
import { FileDisputeController } from './file-dispute/file-dispute.controller';
import { FileDisputeHandler } from './file-dispute/file-dispute.handler';
import { ForfeitEscrowController } from './forfeit-escrow/forfeit-escrow.controller';
import { ForfeitEscrowHandler } from './forfeit-escrow/forfeit-escrow.handler';
import { FundEscrowController } from './fund-escrow/fund-escrow.controller';
import { FundEscrowHandler } from './fund-escrow/fund-escrow.handler';
import { IssueRulingController } from './issue-ruling/issue-ruling.controller';
import { IssueRulingHandler } from './issue-ruling/issue-ruling.handler';
import { OpenEvidenceCollectionController } from './open-evidence-collection/open-evidence-collection.controller';
import { OpenEvidenceCollectionHandler } from './open-evidence-collection/open-evidence-collection.handler';
import { DisputeQueriesController } from './queries/dispute-queries.controller';
import { GetDisputeHandler } from './queries/get-dispute.handler';
import { ReleaseEscrowController } from './release-escrow/release-escrow.controller';
import { ReleaseEscrowHandler } from './release-escrow/release-escrow.handler';
import { ScheduleHearingController } from './schedule-hearing/schedule-hearing.controller';
import { ScheduleHearingHandler } from './schedule-hearing/schedule-hearing.handler';
import { SubmitEvidenceController } from './submit-evidence/submit-evidence.controller';
import { SubmitEvidenceHandler } from './submit-evidence/submit-evidence.handler';

/**
 * Dispute use cases: file, review, evidence, hearing, ruling, enforcement (recorded in the corridor by the process
 * manager), closing, settlement, dismissal, escrow, and reads of the dispute chain.
 */
@Module({
  imports: [CqrsModule, ProcessManagersModule],
  controllers: [
    FileDisputeController,
    BeginReviewController,
    OpenEvidenceCollectionController,
    SubmitEvidenceController,
    ScheduleHearingController,
    IssueRulingController,
    EnforceRulingController,
    CloseDisputeController,
    ConsentToSettlementController,
    DismissDisputeController,
    FundEscrowController,
    ReleaseEscrowController,
    ForfeitEscrowController,
    DisputeQueriesController,
  ],
  providers: [
    DisputeAggregate,
    DisputeCommands,
    FileDisputeHandler,
    BeginReviewHandler,
    OpenEvidenceCollectionHandler,
    SubmitEvidenceHandler,
    ScheduleHearingHandler,
    IssueRulingHandler,
    EnforceRulingHandler,
    CloseDisputeHandler,
    ConsentToSettlementHandler,
    DismissDisputeHandler,
    FundEscrowHandler,
    ReleaseEscrowHandler,
    ForfeitEscrowHandler,
    GetDisputeHandler,
  ],
  exports: [DisputeAggregate],
})
export class DisputesModule {}
