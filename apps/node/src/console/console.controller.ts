import { Controller, Get, Header, Inject, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import type { NodeConfig } from '../config/node-config';
import { NODE_CONFIG } from '../infrastructure/tokens';
import { principalOf } from '../regulator/access/access.middleware';
import { RegulatorReads } from '../regulator/queries/regulator-reads';
import { ProjectionRuntime } from '../projections/projection-runtime';
import { renderConsole } from './console-page';

/** The regulator console: one server-rendered page over the same reads as the regulator API. */
@ApiExcludeController()
@ApiBearerAuth()
@Controller('console')
export class ConsoleController {
  constructor(
    private readonly reads: RegulatorReads,
    private readonly projections: ProjectionRuntime,
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; frame-ancestors 'none'")
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  async page(@Req() req: Request): Promise<string> {
    const q = this.projections.queries;
    const now = Date.now();
    const corridors = await this.reads.collect((after) => this.reads.corridors(undefined, { after, limit: 1000 }).then((r) => r.data));
    const heat = await this.reads.heatmap(undefined);
    const disputes = await this.reads.collect((after) => q.disputes({ open: true }, { after, limit: 1000 }).then((r) => r.data));
    const sagas = await this.reads.collect((after) => q.openMigrationsByDeadline(now, { after, limit: 1000 }).then((r) => r.data));
    return renderConsole({
      jurisdiction: this.config.jurisdiction,
      principal: principalOf(req)?.name ?? 'unknown',
      asOf: new Date(now).toISOString(),
      tensor: heat.tensor,
      corridors,
      heatmap: heat.data,
      disputes,
      sagas,
      projections: this.projections.status(),
    });
  }
}
