"""An independent chat client, written from asyncapi.yaml with the `websockets` library:
two agents and a citizen hold a conversation (take, quick reply, transfer, close) and a
malformed frame is answered with a protocol error. Reads {"base", "agents": [token,
token], "device"} on standard input; prints what it observed as JSON; fails on any
deviation from the protocol."""
import asyncio, json, sys, urllib.request
from websockets.asyncio.client import connect

cfg = json.load(sys.stdin)
BASE = cfg["base"]
WS = BASE.replace("http://", "ws://", 1)
DESK = cfg["desk"]


async def frame(ws, kind, timeout=10):
    """The next frame of type `kind` (others are skipped)."""
    async def wait():
        while True:
            f = json.loads(await ws.recv())
            if f["type"] == kind:
                return f
    return await asyncio.wait_for(wait(), timeout)


async def agent(token):
    ws = await connect(f"{WS}/v1/chat/desks/{DESK}/socket",
                       additional_headers={"Authorization": f"Bearer {token}"})
    welcome = await frame(ws, "welcome")
    await ws.send(json.dumps({"type": "set_status", "status": "available", "languages": ["nl"]}))
    assert (await frame(ws, "status"))["status"] == "available"
    return ws, welcome["agent"]


def open_conversation():
    body = json.dumps({"topic": "online_scam", "language": "nl", "country": "BE"}).encode()
    req = urllib.request.Request(f"{BASE}/v1/chat/conversations", data=body, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "X-Device-Token": cfg["device"]})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 201, resp.status
        return json.load(resp)


async def main():
    a1, _ = await agent(cfg["agents"][0])
    a2, a2_id = await agent(cfg["agents"][1])
    opened = open_conversation()
    c = opened["conversation"]
    citizen = await connect(f"{WS}{opened['socket']}",
                            additional_headers={"X-Chat-Token": opened["token"]})
    welcome = await frame(citizen, "welcome")
    assert welcome["status"] == "waiting" and welcome["position"] >= 1, welcome
    await citizen.send(json.dumps({"type": "message", "text": "Iemand vraagt mijn bankcode per sms", "ref": "p1"}))
    await a1.send(json.dumps({"type": "take_next"}))
    assigned = await frame(a1, "assigned")
    assert assigned["conversation"] == c and assigned["history"][0]["ref"] == "p1", assigned
    await frame(citizen, "agent_joined")
    await a1.send(json.dumps({"type": "quick_reply", "conversation": c, "guidance": "procedure:online_scam"}))
    quick = await frame(citizen, "message")
    while quick["from"] != "agent":
        quick = await frame(citizen, "message")
    await citizen.send("this is not json")
    error = await frame(citizen, "error")
    assert error["code"] == "chat_malformed_frame", error
    await a1.send(json.dumps({"type": "transfer", "conversation": c, "to": a2_id}))
    await frame(a1, "transferred")
    moved = await frame(a2, "assigned")
    await citizen.send(json.dumps({"type": "message", "text": "Nog steeds daar?"}))
    heard = await frame(a2, "message")
    await a2.send(json.dumps({"type": "close", "conversation": c, "outcome": "answered"}))
    closed = await frame(citizen, "closed")
    print(json.dumps({
        "quick_reply": quick["guidance"],
        "history_after_transfer": len(moved["history"]),
        "heard": heard["text"],
        "outcome": closed["outcome"],
        "notice": opened["notice"]["text"],
    }))
    for ws in (a1, a2, citizen):
        await ws.close()

asyncio.run(main())
