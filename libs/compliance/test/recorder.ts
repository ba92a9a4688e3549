import type { Doc, ProjectionDefinition } from '@corridor/compliance';

/**
 * A test projection that records, per stream, every sequence it folded (in folding order) and the event types:
 * enough to see that each event is folded exactly once and in order.
 */
export function recorderProjection(options: { name?: string; streamPrefixes?: string[]; failOn?: (stream: string, sequence: number, generation: number) => boolean } = {}): ProjectionDefinition {
  const name = options.name ?? 'recorder';
  return {
    name,
    streamPrefixes: options.streamPrefixes,
    collections: { streams: {}, totals: {} },
    async open(reader) {
      const generation = reader.generation;
      return {
        async fold(record, tx) {
          if (options.failOn?.(record.stream, record.sequence, generation)) throw new Error(`refusing ${record.stream}#${record.sequence}`);
          const doc = ((await tx.get('streams', record.stream)) as { sequences: number[]; types: string[] } | undefined) ?? { sequences: [], types: [] };
          tx.put('streams', record.stream, { sequences: [...doc.sequences, record.sequence], types: [...doc.types, record.type] } as unknown as Doc);
          const total = ((await tx.get('totals', 'all')) as number | undefined) ?? 0;
          tx.put('totals', 'all', total + 1);
        },
        meta: () => ({ marker: `gen-${generation}` }),
      };
    },
  };
}
