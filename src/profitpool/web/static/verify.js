// Checks, in this browser and with nothing but WebCrypto, that the entry shown is in
// the Merkle tree whose root the operator signed: the checkpoint's Ed25519 signature
// (C2SP signed note) against the operator's key, then the RFC 9162 inclusion proof.
// The key is the one pasted into #published-key if any (taken from the operator's
// announcement, so this server need not be trusted), else the one the page shows.
// Each failure has a code; the page gives its sentence in the reader's language
// (data-error-<code> on #proof-data). Needs bytes.js (bytes, hex, fromHex, concat, sha256).
"use strict";

class CheckError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function checkSignature(note, keyString) {
  const [name, keyId, keyB64] = splitKey(keyString);
  let keyBytes;
  try {
    keyBytes = bytes(keyB64);
  } catch (error) {
    throw new CheckError("key", "the key is not base64");
  }
  if (!name || !/^[0-9a-fA-F]{8}$/.test(keyId) || keyBytes[0] !== 1 || keyBytes.length !== 33) {
    throw new CheckError("key", "not an Ed25519 key");
  }
  const split = note.indexOf("\n\n");
  if (split < 0) throw new CheckError("unsigned", "the checkpoint has no signature");
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2).split("\n").filter((line) => line);
  let key;
  try {
    key = await crypto.subtle.importKey("raw", keyBytes.slice(1), { name: "Ed25519" },
                                        false, ["verify"]);
  } catch (error) {
    throw new CheckError("browser", `this browser cannot check Ed25519: ${error.message}`);
  }
  for (const line of lines) {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const signature = bytes(match[2]);
    if (hex(signature.slice(0, 4)) !== keyId.toLowerCase()) continue;
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, signature.slice(4),
                                          new TextEncoder().encode(text));
    if (ok) return text.split("\n");
    throw new CheckError("signature", "the operator's signature does not verify");
  }
  throw new CheckError("other-key", "the checkpoint is not signed by the published key");
}

function splitKey(keyString) {
  // name+keyid+base64: the name may not contain '+', the base64 may.
  const first = keyString.indexOf("+");
  const second = keyString.indexOf("+", first + 1);
  if (first < 0 || second < 0) throw new CheckError("key", "the key is not name+id+base64");
  return [keyString.slice(0, first), keyString.slice(first + 1, second),
          keyString.slice(second + 1)];
}

async function rootFromProof(index, size, leaf, proof) {
  // RFC 9162 section 2.1.3.2.
  if (index >= size) throw new CheckError("proof", "index outside the tree");
  let fn = index, sn = size - 1, r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new CheckError("proof", "the proof is too long");
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(concat(new Uint8Array([1]), p, r));
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await sha256(concat(new Uint8Array([1]), r, p));
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new CheckError("proof", "the proof is too short");
  return r;
}

async function verify() {
  const data = document.getElementById("proof-data").dataset;
  const result = document.getElementById("verify-result");
  const pasted = document.getElementById("published-key").value.trim();
  const which = pasted ? data.pasted : data.served;
  try {
    if (!globalThis.crypto || !crypto.subtle) {
      throw new CheckError("browser", "no WebCrypto here (the page must be HTTPS)");
    }
    const key = pasted || document.getElementById("verifier-key").textContent.trim();
    const lines = await checkSignature(document.getElementById("checkpoint").textContent, key);
    const size = Number(lines[1]);
    if (String(size) !== data.size) {
      throw new CheckError("size", "the checkpoint is for another tree size");
    }
    const leaf = await sha256(concat(new Uint8Array([0]), bytes(data.entry)));
    const proof = data.proof ? data.proof.split(",").map(fromHex) : [];
    const root = await rootFromProof(Number(data.index), size, leaf, proof);
    if (hex(root) !== hex(bytes(lines[2]))) {
      throw new CheckError("root", "the proof does not lead to the signed root");
    }
    result.textContent = `${data.ok} ${which}`;
    result.className = "ok";
  } catch (error) {
    const code = error instanceof CheckError ? error.code : "proof";
    const name = "error" + code.split("-").map((part) => part[0].toUpperCase() + part.slice(1))
      .join("");
    result.textContent = `${data.failed} ${data[name] || error.message} ${which}`;
    result.dataset.code = code;
    result.className = "failed";
  }
}

document.getElementById("verify").addEventListener("click", verify);
