import { ConfigError, loadConfig } from '../config/node-config';
import { useWriterThread } from './ledger.providers';

describe('where the SQLite ledger commits (CORRIDOR_SQLITE_WRITER)', () => {
  it('defaults to auto', () => {
    expect(loadConfig({}).sqliteWriter).toBe('auto');
  });

  it('auto: a writer thread only on a machine with more than two cores', () => {
    expect(useWriterThread('auto', 1)).toBe(false);
    expect(useWriterThread('auto', 2)).toBe(false);
    expect(useWriterThread('auto', 3)).toBe(true);
    expect(useWriterThread('auto', 16)).toBe(true);
  });

  it('thread and inline are taken as they are, whatever the machine', () => {
    for (const cores of [1, 2, 8]) {
      expect(useWriterThread('thread', cores)).toBe(true);
      expect(useWriterThread('inline', cores)).toBe(false);
    }
  });

  it('is read from the environment, and anything else stops the node with the variable named', () => {
    expect(loadConfig({ CORRIDOR_SQLITE_WRITER: 'inline' }).sqliteWriter).toBe('inline');
    expect(() => loadConfig({ CORRIDOR_SQLITE_WRITER: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadConfig({ CORRIDOR_SQLITE_WRITER: 'sometimes' })).toThrow(/sqliteWriter/);
  });
});
