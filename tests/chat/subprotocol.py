"""An independent browser-like client (Python `websockets`): it authenticates both chat
sockets the way a browser must (no headers on a WebSocket), offering the subprotocols
`ecom-chat` and `ecom-chat-token.<token>` (citizen) or `ecom-bearer.<token>` (agent), as
asyncapi.yaml describes. `websockets` refuses a handshake whose selected subprotocol was
not offered. Reads {"ws", "desk", "officer", "conversation", "token"}; prints what it saw."""
import asyncio, json, sys
from websockets.asyncio.client import connect

cfg = json.load(sys.stdin)


async def first_frame(url, protocols):
    async with connect(url, subprotocols=protocols) as ws:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return ws.subprotocol, frame["type"]


async def main():
    seen = {}
    seen["citizen_subprotocol"], seen["citizen_welcome"] = await first_frame(
        f"{cfg['ws']}/v1/chat/conversations/{cfg['conversation']}/socket",
        ["ecom-chat", "ecom-chat-token." + cfg["token"]])
    seen["agent_subprotocol"], seen["agent_welcome"] = await first_frame(
        f"{cfg['ws']}/v1/chat/desks/{cfg['desk']}/socket",
        ["ecom-chat", "ecom-bearer." + cfg["officer"]])
    print(json.dumps(seen))


asyncio.run(main())
