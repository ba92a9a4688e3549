import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import type { PeerTransport } from '@corridor/peering';
import { canonicalize, PROBLEM_BASE_URI, type Ed25519KeyPair, type JsonObject } from '@corridor/protocol';
import type { Response } from 'express';
import { NODE_CONFIG, NODE_KEY } from './infrastructure/tokens';
import type { NodeConfig } from './config/node-config';
import { checkReadiness } from './health/readiness';
import { LedgerLifecycle } from './infrastructure/ledger-lifecycle';
import { PEER_TRANSPORT } from './peering/peer-transport.provider';
import { ProjectionRuntime } from './projections/projection-runtime';

/** Liveness, readiness and identity (spec/operations.md §1). */
@ApiTags('node')
@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(NODE_KEY) private readonly key: Ed25519KeyPair,
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    private readonly projections: ProjectionRuntime,
    private readonly modules: ModuleRef,
  ) {}

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers (also while it shuts down). Restart the node only when this fails.' })
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @ApiOperation({
    summary: 'Readiness: the node is serving and its dependencies answer',
    description:
      'Checks, each bounded by 2 s: lifecycle (not shutting down), event_store (answers a read), peer_transport (`healthy()`: Kafka in its group and publishing), redis (when the projections live there), projections (running, at most CORRIDOR_READY_MAX_PROJECTION_LAG events behind the log). 200 with every check; otherwise a 503 `not-ready` problem whose `checks` say which failed.',
  })
  @ApiResponse({ status: 503, description: '`not-ready` problem with the per-check detail in `checks`' })
  async ready(@Res() res: Response): Promise<void> {
    const lifecycle = this.lookup<LedgerLifecycle>(LedgerLifecycle);
    const report = await checkReadiness({
      lifecycle: () => lifecycle?.gate.state ?? 'serving',
      events: this.store,
      eventStoreBackend: this.config.eventStore,
      transport: () => this.lookup<PeerTransport>(PEER_TRANSPORT),
      projections: this.projections,
      maxProjectionLag: this.config.readyMaxProjectionLag,
    });
    // Written here rather than thrown: an unready node is an expected answer, not a failure to log with its stack.
    if (report.ready) {
      res.status(200).type('application/json; charset=utf-8').send(canonicalize({ status: 'ready', checks: report.checks } as unknown as JsonObject));
      return;
    }
    const failed = Object.entries(report.checks).filter(([, c]) => c.status !== 'up');
    const detail = failed.map(([name, c]) => `${name}: ${String(c.error ?? 'down')}`).join('; ');
    const problem = { type: `${PROBLEM_BASE_URI}not-ready`, title: 'Not ready', status: 503, detail, instance: '/health/ready', checks: report.checks };
    res.status(503).type('application/problem+json').send(JSON.stringify(problem));
  }

  @Get('node')
  @ApiOperation({ summary: "This node's identity: jurisdiction and signing did:key" })
  identity() {
    return { jurisdiction: this.config.jurisdiction, did: this.key.did, verification_method: this.key.verificationMethod };
  }

  /** A component of another module (not exported to this one), if the node has it. */
  private lookup<T>(token: unknown): T | undefined {
    try {
      return this.modules.get<T>(token as never, { strict: false });
    } catch {
      return undefined;
    }
  }
}
