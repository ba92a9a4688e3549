/**
 * A FAKE of the EventStoreDB gRPC Streams API, for tests only. It is not EventStoreDB: an in-memory log that
 * speaks the subset of the protocol `@eventstore/db-client` uses — ServerFeatures, Append, BatchAppend and
 * Read (streams and `$all`, forwards and backwards, catch-up subscriptions with server-side filters) — with
 * EventStoreDB's semantics for exact expected revisions and idempotent retries. It uses the client's own
 * generated protobuf definitions, so the real client code runs unchanged against it.
 *
 * To keep adapters honest it behaves like a server where it matters: `$all` positions are byte offsets with
 * gaps (commit = prepare, as for single-record writes), and system events (`$`-prefixed streams and types)
 * are interleaved into `$all`.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as GoogleEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import { Code } from '@eventstore/db-client/generated/code_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import * as shared from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  ReadReq,
  ReadResp,
} from '@eventstore/db-client/generated/streams_pb';

export interface FakeRecord {
  id: string;
  stream: string;
  revision: number;
  position: bigint;
  type: string;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  createdTicks: bigint;
}

/** The fake's whole state. Keep it to "restart" a fake server with its data, as a real server would. */
export class FakeEventStoreState {
  readonly all: FakeRecord[] = [];
  readonly streams = new Map<string, FakeRecord[]>();
  nextPosition = 1024n;
  appendsSinceSystemEvent = 0;
  private readonly listeners = new Set<() => void>();

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const l of this.listeners) l();
  }

  write(stream: string, events: { id: string; type: string; contentType: string; data: Uint8Array; metadata: Uint8Array }[]): FakeRecord[] {
    const list = this.streams.get(stream) ?? [];
    this.streams.set(stream, list);
    const written: FakeRecord[] = [];
    const ticks = BigInt(Date.now()) * 10_000n + 621_355_968_000_000_000n;
    for (const e of events) {
      const record: FakeRecord = { ...e, stream, revision: list.length, position: this.nextPosition, createdTicks: ticks };
      // Byte-offset positions: the next record starts after this one (plus a header), leaving gaps.
      this.nextPosition += BigInt(e.data.length + e.metadata.length + e.type.length + 137);
      list.push(record);
      this.all.push(record);
      written.push(record);
    }
    return written;
  }
}

export interface FakeEventStoreOptions {
  /** Advertise BatchAppend through ServerFeatures (as EventStoreDB 21.10+ does). Default true. */
  readonly batchAppend?: boolean;
  /** After every n successful appends a `$statsCollected` system event lands in `$all`. Default 3; 0 = never. */
  readonly systemEventEvery?: number;
  readonly state?: FakeEventStoreState;
  /** Port to listen on (127.0.0.1); default: a free one. */
  readonly port?: number;
}

export interface RunningFakeEventStore {
  readonly port: number;
  /** `esdb://127.0.0.1:<port>?tls=false` */
  readonly connectionString: string;
  readonly state: FakeEventStoreState;
  stop(): Promise<void>;
}

const CONFLICT = Symbol('conflict');

