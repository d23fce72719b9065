// Checks a member's proof of liabilities in this browser, with nothing but WebCrypto:
// both leaves are rehashed from the pseudonym (version 2: the party and its points, owed
// and in flight, which the parts must add up to), salt and parts, each path is climbed with
// its sides fixed by the position and leaf count, no sum may be negative or reach 2^63,
// and both paths must end at the proof's root and total (and the signed root, if given).
// The same checks, in the same order, as profitpool.disclosure.pol.verify_proof; the byte
// formats are in docs/proof-of-liabilities.md. Sums are BigInt fen.
//
//   const { ok, value, error } = await verifyPolProof(proofJsonOrObject, signedRootHex,
//                                                     signedTotalFen);  // both optional
//   // ok: true, value: the holding (version 2: points + owed + in flight) in fen (BigInt),
//   // error: null; or ok: false, value: null,
//   // error: what failed (a sentence, Python's very words), code: its kind, for a page to
//   // say in the reader's language (json, shape, range, sum, path, parts, root, total,
//   // expected_root, expected_total, browser). Needs bytes.js (hex, fromHex, concat, sha256).
"use strict";

(() => {
  const FORMAT = "profitpool-pol-proof-v1";
  const FORMAT_V2 = "profitpool-pol-proof-v2";
  const PARTY_KINDS = ["member", "merchant", "lender"];
  const MAX_SUM = 1n << 63n;
  const PART_NAMES = ["part 0", "part 1"];
  const encoder = new TextEncoder();

  const u64 = (value) => {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, value, false);
    return out;
  };
  const LEAF_PREFIX = concat(new Uint8Array([0]), encoder.encode("pol-leaf-v1"));
  const LEAF_PREFIX_V2 = concat(new Uint8Array([0]), encoder.encode("pol-leaf-v2"));
  const NODE_PREFIX = concat(new Uint8Array([1]), encoder.encode("pol-node-v1"));

  class PolError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }
  const fail = (message, code = "shape") => { throw new PolError(message, code); };
  const show = (value) => JSON.stringify(value) ?? String(value);

  // --- the JSON's shape (MemberProof.from_json) ---

  function fields(document, what, names) {
    if (document === null || typeof document !== "object" || Array.isArray(document)) {
      fail(`${what} is not a JSON object`);
    }
    const missing = names.filter((name) => !(name in document));
    const unknown = Object.keys(document).filter((name) => !names.includes(name)).sort();
    if (missing.length || unknown.length) {
      fail(`${what} lacks [${missing}] or has unknown fields [${unknown}]`);
    }
    return document;
  }
  const string = (document, name, what) => {
    if (typeof document[name] !== "string") fail(`${what}'s ${name} must be a string`);
    return document[name];
  };
  const integer = (document, name, what) => {
    if (!Number.isSafeInteger(document[name])) fail(`${what}'s ${name} must be an integer`);
    return document[name];
  };
  const fen = (document, name, what) => {
    const text = document[name];
    if (typeof text !== "string" || !/^-?[0-9]{1,20}$/.test(text)) {
      fail(`${what}'s ${name} must be a string of decimal digits (fen)`);
    }
    return BigInt(text);
  };

  function parse(proof) {
    let document = proof;
    if (typeof proof === "string") {
      try {
        document = JSON.parse(proof);
      } catch (error) {
        fail(`the proof is not JSON: ${error.message}`, "json");
      }
    }
    const v2 = document !== null && typeof document === "object" &&
      document.format === FORMAT_V2;
    const root = v2
      ? fields(document, "the proof", ["format", "period", "party", "salt", "root", "total_fen",
                                       "leaf_count", "points_fen", "owed_fen", "in_flight_fen",
                                       "parts"])
      : fields(document, "the proof", ["format", "period", "pseudonym", "salt", "root",
                                       "total_fen", "leaf_count", "parts"]);
    let party = null, amounts = null;
    if (v2) {
      party = string(root, "party", "the proof");
      const colon = party.indexOf(":");
      if (colon < 0 || !PARTY_KINDS.includes(party.slice(0, colon))) {
        fail(`the proof's party ${show(party)} is not member:NAME, merchant:ID or lender:ID`);
      }
      amounts = [fen(root, "points_fen", "the proof"), fen(root, "owed_fen", "the proof"),
                 fen(root, "in_flight_fen", "the proof")];
    } else if (root.format !== FORMAT) {
      fail(`the proof's format is ${show(root.format)}, expected "${FORMAT}" or ` +
           `"${FORMAT_V2}"`);
    }
    if (!Array.isArray(root.parts) || root.parts.length !== 2) {
      fail("the proof's parts must be a list of two parts");
    }
    const parts = root.parts.map((item, index) => {
      const name = PART_NAMES[index];
      const part = fields(item, name, ["value_fen", "position", "path"]);
      if (!Array.isArray(part.path)) fail(`${name}'s path must be a list`);
      const path = part.path.map((stepItem, stepIndex) => {
        const where = `step ${stepIndex + 1} of ${name}`;
        const step = fields(stepItem, where, ["side", "hash", "sum_fen"]);
        if (step.side !== "left" && step.side !== "right") {
          fail(`${where}'s side must be "left" or "right"`);
        }
        return { side: step.side, hash: string(step, "hash", where),
                 sum: fen(step, "sum_fen", where) };
      });
      return { value: fen(part, "value_fen", name), position: integer(part, "position", name),
               path };
    });
    const what = "the proof";
    return {
      version: v2 ? 2 : 1, party, amounts,
      period: string(root, "period", what),
      pseudonym: v2 ? party : string(root, "pseudonym", what),
      salt: string(root, "salt", what), root: string(root, "root", what),
      total: fen(root, "total_fen", what), leafCount: integer(root, "leaf_count", what), parts,
    };
  }

  // --- the checks (verify_proof) ---

  function hex32(text, what) {
    if (typeof text !== "string" || !/^[0-9a-f]{64}$/.test(text)) {
      fail(`${what} ${show(text)} is not 64 lowercase hex digits`);
    }
    return fromHex(text);
  }

  function pathSides(position, leafCount) {
    if (!Number.isSafeInteger(position) || position < 0 || position >= leafCount) {
      fail(`position ${show(position)} is not in a tree of ${leafCount} leaves`, "path");
    }
    const sides = [];
    let index = position, count = leafCount;
    while (count > 1) {
      if (index % 2 === 1) sides.push("left");
      else if (index + 1 < count) sides.push("right");
      index = Math.floor(index / 2);
      count = Math.floor((count + 1) / 2);
    }
    return sides;
  }

  async function climb(head, partIndex, part, leafCount) {
    const name = PART_NAMES[partIndex];
    let sum = part.value;
    if (sum < 0n || sum >= MAX_SUM) fail(`${name}'s value ${sum} fen is outside [0, 2^63)`, "range");
    const sides = pathSides(part.position, leafCount);
    if (part.path.length !== sides.length) {
      fail(`${name}'s path has ${part.path.length} steps, but position ${part.position} in a ` +
           `tree of ${leafCount} leaves needs ${sides.length}`, "path");
    }
    let node = await sha256(concat(head, new Uint8Array([partIndex]), u64(sum)));
    for (let i = 0; i < sides.length; i++) {
      const step = part.path[i], side = sides[i], where = `step ${i + 1} of ${name}`;
      if (step.side !== side) {
        fail(`${where} puts the sibling on the '${step.side}', but position ${part.position} ` +
             `of ${leafCount} leaves has it on the ${side}`, "path");
      }
      const sibling = hex32(step.hash, `${where}: the sibling hash`);
      if (step.sum < 0n) fail(`${where}: the sibling sum ${step.sum} fen is negative`, "range");
      if (step.sum >= MAX_SUM || sum + step.sum >= MAX_SUM) {
        fail(`${where}: a sum reaches 2^63 fen (overflow)`, "range");
      }
      node = side === "left"
        ? await sha256(concat(NODE_PREFIX, sibling, u64(step.sum), node, u64(sum)))
        : await sha256(concat(NODE_PREFIX, node, u64(sum), sibling, u64(step.sum)));
      sum += step.sum;
    }
    return [hex(node), sum];
  }

  async function check(proof, expectedRootHex, expectedTotalFen) {
    if (!/^[0-9]{4}-(0[1-9]|1[0-2])$/.test(proof.period)) {
      fail(`the period ${show(proof.period)} is not a month YYYY-MM`);
    }
    const period = encoder.encode(proof.period);
    const pseudonym = encoder.encode(proof.pseudonym);
    if (pseudonym.length < 1 || pseudonym.length > 255) {
      fail(`the pseudonym ${show(proof.pseudonym)} must be 1 to 255 bytes of UTF-8`);
    }
    let figures = new Uint8Array(0);
    if (proof.version === 2) {
      const names = ["points value", "owed amount", "amount in flight"];
      proof.amounts.forEach((amount, index) => {
        if (amount < 0n || amount >= MAX_SUM) {
          fail(`the party's ${names[index]} ${amount} fen is outside [0, 2^63)`, "range");
        }
      });
      if (proof.amounts[0] + proof.amounts[1] + proof.amounts[2] >= MAX_SUM) {
        fail("the party's points, owed and in flight reach 2^63 fen together", "range");
      }
      figures = concat(...proof.amounts.map(u64));
    }
    const salt = hex32(proof.salt, "the salt");
    const head = concat(proof.version === 2 ? LEAF_PREFIX_V2 : LEAF_PREFIX,
                        new Uint8Array([period.length]), period,
                        new Uint8Array([pseudonym.length]), pseudonym, salt, figures);
    hex32(proof.root, "the root");
    if (proof.leafCount < 2) {
      fail(`the leaf count ${proof.leafCount} is not a tree with a member's two leaves`, "path");
    }
    if (proof.parts[0].position === proof.parts[1].position) {
      fail(`both parts claim position ${proof.parts[0].position}`, "path");
    }
    if (proof.version === 2) {
      const owedInAll = proof.amounts[0] + proof.amounts[1] + proof.amounts[2];
      const partsFen = proof.parts[0].value + proof.parts[1].value;
      if (partsFen !== owedInAll) {
        fail(`the parts add up to ${partsFen} fen, but points, owed and in flight are ` +
             `${owedInAll} fen`, "sum");
      }
    }
    const ends = [];
    for (let index = 0; index < 2; index++) {
      ends.push(await climb(head, index, proof.parts[index], proof.leafCount));
    }
    if (ends[0][0] !== ends[1][0] || ends[0][1] !== ends[1][1]) {
      fail(`the two parts lead to different roots: ${ends[0][0]} (sum ${ends[0][1]}) and ` +
           `${ends[1][0]} (sum ${ends[1][1]})`, "parts");
    }
    const [root, total] = ends[0];
    if (root !== proof.root) {
      fail(`the recomputed root ${root} differs from the proof's ${proof.root}`, "root");
    }
    if (total !== proof.total) {
      fail(`the recomputed total ${total} fen differs from the proof's ${proof.total} fen`,
           "total");
    }
    if (expectedRootHex !== undefined && expectedRootHex !== null &&
        root !== String(expectedRootHex).toLowerCase()) {
      fail(`the root ${root} is not the expected ${expectedRootHex}`, "expected_root");
    }
    if (expectedTotalFen !== undefined && expectedTotalFen !== null &&
        total !== BigInt(expectedTotalFen)) {
      fail(`the total ${total} fen is not the expected ${expectedTotalFen} fen`,
           "expected_total");
    }
    return proof.parts[0].value + proof.parts[1].value;
  }

  async function verifyPolProof(proof, expectedRootHex, expectedTotalFen) {
    if (!globalThis.crypto || !globalThis.crypto.subtle) {
      return { ok: false, value: null, code: "browser",
               error: "this browser offers no WebCrypto here (the page must be HTTPS)" };
    }
    try {
      const parsed = parse(proof);
      const value = await check(parsed, expectedRootHex, expectedTotalFen);
      return { ok: true, value, error: null, code: null, period: parsed.period };
    } catch (error) {
      const message = error instanceof PolError
        ? error.message : `the proof cannot be checked: ${error.message}`;
      const code = error instanceof PolError ? error.code : "shape";
      return { ok: false, value: null, error: message, code };
    }
  }

  globalThis.verifyPolProof = verifyPolProof;
  if (typeof module !== "undefined" && module.exports) module.exports = { verifyPolProof };
})();
