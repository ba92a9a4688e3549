/**
 * The JSON data model of the protocol. Integers beyond 2^53 are `bigint` so they survive a round trip
 * exactly (the reference is Python, whose ints are unbounded); fractional numbers never appear
 * because canonicalization rejects them.
 */
export type JsonPrimitive = null | boolean | number | bigint | string;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