/** Starts the fake on 127.0.0.1. */
export async function startFakeEventStore(options: FakeEventStoreOptions = {}): Promise<RunningFakeEventStore> {
  const state = options.state ?? new FakeEventStoreState();
  const batchAppend = options.batchAppend ?? true;
  const systemEventEvery = options.systemEventEvery ?? 3;
  const server = new grpc.Server();
  const openCalls = new Set<grpc.ServerWritableStream<ReadReq, ReadResp> | grpc.ServerDuplexStream<BatchAppendReq, BatchAppendResp>>();

  /** EventStoreDB's rules for an exact expected revision, including the idempotent retry. */
  const appendToStream = (
    stream: string,
    expected: { kind: 'revision'; revision: bigint } | { kind: 'no_stream' } | { kind: 'any' } | { kind: 'stream_exists' },
    events: { id: string; type: string; contentType: string; data: Uint8Array; metadata: Uint8Array }[],
  ): { revision: number; position: bigint } | { [CONFLICT]: true; current: number } => {
    const list = state.streams.get(stream) ?? [];
    const current = list.length - 1;
    let ok: boolean;
    let expectedLast: number | undefined;
    switch (expected.kind) {
      case 'any':
        ok = true;
        break;
      case 'stream_exists':
        ok = current >= 0;
        break;
      case 'no_stream':
        expectedLast = -1;
        ok = current === -1;
        break;
      case 'revision':
        expectedLast = Number(expected.revision);
        ok = current === expectedLast;
        break;
    }
    if (!ok) {
      if (expectedLast !== undefined && expectedLast < current && events.length > 0) {
        const stored = list.slice(expectedLast + 1, expectedLast + 1 + events.length);
        if (stored.length === events.length && stored.every((r, i) => r.id === events[i]!.id)) {
          const last = stored[stored.length - 1]!;
          return { revision: last.revision, position: last.position };
        }
      }
      return { [CONFLICT]: true, current };
    }
    const written = state.write(stream, events);
    if (systemEventEvery > 0 && ++state.appendsSinceSystemEvent >= systemEventEvery) {
      state.appendsSinceSystemEvent = 0;
      state.write('$stats-127.0.0.1:2113', [
        { id: randomUUID(), type: '$statsCollected', contentType: 'application/json', data: new TextEncoder().encode('{}'), metadata: new Uint8Array() },
      ]);
    }
    state.notify();
    const last = written[written.length - 1] ?? list[list.length - 1];
    return { revision: last ? last.revision : -1, position: last ? last.position : 0n };
  };

  const proposed = (m: AppendReq.ProposedMessage | BatchAppendReq.ProposedMessage) => {
    const md = m.getMetadataMap();
    const id = m.getId();
    return {
      id: (id?.hasString() ? id.getString() : '').toLowerCase(),
      type: md.get('type') ?? '',
      contentType: md.get('content-type') ?? 'application/octet-stream',
      data: m.getData_asU8(),
      metadata: m.getCustomMetadata_asU8(),
    };
  };

  const streamName = (id: shared.StreamIdentifier | undefined) => Buffer.from(id?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');

  const append: grpc.handleClientStreamingCall<AppendReq, AppendResp> = (call, callback) => {
    let options: AppendReq.Options | undefined;
    const events: ReturnType<typeof proposed>[] = [];
    call.on('data', (req: AppendReq) => {
      if (req.hasOptions()) options = req.getOptions();
      else if (req.hasProposedMessage()) events.push(proposed(req.getProposedMessage()!));
    });
    call.on('end', () => {
      if (!options) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'missing options' });
      const stream = streamName(options.getStreamIdentifier());
      const expected = options.hasRevision()
        ? ({ kind: 'revision', revision: BigInt(options.getRevision()) } as const)
        : options.hasNoStream()
          ? ({ kind: 'no_stream' } as const)
          : options.hasStreamExists()
            ? ({ kind: 'stream_exists' } as const)
            : ({ kind: 'any' } as const);
      const result = appendToStream(stream, expected, events);
      const resp = new AppendResp();
      if (CONFLICT in result) {
        const w = new AppendResp.WrongExpectedVersion();
        if (result.current >= 0) w.setCurrentRevision(String(result.current));
        else w.setCurrentNoStream(new shared.Empty());
        if (expected.kind === 'revision') w.setExpectedRevision(String(expected.revision));
        else if (expected.kind === 'no_stream') w.setExpectedNoStream(new shared.Empty());
        else if (expected.kind === 'stream_exists') w.setExpectedStreamExists(new shared.Empty());
        else w.setExpectedAny(new shared.Empty());
        resp.setWrongExpectedVersion(w);
      } else {
        const success = new AppendResp.Success();
        success.setCurrentRevision(String(result.revision));
        const position = new AppendResp.Position();
        position.setCommitPosition(String(result.position));
        position.setPreparePosition(String(result.position));
        success.setPosition(position);
        resp.setSuccess(success);
      }
      callback(null, resp);
    });
  };

  const batchAppendCall: grpc.handleBidiStreamingCall<BatchAppendReq, BatchAppendResp> = (call) => {
    openCalls.add(call);
    const pending = new Map<string, { options?: BatchAppendReq.Options; events: ReturnType<typeof proposed>[]; correlation: shared.UUID }>();
    call.on('data', (req: BatchAppendReq) => {
      const correlation = req.getCorrelationId()!;
      const key = correlation.hasString() ? correlation.getString() : correlation.getStructured()!.toString();
      const entry = pending.get(key) ?? { events: [], correlation };
      pending.set(key, entry);
      if (req.hasOptions()) entry.options = req.getOptions();
      for (const m of req.getProposedMessagesList()) entry.events.push(proposed(m));
      if (!req.getIsFinal()) return;
      pending.delete(key);
      const options = entry.options;
      const resp = new BatchAppendResp();
      resp.setCorrelationId(entry.correlation);
      if (!options) {
        const status = new Status();
        status.setCode(Code.INVALID_ARGUMENT);
        status.setMessage('missing options');
        resp.setError(status);
        call.write(resp);
        return;
      }
      const stream = streamName(options.getStreamIdentifier());
      resp.setStreamIdentifier(options.getStreamIdentifier());
      const expected = options.hasStreamPosition()
        ? ({ kind: 'revision', revision: BigInt(options.getStreamPosition()) } as const)
        : options.hasNoStream()
          ? ({ kind: 'no_stream' } as const)
          : options.hasStreamExists()
            ? ({ kind: 'stream_exists' } as const)
            : ({ kind: 'any' } as const);
      if (expected.kind === 'revision') resp.setStreamPosition(String(expected.revision));
      else if (expected.kind === 'no_stream') resp.setNoStream(new GoogleEmpty());
      else if (expected.kind === 'stream_exists') resp.setStreamExists(new GoogleEmpty());
      else resp.setAny(new GoogleEmpty());
      const result = appendToStream(stream, expected, entry.events);
      if (CONFLICT in result) {
        const w = new shared.WrongExpectedVersion();
        if (result.current >= 0) w.setCurrentStreamRevision(String(result.current));
        else w.setCurrentNoStream(new GoogleEmpty());
        if (expected.kind === 'revision') w.setExpectedStreamPosition(String(expected.revision));
        else if (expected.kind === 'no_stream') w.setExpectedNoStream(new GoogleEmpty());
        else if (expected.kind === 'stream_exists') w.setExpectedStreamExists(new GoogleEmpty());
        else w.setExpectedAny(new GoogleEmpty());
        const details = new Any();
        details.pack(w.serializeBinary(), 'event_store.client.WrongExpectedVersion');
        const status = new Status();
        status.setCode(Code.FAILED_PRECONDITION);
        status.setMessage('WrongExpectedVersion');
        status.setDetails(details);
        resp.setError(status);
      } else {
        const success = new BatchAppendResp.Success();
        success.setCurrentRevision(String(result.revision));
        const position = new shared.AllStreamPosition();
        position.setCommitPosition(String(result.position));
        position.setPreparePosition(String(result.position));
        success.setPosition(position);
        resp.setSuccess(success);
      }
      call.write(resp);
    });
    call.on('end', () => {
      openCalls.delete(call);
      call.end();
    });
    call.on('cancelled', () => openCalls.delete(call));
  };

  const toReadResp = (r: FakeRecord): ReadResp => {
    const rec = new ReadResp.ReadEvent.RecordedEvent();
    const id = new shared.UUID();
    id.setString(r.id);
    rec.setId(id);
    const sid = new shared.StreamIdentifier();
    sid.setStreamName(Buffer.from(r.stream, 'utf8'));
    rec.setStreamIdentifier(sid);
    rec.setStreamRevision(String(r.revision));
    rec.setPreparePosition(String(r.position));
    rec.setCommitPosition(String(r.position));
    const md = rec.getMetadataMap();
    md.set('type', r.type);
    md.set('content-type', r.contentType);
    md.set('created', String(r.createdTicks));
    rec.setData(r.data);
    rec.setCustomMetadata(r.metadata);
    const ev = new ReadResp.ReadEvent();
    ev.setEvent(rec);
    ev.setCommitPosition(String(r.position));
    const resp = new ReadResp();
    resp.setEvent(ev);
    return resp;
  };

  const makeFilter = (o: ReadReq.Options): ((r: FakeRecord) => boolean) => {
    if (!o.hasFilter()) return () => true;
    const f = o.getFilter()!;
    const onStream = f.hasStreamIdentifier();
    const expr = onStream ? f.getStreamIdentifier()! : f.getEventType()!;
    const prefixes = expr.getPrefixList();
    const regex = expr.getRegex() ? new RegExp(expr.getRegex()) : undefined;
    return (r) => {
      const subject = onStream ? r.stream : r.type;
      if (prefixes.length > 0 && !prefixes.some((p) => subject.startsWith(p))) return false;
      if (regex && !regex.test(subject)) return false;
      return true;
    };
  };

  const read: grpc.handleServerStreamingCall<ReadReq, ReadResp> = (call) => {
    const o = call.request.getOptions();
    if (!o) {
      call.destroy(Object.assign(new Error('missing options'), { code: grpc.status.INVALID_ARGUMENT }));
      return;
    }
    const backwards = o.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const filter = makeFilter(o);
    const subscription = o.hasSubscription();
    let source: () => FakeRecord[];
    let start: number; // index into source() of the first record to consider
    let stream: string | undefined;
    if (o.hasAll()) {
      const all = o.getAll()!;
      source = () => state.all;
      if (all.hasPosition()) {
        const pos = BigInt(all.getPosition()!.getCommitPosition());
        // Reads include the record at the position; subscriptions start strictly after it.
        const idx = state.all.findIndex((r) => (subscription ? r.position > pos : backwards ? r.position > pos : r.position >= pos));
        start = idx === -1 ? state.all.length : backwards ? idx - 1 : idx;
      } else if (all.hasEnd()) start = backwards ? state.all.length - 1 : state.all.length;
      else start = backwards ? -1 : 0;
    } else {
      const so = o.getStream()!;
      stream = streamName(so.getStreamIdentifier());
      const name = stream;
      source = () => state.streams.get(name) ?? [];
      const list = source();
      if (so.hasRevision()) {
        const rev = Number(so.getRevision());
        start = subscription ? rev + 1 : rev;
      } else if (so.hasEnd()) start = backwards ? list.length - 1 : list.length;
      else start = backwards ? -1 : 0;
      if (!subscription && list.length === 0) {
        const nf = new ReadResp.StreamNotFound();
        nf.setStreamIdentifier(so.getStreamIdentifier());
        const resp = new ReadResp();
        resp.setStreamNotFound(nf);
        call.write(resp);
        call.end();
        return;
      }
    }

    if (!subscription) {
      const count = Number(o.getCount() || '0');
      const src = source();
      let sent = 0;
      if (backwards) {
        for (let i = Math.min(start, src.length - 1); i >= 0 && sent < count; i--) {
          if (!filter(src[i]!)) continue;
          call.write(toReadResp(src[i]!));
          sent++;
        }
      } else {
        for (let i = start; i < src.length && sent < count; i++) {
          if (!filter(src[i]!)) continue;
          call.write(toReadResp(src[i]!));
          sent++;
        }
      }
      call.end();
      return;
    }

    openCalls.add(call);
    const confirmation = new ReadResp.SubscriptionConfirmation();
    confirmation.setSubscriptionId(`fake-${randomUUID()}`);
    const confirm = new ReadResp();
    confirm.setConfirmation(confirmation);
    call.write(confirm);
    let next = Math.max(0, start);
    let caughtUpSent = false;
    let closed = false;
    const flush = () => {
      if (closed) return;
      const src = source();
      while (next < src.length) {
        const r = src[next++]!;
        if (filter(r)) call.write(toReadResp(r));
      }
      if (!caughtUpSent) {
        caughtUpSent = true;
        const cu = new ReadResp();
        cu.setCaughtUp(new ReadResp.CaughtUp());
        call.write(cu);
        if (o.hasFilter() && src.length > 0) {
          const last = src[src.length - 1]!;
          const checkpoint = new ReadResp.Checkpoint();
          checkpoint.setCommitPosition(String(last.position));
          checkpoint.setPreparePosition(String(last.position));
          const cp = new ReadResp();
          cp.setCheckpoint(checkpoint);
          call.write(cp);
        }
      }
    };
    flush();
    const unsubscribe = state.subscribe(flush);
    const close = () => {
      closed = true;
      unsubscribe();
      openCalls.delete(call);
    };
    call.on('cancelled', close);
    call.on('close', close);
    call.on('error', close);
  };

  const getSupportedMethods: grpc.handleUnaryCall<shared.Empty, SupportedMethods> = (_call, callback) => {
    const methods = new SupportedMethods();
    methods.setEventStoreServerVersion('24.10.0-fake');
    const names = ['read', 'append', ...(batchAppend ? ['batchappend'] : [])];
    methods.setMethodsList(
      names.map((name) => {
        const m = new SupportedMethod();
        m.setServiceName('event_store.client.streams.streams');
        m.setMethodName(name);
        return m;
      }),
    );
    callback(null, methods);
  };

  const unimplemented = (_call: unknown, callback: (e: grpc.ServiceError | null) => void) =>
    callback(Object.assign(new Error('not part of the fake'), { code: grpc.status.UNIMPLEMENTED, details: 'not part of the fake', metadata: new grpc.Metadata() }));

  server.addService(StreamsService, { read, append, batchAppend: batchAppendCall, delete: unimplemented, tombstone: unimplemented });
  server.addService(ServerFeaturesService, { getSupportedMethods });

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );

  return {
    port,
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    state,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const call of openCalls) call.end();
        openCalls.clear();
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 500).unref();
      }),
  };
}
