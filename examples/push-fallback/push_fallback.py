#!/usr/bin/env python3
"""push_fallback: when kited says a message did not reach its device in time, wake the device
through a mobile push provider instead.

A sender gives a message a delivery deadline (`"fallback_after_ms": 30000` in the send body).
If the device has not acknowledged it by then, kited records an `undelivered` event. This
program reads those events as a member of a consumer group (run several copies with different
--member names to share the work; each event goes to one of them) and POSTs one notification per
event to the push provider's HTTP API, retrying a failed push. It acknowledges an event to kited
only once the provider accepted the push; if this copy stops first, kited gives the event to
another member after events.consumer_visibility_ms: at least once, never silently lost.

Standard library only. Usage:

  KITE_ADMIN_TOKEN=... push_fallback.py --kite http://127.0.0.1:7080 \\
      --push-url https://fcm.googleapis.com/v1/projects/PROJECT/messages:send \\
      --push-token-env PUSH_API_TOKEN --device-tokens tokens.json --member "$(hostname)"

tokens.json maps device ids to their push tokens: {"phone-1": "fcm-registration-token", ...};
a device missing from it is logged and skipped (acknowledged: no push can reach it).
"""

import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

GROUP_DEFAULT = "push-fallback"
stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


def log(message, **fields):
    details = " ".join(f"{key}={json.dumps(value)}" for key, value in fields.items())
    print(f"push-fallback: {message} {details}".rstrip(), file=sys.stderr, flush=True)


def read_events(args, token, ack):
    """One long-poll as a consumer group member, acknowledging `ack` (an event id) first."""
    query = {"consumer_group": args.group, "member": args.member, "type": "undelivered",
             "wait": f"{args.wait}s", "limit": "100"}
    if ack:
        query["ack"] = ack
    else:
        query["after"] = "0"  # a new group starts with every undelivered event still held
    url = f"{args.kite}/v1/events?{urllib.parse.urlencode(query)}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=args.wait + 10) as answer:
        return json.load(answer)["events"]


def push(args, push_token, device_token, event):
    """Sends one notification (Firebase Cloud Messaging's HTTP v1 shape); True when accepted."""
    body = {"message": {
        "token": device_token,
        "notification": {"title": args.title, "body": args.body},
        "data": {"kite_device": event["device"], "kite_message_id": event.get("message_id", ""),
                 "kite_seq": str(event["seq"])},
    }}
    headers = {"Content-Type": "application/json"}
    if push_token:
        headers["Authorization"] = f"Bearer {push_token}"
    request = urllib.request.Request(args.push_url, data=json.dumps(body).encode(),
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return 200 <= answer.status < 300
    except (urllib.error.URLError, OSError) as error:
        log("push failed", device=event["device"], error=str(error))
        return False


def push_with_retries(args, push_token, device_token, event):
    """Retries a failed push with doubling pauses (1 s to 30 s); False only when stopping."""
    pause = 1
    while not stopping:
        if push(args, push_token, device_token, event):
            return True
        time.sleep(pause)
        pause = min(pause * 2, 30)
    return False


def handle(args, push_token, device_tokens, events):
    """Pushes each event in order; returns the id to acknowledge (the last one handled).

    Acknowledgements are cumulative, so an event is never skipped: a failing push is retried
    until it succeeds, and on stop what was not pushed stays unacknowledged (kited gives it to
    another member after events.consumer_visibility_ms)."""
    handled = None
    for event in events:
        device_token = device_tokens.get(event["device"])
        if device_token is None:
            log("no push token", device=event["device"], message_id=event.get("message_id"))
        elif push_with_retries(args, push_token, device_token, event):
            log("pushed", device=event["device"], message_id=event.get("message_id"),
                online=event["online"], age_ms=event["age_ms"])
        else:
            break
        handled = event["id"]
    return handled


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kite", required=True, help="kited's admin API, http://HOST:PORT")
    parser.add_argument("--push-url", required=True, help="the push provider's send endpoint")
    parser.add_argument("--push-token-env", default="PUSH_API_TOKEN",
                        help="environment variable holding the provider's bearer token")
    parser.add_argument("--device-tokens", required=True,
                        help="JSON file mapping device ids to push tokens")
    parser.add_argument("--group", default=GROUP_DEFAULT, help="consumer group name")
    parser.add_argument("--member", default=f"{os.uname().nodename}-{os.getpid()}",
                        help="this reader's member name (unique per copy)")
    parser.add_argument("--wait", type=int, default=25, help="long-poll seconds")
    parser.add_argument("--title", default="New message")
    parser.add_argument("--body", default="Open the app to receive it.")
    args = parser.parse_args()
    token = os.environ.get("KITE_ADMIN_TOKEN")
    if not token:
        sys.exit("push-fallback: set KITE_ADMIN_TOKEN to a kited token with the read scope")
    with open(args.device_tokens, encoding="utf-8") as file:
        device_tokens = json.load(file)
    push_token = os.environ.get(args.push_token_env, "")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("reading", kite=args.kite, group=args.group, member=args.member)
    ack = None
    while not stopping:
        try:
            events = read_events(args, token, ack)
        except (urllib.error.URLError, OSError, ValueError) as error:
            log("kited unreachable, retrying in 1 s", error=str(error))
            time.sleep(1)
            continue
        ack = handle(args, push_token, device_tokens, events) or ack
    log("stopped")


if __name__ == "__main__":
    main()
