import { sha256Hex } from '@corridor/protocol';
import { EVENT_ID_NAMESPACE, eventIdFromDigest, isEventId, uuidV5 } from '@corridor/ledger';

describe('event ids', () => {
  it('are RFC 9562 name-based UUIDs (version 5): the RFC example vector', () => {
    // RFC 9562, Appendix A.4: namespace DNS, name "www.example.com".
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('derive from the receipt digest alone: same digest, same id; another digest, another id', () => {
    const a = sha256Hex('receipt a');
    const b = sha256Hex('receipt b');
    expect(eventIdFromDigest(a)).toBe(uuidV5(EVENT_ID_NAMESPACE, a));
    expect(eventIdFromDigest(a)).toBe(eventIdFromDigest(a));
    expect(eventIdFromDigest(a)).not.toBe(eventIdFromDigest(b));
    expect(isEventId(eventIdFromDigest(a))).toBe(true);
    expect(eventIdFromDigest(a)[14]).toBe('5');
    expect('89ab').toContain(eventIdFromDigest(a)[19]);
  });

  it('refuse anything but a lowercase sha256 hex digest', () => {
    expect(() => eventIdFromDigest('A'.repeat(64))).toThrow(TypeError);
    expect(() => eventIdFromDigest('abc')).toThrow(TypeError);
  });
});
