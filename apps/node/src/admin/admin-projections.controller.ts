import { Controller, HttpCode, Logger, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { COMPLIANCE_TENSOR, type RebuildResult } from '@corridor/compliance';
import { problem, ProblemException } from '../http/problem';
import { ProjectionRuntime } from '../projections/projection-runtime';

function position(p: RebuildResult['position']): string | null {
  return p === undefined ? null : `${p.commit}/${p.prepare}`;
}

/**
 * Operator endpoints over the projections (operator role, governance/access-roles.json; on the access audit trail). A rebuild folds the whole log into a new generation side by side
 * with the live one, swaps atomically once it has caught up, and answers both commitments so the caller can
 * check the rebuilt tensor equals the live one.
 */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/projections')
export class AdminProjectionsController {
  private running = false;
  private readonly logger = new Logger('Admin');

  constructor(private readonly projections: ProjectionRuntime) {}

  @Post(':name/rebuild')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rebuild a projection (or `all`) from the log beside the live one and swap; answers old and new generation and tensor commitment' })
  async rebuild(@Param('name') name: string) {
    const host = this.projections.host;
    const names = name === 'all' ? host.names : [name];
    for (const n of names) if (!host.names.includes(n)) throw problem.notFound('projection', n);
    if (this.running) throw problem.conflict('rebuild-in-progress', 'Rebuild in progress', 'another rebuild is running on this node; retry when it has swapped');
    this.running = true;
    try {
      const before = await this.projections.queries.tensor.commitment();
      const results = await host.rebuild(names);
      const after = await this.projections.queries.tensor.commitment();
      const tensorResult = results.find((r) => r.projection === COMPLIANCE_TENSOR);
      return {
        projections: results.map((r) => ({
          projection: r.projection,
          previous: { generation: r.previous ?? null, position: position(r.previousPosition), meta: r.previousMeta },
          rebuilt: { generation: r.generation, position: position(r.position), events: r.events, meta: r.meta },
        })),
        tensor: {
          previous: { commitment: tensorResult ? (tensorResult.previousMeta.commitment ?? before.commitment) : before.commitment, generation: before.generation, position: before.position },
          rebuilt: { commitment: tensorResult ? (tensorResult.meta.commitment ?? after.commitment) : after.commitment, generation: after.generation, position: after.position },
          serving: after,
          equal: (tensorResult ? (tensorResult.previousMeta.commitment ?? before.commitment) === (tensorResult.meta.commitment ?? after.commitment) : before.commitment === after.commitment),
        },
      };
    } catch (e) {
      if (e instanceof ProblemException) throw e;
      // The cause goes to the log only: answers never carry internal messages (spec/security.md §5).
      this.logger.error(`rebuild of ${names.join(', ')} failed: ${(e as Error)?.stack ?? String(e)}`);
      throw new ProblemException(500, 'rebuild-failed', 'Rebuild failed', 'the rebuild stopped; the live projections are untouched; the cause has been logged');
    } finally {
      this.running = false;
    }
  }
}
