// The Disclosures page's form: checks the proof pasted in it with pol.js, in this browser.
// A file rather than an inline script, so the page runs under the site's
// Content-Security-Policy (script-src 'self'). Needs bytes.js and pol.js.
"use strict";

document.getElementById("pol-check").addEventListener("submit", (event) => {
  event.preventDefault();  // the check runs here; nothing is sent anywhere
});

document.getElementById("pol-run").addEventListener("click", async () => {
  const out = document.getElementById("pol-result");
  try {
    const result = await verifyPolProof(document.getElementById("pol-proof").value,
                                        document.getElementById("pol-root").value.trim());
    out.textContent = result.ok ? "OK: " + result.value : "✗ " + result.error;
    out.className = result.ok ? "ok" : "shortfall";
  } catch (error) {
    out.textContent = "✗ " + error;
    out.className = "shortfall";
  }
});
