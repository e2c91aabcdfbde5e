import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AofFormatError } from "../errors.js";
import {
  type AofManifest,
  addNewBaseFile,
  addNewIncrFile,
  aofBaseFileName,
  aofIncrFileName,
  aofManifestFileName,
  aofTempIncrFileName,
  aofTempManifestFileName,
  emptyAofManifest,
  formatAofManifest,
  markRewrittenIncrAsHistory,
  parseAofManifest,
} from "./manifest.js";

function reason(text: string): [string, number] {
  try {
    parseAofManifest(text, "appendonly.aof.manifest");
  } catch (e) {
    expect(e).toBeInstanceOf(AofFormatError);
    const err = e as AofFormatError;
    expect(err.code).toBe("KH_ERR_AOF_FORMAT");
    return [err.reason, err.line];
  }
  throw new Error("expected an error");
}

describe("AOF manifest", () => {
  it("parses Redis's own example, keys in any case and order, comments and unknown keys", () => {
    const text =
      "# comment\nfile appendonly.aof.2.base.rdb seq 2 type b\nFILE appendonly.aof.1.incr.aof SEQ 1 TYPE h\n" +
      "type i seq 3 file appendonly.aof.3.incr.aof future x\nfile appendonly.aof.4.incr.aof seq 4 type i\n";
    const am = parseAofManifest(text);
    expect(am.base).toEqual({ fileName: "appendonly.aof.2.base.rdb", fileSeq: 2, fileType: "b" });
    expect(am.history.map((i) => i.fileName)).toEqual(["appendonly.aof.1.incr.aof"]);
    expect(am.incr.map((i) => i.fileSeq)).toEqual([3, 4]);
    expect(am.currBaseFileSeq).toBe(2);
    expect(am.currIncrFileSeq).toBe(4);
    expect(formatAofManifest(am)).toBe(
      "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\n" +
        "file appendonly.aof.3.incr.aof seq 3 type i\nfile appendonly.aof.4.incr.aof seq 4 type i\n",
    );
  });

  it("reports Redis's errors with 1-based line numbers (comments count)", () => {
    expect(reason("")).toEqual(["Found an empty AOF manifest", 0]);
    expect(reason("# c\n\n")).toEqual(["Invalid AOF manifest file format", 2]);
    expect(reason("file a seq 1 type b")).toEqual(["The AOF manifest file contains too long line", 1]);
    expect(reason(`file ${"a".repeat(1100)} seq 1 type b\n`)).toEqual([
      "The AOF manifest file contains too long line",
      1,
    ]);
    expect(reason("file a seq 1\n")).toEqual(["Invalid AOF manifest file format", 1]);
    expect(reason("file a seq 1 type\n")).toEqual(["Invalid AOF manifest file format", 1]);
    expect(reason('file "a seq 1 type b\n')).toEqual(["Invalid AOF manifest file format", 1]);
    expect(reason("file a seq 0 type b\n")).toEqual(["Invalid AOF manifest file format", 1]);
    expect(reason("file a seq x type b\n")).toEqual(["Invalid AOF manifest file format", 1]);
    expect(reason("file dir/a seq 1 type b\n")).toEqual(["File can't be a path, just a filename", 1]);
    expect(reason("file a seq 1 type b\nfile b seq 2 type b\n")).toEqual([
      "Found duplicate base file information",
      2,
    ]);
    expect(reason("file a seq 2 type i\nfile b seq 2 type i\n")).toEqual([
      "Found a non-monotonic sequence number",
      2,
    ]);
    expect(reason("file a seq 1 type x\n")).toEqual(["Unknown AOF file type", 1]);
  });

  it("quotes names as sdscatrepr and reads them back", () => {
    const name = 'my "aof" file\n\u00e9\t';
    const am: AofManifest = { ...emptyAofManifest(), base: { fileName: name, fileSeq: 1, fileType: "b" } };
    const text = formatAofManifest(am);
    expect(text).toBe('file "my \\"aof\\" file\\n\\xe9\\t" seq 1 type b\n');
    expect(parseAofManifest(text).base?.fileName).toBe(name);
    // A bare single quote opens a quoted part for sdssplitargs, wherever it is in a word.
    for (const quoted of ["'", "it's.aof", "'x'"]) {
      const line = formatAofManifest({
        ...emptyAofManifest(),
        base: { fileName: quoted, fileSeq: 1, fileType: "b" },
      });
      expect(line.startsWith('file "')).toBe(true);
      expect(parseAofManifest(line).base?.fileName).toBe(quoted);
    }
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 30 }).map((b) => Buffer.from(b).toString("latin1")),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (fileName, seq) => {
          if (fileName.includes("/") || fileName.includes("\\") || fileName.includes("\0")) return;
          const m: AofManifest = {
            ...emptyAofManifest(),
            base: { fileName, fileSeq: seq, fileType: "b" },
            incr: [{ fileName, fileSeq: seq, fileType: "i" }],
          };
          const back = parseAofManifest(formatAofManifest(m));
          expect(back.base).toEqual(m.base);
          expect(back.incr).toEqual(m.incr);
        },
      ),
    );
  });

  it("derives file names and sequences as Redis does", () => {
    expect(aofManifestFileName("appendonly.aof")).toBe("appendonly.aof.manifest");
    expect(aofTempManifestFileName("appendonly.aof")).toBe("temp-appendonly.aof.manifest");
    expect(aofBaseFileName("appendonly.aof", 1, true)).toBe("appendonly.aof.1.base.rdb");
    expect(aofBaseFileName("appendonly.aof", 2, false)).toBe("appendonly.aof.2.base.aof");
    expect(aofIncrFileName("appendonly.aof", 3)).toBe("appendonly.aof.3.incr.aof");
    expect(aofTempIncrFileName("appendonly.aof")).toBe("temp-appendonly.aof.incr");
    const am = emptyAofManifest();
    addNewBaseFile(am, "appendonly.aof", true);
    addNewIncrFile(am, "appendonly.aof");
    addNewIncrFile(am, "appendonly.aof");
    addNewBaseFile(am, "appendonly.aof", true);
    markRewrittenIncrAsHistory(am, true);
    expect(formatAofManifest(am)).toBe(
      // Redis moves each rewritten incr file to the head of the history list.
      "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\n" +
        "file appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
    );
  });
});
