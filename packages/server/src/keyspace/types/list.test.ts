/**
 * ListObject against a plain-array model: random sequences of every operation, checking
 * contents, length and the memory estimate after each step (fast-check).
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringMemory } from "../memory.js";
import { LIST_ENTRY_OVERHEAD, LIST_OVERHEAD, ListObject } from "./list.js";

function expectedMem(model: string[]): number {
  let m = LIST_OVERHEAD;
  for (const v of model) m += LIST_ENTRY_OVERHEAD + stringMemory(v.length);
  return m;
}

const value = fc.constantFrom("a", "b", "c", "", "long-value-xxxxxxxxxxxxxxxx");

const op = fc.oneof(
  fc.record({ k: fc.constant("pushHead" as const), v: value }),
  fc.record({ k: fc.constant("pushTail" as const), v: value }),
  fc.record({ k: fc.constant("pushMany" as const), n: fc.integer({ min: 1, max: 40 }), v: value }),
  fc.record({ k: fc.constant("popHead" as const) }),
  fc.record({ k: fc.constant("popTail" as const) }),
  fc.record({ k: fc.constant("set" as const), i: fc.nat(), v: value }),
  fc.record({ k: fc.constant("insertAt" as const), i: fc.nat(), v: value }),
  fc.record({ k: fc.constant("removeRange" as const), i: fc.nat(), n: fc.nat(10) }),
  fc.record({ k: fc.constant("removeMatching" as const), v: value, n: fc.integer({ min: -3, max: 3 }) }),
);

describe("ListObject", () => {
  it("behaves like an array under random operations", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const list = new ListObject();
        const model: string[] = [];
        for (const o of ops) {
          switch (o.k) {
            case "pushHead":
              list.pushHead(o.v);
              model.unshift(o.v);
              break;
            case "pushTail":
              list.pushTail(o.v);
              model.push(o.v);
              break;
            case "pushMany":
              for (let i = 0; i < o.n; i++) {
                list.pushTail(`${o.v}${i}`);
                model.push(`${o.v}${i}`);
              }
              break;
            case "popHead":
              expect(list.popHead()).toBe(model.shift());
              break;
            case "popTail":
              expect(list.popTail()).toBe(model.pop());
              break;
            case "set":
              if (model.length > 0) {
                const i = o.i % model.length;
                list.set(i, o.v);
                model[i] = o.v;
              }
              break;
            case "insertAt": {
              const i = o.i % (model.length + 1);
              list.insertAt(i, o.v);
              model.splice(i, 0, o.v);
              break;
            }
            case "removeRange":
              if (model.length > 0) {
                const i = o.i % model.length;
                const n = Math.min(o.n, model.length - i);
                list.removeRange(i, n);
                model.splice(i, n);
              }
              break;
            case "removeMatching": {
              let removed = 0;
              const limit = o.n === 0 ? Number.POSITIVE_INFINITY : Math.abs(o.n);
              if (o.n >= 0) {
                for (let i = 0; i < model.length && removed < limit; ) {
                  if (model[i] === o.v) {
                    model.splice(i, 1);
                    removed++;
                  } else i++;
                }
              } else {
                for (let i = model.length - 1; i >= 0 && removed < limit; i--) {
                  if (model[i] === o.v) {
                    model.splice(i, 1);
                    removed++;
                  }
                }
              }
              expect(list.removeMatching(o.v, o.n)).toBe(removed);
              break;
            }
          }
          expect(list.length).toBe(model.length);
          expect(list.mem).toBe(expectedMem(model));
        }
        expect([...list.values()]).toEqual(model);
        for (let i = 0; i < model.length; i++) expect(list.get(i)).toBe(model[i]);
        expect(list.indexOf("b")).toBe(model.indexOf("b"));
        const copy = list.clone();
        expect([...copy.values()]).toEqual(model);
        expect(copy.mem).toBe(list.mem);
        copy.pushTail("only-in-copy");
        expect(list.length).toBe(model.length);
      }),
      { numRuns: 300 },
    );
  });

  it("grows and shrinks its ring without losing order", () => {
    const list = new ListObject();
    const model: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      if (i % 2 === 0) {
        list.pushTail(String(i));
        model.push(String(i));
      } else {
        list.pushHead(String(i));
        model.unshift(String(i));
      }
    }
    expect(list.length).toBe(10_000);
    for (let i = 0; i < 9_990; i++) expect(list.popHead()).toBe(model[i]);
    expect([...list.values()]).toEqual(model.slice(9_990));
    expect(list.encoding()).toBe("quicklist");
  });
});
