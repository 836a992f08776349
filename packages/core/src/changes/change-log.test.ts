import { describe, expect, it } from "vitest";
import { GoneError } from "../errors/errors.ts";
import type { Change } from "../graph/changes.ts";
import { createSha256 } from "../integrity/sha256.ts";
import { decodeJournalRecord, encodeJournalRecord } from "../journal/journal-record.ts";
import { ChangeLog } from "./change-log.ts";
import type { ChangeRecord } from "./change-record.ts";
import { decodeSegment, encodeSegmentLine } from "./change-segments.ts";

const AT = "2026-03-01T12:00:00.000Z";
const patch = (id: string, v: number): Change => ({ op: "patch_node", at: AT, id, data: { v } });
const record = (seq: number, at = AT): ChangeRecord => ({
  seq,
  from: seq - 1,
  at,
  source: "api",
  changes: [patch(`N${seq}`, seq)],
});

/** The records' own time: retention by age keeps them all. */
const now = () => Date.parse(AT);

describe("ChangeLog", () => {
  it("pages records after since; since below retention is gone with the oldest seq", () => {
    const log = new ChangeLog(10, { retention: { maxRecords: 3 }, now });
    for (let s = 11; s <= 15; s++) log.append(record(s));
    expect(log.floor).toBe(12);
    expect(log.page(12, 2)).toMatchObject({ items: [{ seq: 13 }, { seq: 14 }], next_since: 14 });
    expect(log.page(15).items).toEqual([]);
    expect(() => log.page(11)).toThrow(GoneError);
    try {
      log.page(11);
    } catch (err) {
      expect(err).toMatchObject({ code: "gone", details: { oldest: 12 } });
    }
  });

  it("drops records older than the age limit", () => {
    let clock = Date.parse(AT);
    const log = new ChangeLog(0, { retention: { maxAgeMs: 1000 }, now: () => clock });
    log.append(record(1));
    clock += 5000;
    log.append(record(2, new Date(clock).toISOString()));
    expect(log.records().map((r) => r.seq)).toEqual([2]);
    expect(log.floor).toBe(1);
  });

  it("a subscriber gets the backlog then live records exactly once; one that lags too far gets resync", () => {
    const log = new ChangeLog(0, { now });
    log.append(record(1));
    const sub = log.subscribe(0, { maxLag: 2 });
    let overflowed = 0;
    const slow = log.subscribe(undefined, { maxLag: 2, onOverflow: () => overflowed++ });
    log.append(record(2));
    expect((sub.take(10) as ChangeRecord[]).map((r) => r.seq)).toEqual([1, 2]);
    log.append(record(3));
    log.append(record(4));
    expect((sub.take(10) as ChangeRecord[]).map((r) => r.seq)).toEqual([3, 4]);
    log.append(record(5)); // slow has taken nothing: 4 behind
    expect(overflowed).toBe(1);
    expect(slow.take(10)).toBe("resync");
    expect(slow.closed).toBe(true);
    expect(log.subscribers).toBe(1);
  });

  it("fromRecords keeps the gap-free chain ending at the graph's seq", () => {
    const records = [record(1), record(2), record(4), record(5), record(5)];
    const log = ChangeLog.fromRecords(records, 5, { now });
    expect(log.records().map((r) => r.seq)).toEqual([4, 5]);
    expect(log.floor).toBe(3);
    expect(ChangeLog.fromRecords(records, 6, { now }).size).toBe(0);
  });
});

describe("records with audit fields", () => {
  it("old journal lines without them still decode, and new ones keep the checksum rule", () => {
    const old = encodeJournalRecord(3, [patch("A", 1)]);
    expect(decodeJournalRecord(old.slice(0, -1))).toMatchObject({ seq: 3, count: 1 });
    const audited = encodeJournalRecord(4, [patch("A", 2)], createSha256, {
      at: AT,
      source: "workflow:regime_check",
      actor: "ops",
    });
    expect(decodeJournalRecord(audited.slice(0, -1))).toMatchObject({
      seq: 4,
      source: "workflow:regime_check",
      actor: "ops",
      at: AT,
    });
    const tampered = audited.replace('"actor":"ops"', '"actor":"eve"');
    expect(decodeJournalRecord(tampered.slice(0, -1))).toBe("checksum_mismatch");
  });

  it("a segment round-trips commit and replacement records; a damaged line is reported", () => {
    const replaced: ChangeRecord = {
      seq: 9,
      from: 2,
      at: AT,
      source: "restore",
      changes: [],
      replaced: { nodes: 1, edges: 0, patterns: 0 },
    };
    const text = [record(1), record(2), replaced].map((r) => encodeSegmentLine(r, createSha256)).join("");
    const bytes = new TextEncoder().encode(text);
    expect(decodeSegment(bytes, createSha256)).toEqual({ records: [record(1), record(2), replaced] });
    const damaged = new TextEncoder().encode(text.replace('"v":2', '"v":3'));
    expect(decodeSegment(damaged, createSha256)).toEqual({ line: 2, problem: "checksum_mismatch" });
  });
});
