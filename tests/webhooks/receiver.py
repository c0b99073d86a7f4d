#!/usr/bin/env python3
"""A webhook receiver for the tests (issue 16): a real HTTP server that checks every
delivery with the `standardwebhooks` package (an implementation of the specification
independent of the service's), and writes one JSON line per request received to --out:

    {"path", "id", "timestamp", "signature", "verified": [bool per --secret],
     "body": <the JSON body>, "answered": <status code>}

Modes: `accept` (204), `fail-first:N` (500 to the first N requests, then 200),
`redirect:URL` (302 to URL). Prints `READY <port>` once listening.
"""
import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", default="accept")
    parser.add_argument("--secret", action="append", default=[])
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    lock = threading.Lock()
    state = {"count": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            verified = []
            for secret in args.secret:
                try:
                    Webhook(secret).verify(raw, headers)
                    verified.append(True)
                except WebhookVerificationError:
                    verified.append(False)
            with lock:
                state["count"] += 1
                n = state["count"]
                if args.mode.startswith("fail-first:"):
                    status = 500 if n <= int(args.mode.split(":", 1)[1]) else 200
                elif args.mode.startswith("redirect:"):
                    status = 302
                else:
                    status = 204
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                record = {
                    "path": self.path,
                    "id": headers.get("webhook-id"),
                    "timestamp": headers.get("webhook-timestamp"),
                    "signature": headers.get("webhook-signature"),
                    "verified": verified,
                    "body": body,
                    "answered": status,
                }
                with open(args.out, "a", encoding="utf-8") as out:
                    out.write(json.dumps(record) + "\n")
            self.send_response(status)
            if status == 302:
                self.send_header("Location", args.mode.split(":", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
