#!/usr/bin/env python3
"""An SMTP server for the tests and the benchmark, on aiosmtpd (an independent
implementation of the protocol), with Python's own e-mail parser reading what arrives.

    python3 tests/smtp/sink.py --dir DIR [--port PORT] [--mode accept|reject|stall|fast]

Prints "READY <port>" once listening. Each message received is written as DIR/<n>.json
(envelope, every header, each text part decoded) and DIR/<n>.eml (the raw bytes), before
the server answers. Modes: accept (250), reject (550 after DATA), stall (records the
message, then never answers: a client killed meanwhile), fast (no parsing: appends the
Message-ID to DIR/ids.txt; for the benchmark).
"""
import argparse
import asyncio
import email
import email.policy
import itertools
import json
import os
import re

from aiosmtpd.smtp import SMTP

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Handler:
    def __init__(self, folder, mode):
        self.folder = folder
        self.mode = mode
        self.counter = itertools.count(1)
        self.ids = None
        if mode == "fast":
            self.ids = open(os.path.join(folder, "ids.txt"), "ab", buffering=0)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if self.mode == "fast":
            found = MESSAGE_ID.search(raw)
            self.ids.write((found.group(1) if found else b"-") + b"\n")
            return "250 2.0.0 OK"
        if self.mode == "reject":
            return "550 5.1.1 Mailbox unavailable (test sink)"
        n = next(self.counter)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts.append(
                    {
                        "content_type": part.get_content_type(),
                        "charset": part.get_content_charset(),
                        "transfer_encoding": part.get("Content-Transfer-Encoding"),
                        "text": part.get_content(),
                    }
                )
        record = {
            "n": n,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {k.lower(): str(v) for k, v in message.items()},
            "content_type": message.get_content_type(),
            "parts": parts,
        }
        base = os.path.join(self.folder, str(n))
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        with open(base + ".json.partial", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(base + ".json.partial", base + ".json")
        if self.mode == "stall":
            await asyncio.sleep(3600)
        return "250 2.0.0 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", default="accept", choices=["accept", "reject", "stall", "fast"])
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Handler(args.dir, args.mode)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(handler, hostname="sink.test", data_size_limit=10_000_000),
            host="127.0.0.1",
            port=args.port,
            reuse_address=True,
        )
    )
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    loop.run_forever()


if __name__ == "__main__":
    main()
