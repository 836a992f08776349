import { describe, expect, it } from "vitest";
import type { Change } from "../graph/changes.ts";
import { decodeJournalRecord, encodeJournalRecord } from "./journal-record.ts";
import { scanJournal } from "./read-journal.ts";

const enc = new TextEncoder();
const change = (id: string): Change => ({
  op: "put_node",
  at: "2026-01-01T00:00:00.000Z",
  node: { id, type: "t", data: { note: "ünïcödé \n line" }, created_at: "c", updated_at: "u" },
});

function journal(n: number): { bytes: Uint8Array; ends: number[] } {
  let text = "";
  const ends: number[] = [];
  for (let i = 1; i <= n; i++) {
    text += encodeJournalRecord(i, [change(`N${i}`)]);
    ends.push(enc.encode(text).length);
  }
  return { bytes: enc.encode(text), ends };
}

describe("journal records", () => {
  it("round-trips and verifies its own checksum", () => {
    const line = encodeJournalRecord(7, [change("A"), change("B")]);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    const record = decodeJournalRecord(line.slice(0, -1));
    expect(record).toEqual({ seq: 7, count: 2, changes: [change("A"), change("B")] });
    const tampered = line.replace('"N', '"M').replace('"A"', '"X"');
    expect(decodeJournalRecord(tampered.slice(0, -1))).toBe("checksum_mismatch");
    expect(decodeJournalRecord("{}")).toBe("malformed");
  });

  it("scans a clean journal", () => {
    const { bytes } = journal(5);
    const scan = scanJournal(bytes);
    expect(scan.records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(scan).toMatchObject({ validLength: bytes.length, tornTail: null, corrupt: null });
    expect(scanJournal(new Uint8Array(0))).toMatchObject({ records: [], validLength: 0, tornTail: null });
  });

  it("treats a cut anywhere in the last two records as a torn tail and keeps exactly the complete prefix", () => {
    const { bytes, ends } = journal(6);
    const startOfFifth = ends[3]!;
    for (let cut = startOfFifth; cut < bytes.length; cut++) {
      const scan = scanJournal(bytes.subarray(0, cut));
      const complete = ends.filter((e) => e <= cut).length;
      expect(scan.corrupt, `cut at ${cut}`).toBeNull();
      expect(scan.records).toHaveLength(complete);
      expect(scan.validLength).toBe(ends[complete - 1]);
      expect(scan.tornTail === null).toBe(cut === ends[complete - 1]);
    }
  });

  it("treats appended NUL bytes or half a record as a torn tail", () => {
    const { bytes } = journal(3);
    const withNuls = new Uint8Array(bytes.length + 512);
    withNuls.set(bytes);
    expect(scanJournal(withNuls)).toMatchObject({
      validLength: bytes.length,
      tornTail: { offset: bytes.length, length: 512 },
    });
    const nulLines = new Uint8Array([...bytes, 0, 0, 0, 0x0a, 0, 0]);
    expect(scanJournal(nulLines).records).toHaveLength(3);
    expect(scanJournal(nulLines).corrupt).toBeNull();
    const half = encodeJournalRecord(4, [change("N4")]);
    const halfBytes = enc.encode(half.slice(0, half.length / 2));
    const scan = scanJournal(new Uint8Array([...bytes, ...halfBytes]));
    expect(scan.records).toHaveLength(3);
    expect(scan.tornTail).toEqual({ offset: bytes.length, length: halfBytes.length });
  });

  it("reports a flipped bit in any middle record as corruption, never as a torn tail", () => {
    const { bytes, ends } = journal(5);
    for (let record = 0; record < 4; record++) {
      const start = record === 0 ? 0 : ends[record - 1]!;
      for (const at of [start + 3, Math.floor((start + ends[record]!) / 2), ends[record]! - 4]) {
        for (const bit of [0x01, 0x10]) {
          const copy = bytes.slice();
          copy[at] = copy[at]! ^ bit;
          const scan = scanJournal(copy);
          expect(scan.corrupt, `record ${record} byte ${at}`).not.toBeNull();
          expect(scan.corrupt!.line).toBe(record + 1);
          expect(scan.records).toHaveLength(record);
        }
      }
    }
  });
});
