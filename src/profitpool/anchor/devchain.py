"""A development chain: eth-tester's in-process EVM (py-evm) behind HTTP JSON-RPC.

``profitpool anchor devchain`` serves one, so anchoring can be tried, tested
and benchmarked with ``--rpc http://127.0.0.1:8545`` exactly as against a real
node, without one. Each JSON-RPC request goes to web3's eth-tester provider,
and the answer is written back in JSON-RPC form (numbers as hex quantities,
bytes as hex data). Its state lives in memory and is gone when it stops. It
needs the ``eth-tester[py-evm]`` package (in the ``dev`` extra).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from eth_account import Account
from web3 import EthereumTesterProvider, Web3
from web3.types import Wei


def _to_rpc(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict) or hasattr(value, "items"):
        return {key: _to_rpc(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_rpc(item) for item in value]
    return value


class DevChain:
    """A py-evm chain with funded accounts to give away, served over HTTP."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        try:
            from eth_tester import EthereumTester, PyEVMBackend
        except ImportError:
            raise RuntimeError("the development chain needs eth-tester: "
                               "pip install 'eth-tester[py-evm]'") from None
        self.tester = EthereumTester(PyEVMBackend())
        self.w3 = Web3(EthereumTesterProvider(self.tester))
        self.lock = threading.Lock()
        self.down = False
        chain = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if chain.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                answers = [chain.answer(call) for call in body] if isinstance(body, list) \
                    else chain.answer(body)
                data = json.dumps(answers).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, call: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            try:
                result = self.w3.manager.request_blocking(call["method"], call.get("params", []))
            except Exception as error:  # a revert, a bad transaction: a JSON-RPC error
                message = str(error)
                if "revert" in message.lower():
                    message = "execution reverted: " + message.split("reverted:")[-1].strip()
                return {"jsonrpc": "2.0", "id": call.get("id"),
                        "error": {"code": 3 if "reverted" in message else -32000,
                                  "message": message}}
        return {"jsonrpc": "2.0", "id": call.get("id"), "result": _to_rpc(result)}

    def funded_key(self, wei: int = 10**18) -> tuple[str, str]:
        """A new account holding ``wei``: (hex private key, address)."""
        account = Account.create()
        self.w3.eth.send_transaction({"from": self.w3.eth.accounts[0], "to": account.address,
                                      "value": Wei(wei)})
        return "0x" + bytes(account.key).hex(), account.address

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
