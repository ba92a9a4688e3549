import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import type { Ed25519KeyPair } from '@corridor/protocol';
import { NODE_CONFIG, NODE_KEY } from './infrastructure/tokens';
import type { NodeConfig } from './config/node-config';
import { ProblemException } from './http/problem';

@ApiTags('node')
@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(NODE_KEY) private readonly key: Ed25519KeyPair,
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
  ) {}

  @Get('health/live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @HttpCode(200)
  @ApiOperation({ summary: 'Readiness: the event store answers a read' })
  async ready() {
    try {
      await this.store.readLast('$health-probe');
    } catch (e) {
      throw new ProblemException(503, 'not-ready', 'Not ready', `event store unavailable: ${(e as Error).message}`);
    }
    return { status: 'ready', event_store: this.config.eventStore };
  }

  @Get('node')
  @ApiOperation({ summary: "This node's identity: jurisdiction and signing did:key" })
  identity() {
    return { jurisdiction: this.config.jurisdiction, did: this.key.did, verification_method: this.key.verificationMethod };
  }
}
