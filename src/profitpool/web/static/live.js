// Keeps the pool figures, the latest blocks and the latest entries fresh without reloading.
"use strict";

// The server's cny filter: thousands separators on a decimal string, no arithmetic.
function cny(text) {
  const [whole, fraction] = text.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

// Fen in a decimal string, exactly (BigInt): "1,234.50" is never parsed, only "1234.50".
function fen(text) {
  return BigInt(text.replace(".", ""));
}

function yuan(fenValue) {
  const digits = fenValue.toString().padStart(3, "0");
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

// A log time as the page shows it (pages.py explorer_time): the API writes Asia/Shanghai
// times, "2026-07-22T13:43:05.123456+08:00", shown "2026-07-22 13:43:05".
function shown(time) {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*\+08:00$/.test(time)
    ? time.slice(0, 19).replace("T", " ") : time;
}

function whenCell(row, time) {
  const cell = row.insertCell();
  cell.className = "when";
  cell.textContent = shown(time);
}

// Each command's name in the page's language (web/labels.py), given by the page.
const OP_NAMES = JSON.parse(document.getElementById("entries").dataset.ops || "{}");

async function refresh() {
  try {
    const [pool, blocks] = await Promise.all([
      fetch("/v1/pool").then((r) => r.json()),
      fetch("/v1/blocks?limit=10").then((r) => r.json()),
    ]);
    document.getElementById("pool").textContent = `¥${cny(pool.pool)}`;
    document.getElementById("supply").textContent = pool.supply;
    document.getElementById("price").textContent = `¥${pool.price}`;
    document.getElementById("value-per-point").textContent = `¥${pool.value_per_point}`;
    // What custody must hold: the pool, what is owed and what is in flight (the page's
    // sentence says why); the sum is of whole fen, so it is exact.
    document.getElementById("owed-total").textContent = `¥${cny(pool.owed)}`;
    document.getElementById("in-flight-total").textContent = `¥${cny(pool.in_flight)}`;
    document.getElementById("settled-total").textContent = `¥${cny(pool.settled)}`;
    document.getElementById("custody-needed").textContent =
      `¥${cny(yuan(fen(pool.pool) + fen(pool.owed) + fen(pool.in_flight)))}`;
    const table = document.getElementById("blocks");
    const header = table.rows[0];
    table.replaceChildren(header);
    for (const block of blocks.data) {
      const row = table.insertRow();
      const link = document.createElement("a");
      link.href = `/block/${block.height}`;
      link.textContent = block.height;
      row.insertCell().append(link);
      whenCell(row, block.time);
      row.insertCell().textContent = block.count;
      row.insertCell().textContent = block.tree_size;
      const root = row.insertCell();
      root.className = "hash";
      root.textContent = `${block.root.slice(0, 16)}…`;
    }
    const start = Math.max(0, pool.tree_size - 10);
    const entries = await fetch(`/v1/entries?start=${start}&limit=10`).then((r) => r.json());
    const list = document.getElementById("entries");
    list.replaceChildren(list.rows[0]);
    for (const item of entries.data.reverse()) {
      const row = list.insertRow();
      const link = document.createElement("a");
      link.href = `/entry/${item.index}`;
      link.textContent = item.index;
      row.insertCell().append(link);
      whenCell(row, item.entry.command.at);
      const op = item.entry.command.op;
      row.insertCell().textContent = OP_NAMES[op] || op;
    }
  } catch (error) {
    // The next round tries again; the page keeps what it showed.
  }
}

setInterval(refresh, 5000);
