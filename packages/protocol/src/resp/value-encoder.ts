/**
 * Writes a typed RespValue tree (as ReplyParser's typed mode produces) with a ReplyWriter.
 * Used by tests for round trips, and by anything relaying replies verbatim (Sentinel, proxies).
 */

import { bytesToLatin1 } from "./latin1.js";
import type { RespValue } from "./reply-parser.js";
import type { ReplyWriter } from "./reply-writer.js";

export function writeRespValue(w: ReplyWriter, v: RespValue): void {
  switch (v.type) {
    case "simple":
      w.simple(bytesToLatin1(Buffer.from(v.value, "utf8"), 0, Buffer.byteLength(v.value)));
      return;
    case "error":
      w.error(bytesToLatin1(Buffer.from(v.value, "utf8"), 0, Buffer.byteLength(v.value)));
      return;
    case "integer":
      w.bigInteger(v.value);
      return;
    case "bulk":
      w.bulkBytes(v.value);
      return;
    case "nullBulk":
      w.nullBulk();
      return;
    case "nullArray":
      w.nullArray();
      return;
    case "null":
      w.nullBulk();
      return;
    case "array":
      w.arrayHeader(v.value.length);
      for (const item of v.value) writeRespValue(w, item);
      return;
    case "set":
      w.setHeader(v.value.length);
      for (const item of v.value) writeRespValue(w, item);
      return;
    case "push":
      w.pushHeader(v.value.length);
      for (const item of v.value) writeRespValue(w, item);
      return;
    case "map":
      w.mapHeader(v.value.length);
      for (const [key, value] of v.value) {
        writeRespValue(w, key);
        writeRespValue(w, value);
      }
      return;
    case "double":
      w.double(v.value);
      return;
    case "boolean":
      w.boolean(v.value);
      return;
    case "bignum":
      w.bigNumber(v.value.toString());
      return;
    case "verbatim":
      if (w.resp === 3) {
        w.rawLatin1(`=${v.value.length + 4}\r\n${v.format}:`);
        w.raw(v.value);
        w.rawLatin1("\r\n");
      } else {
        w.bulkBytes(v.value);
      }
      return;
    case "attribute":
      if (w.attributeHeader(v.attributes.length)) {
        for (const [key, value] of v.attributes) {
          writeRespValue(w, key);
          writeRespValue(w, value);
        }
      }
      writeRespValue(w, v.value);
      return;
  }
}
