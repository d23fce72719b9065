// The Disclosures page's form: checks the proof pasted in it with pol.js, in this browser.
// A file rather than an inline script, so the page runs under the site's
// Content-Security-Policy (script-src 'self'). Needs bytes.js and pol.js.
// The result is said in the page's language, from the sentences on #pol-result
// (data-ok, data-error-<code>, ...): the holding in yuan, or what failed and why, with
// pol.js's own words as the detail.
"use strict";

document.getElementById("pol-check").addEventListener("submit", (event) => {
  event.preventDefault();  // the check runs here; nothing is sent anywhere
});

// Fen (a BigInt) as yuan with thousands grouped: 9105612n -> "¥91,056.12".
function yuan(fen) {
  const negative = fen < 0n;
  const digits = (negative ? -fen : fen).toString().padStart(3, "0");
  const whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${negative ? "-" : ""}¥${whole}.${digits.slice(-2)}`;
}

function said(out, name, fallback) {
  return out.dataset[name] || fallback;
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

function show(out, ok, lines) {
  out.replaceChildren(...lines.map((line, index) => {
    const part = document.createElement(index === 0 ? "span" : "small");
    part.textContent = line;
    part.className = index === 0 ? "pol-verdict" : "pol-detail";
    return part;
  }));
  out.className = ok ? "ok" : "shortfall";
}

document.getElementById("pol-run").addEventListener("click", async () => {
  const out = document.getElementById("pol-result");
  const root = document.getElementById("pol-root").value.trim();
  try {
    const result = await verifyPolProof(document.getElementById("pol-proof").value,
                                        root || undefined);
    if (result.ok) {
      const lines = [fill(said(out, "ok", "OK: {amount} ({period})"),
                          { amount: yuan(result.value), period: result.period })];
      if (!root) lines.push(said(out, "okWithoutRoot", ""));
      show(out, true, lines.filter((line) => line));
      return;
    }
    const code = (result.code || "shape").split("_")
      .map((part) => part[0].toUpperCase() + part.slice(1)).join("");
    show(out, false, [`${said(out, "failed", "✗")} ${said(out, "error" + code, "")}`.trim(),
                      `${said(out, "detail", "")} ${result.error}`.trim()]);
  } catch (error) {
    show(out, false, [said(out, "failed", "✗"), String(error)]);
  }
});
