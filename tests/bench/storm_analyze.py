#!/usr/bin/env python3
"""What one mode of tests/bench/storm measured: reads the directory it wrote (report.json from
kite bench storm, events.jsonl from kite events, cpu.log, times) and prints one JSON object.

Every time is in seconds since the event (the SIGTERM or the kill -9). The curve is sessions
opened per whole second after the event. "mean" is over the storm's own window: from the first
second with an opening to the last one, both included, so a flat curve has peak / mean near 1
and a herd has it far above; the peak over 100 ms (as a rate per second) is given too, since a
herd that is over within a second looks flat in one-second bins. The uplink check is the backend's view: each message a device had
confirmed must appear in kited's event stream exactly once (devices number their uplink 1, 2,
3..., so a (device, payload) pair seen twice is a duplicate)."""
import json
import os
import sys


def read_times(path):
    times = {}
    with open(path) as f:
        for line in f:
            key, value = line.split()
            times[key] = value if key == "mode" else int(value)
    return times


def net_growth(path):
    """How much the kernel's counters grew over the run: {"TcpExtListenDrops": n, ...}."""
    values = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                key, value = line.split()
                values[key] = int(value)
    names = {k.split("_", 1)[1] for k in values}
    return {n: values.get("after_" + n, 0) - values.get("before_" + n, 0) for n in sorted(names)}


def curve(storm, event_ms):
    """Sessions opened per second since the event, and those opened before it."""
    bucket_ms = storm["bucket_ms"]
    per_second, before = {}, 0
    for bucket, count in storm["opened_by_bucket"]:
        at = bucket * bucket_ms - event_ms
        if at < 0:
            before += count
            continue
        per_second[at // 1000] = per_second.get(at // 1000, 0) + count
    if not per_second:
        return [], before
    last = max(per_second)
    return [[s, per_second.get(s, 0)] for s in range(last + 1)], before


def cpu_per_second(path, event_ms, seconds):
    """kited's CPU (all threads, user + system) in each second since the event, in seconds; each
    sample's growth since the previous sample of the same process goes to the second it ends in.
    A process first seen after the event (the new kited) started after it: its first sample
    counts from zero, its start-up included. The old kited's work after its last sample (at
    most 100 ms of it) is not seen."""
    hz = os.sysconf("SC_CLK_TCK")
    per_second = [0.0] * seconds
    last = {}
    with open(path) as f:
        for line in f:
            at, pid, ticks = (int(x) for x in line.split())
            if at >= event_ms:
                s = (at - event_ms) // 1000
                if s < seconds:
                    per_second[s] += (ticks - last.get(pid, 0)) / hz
            last[pid] = ticks
    return per_second


def uplink_seen(path):
    pairs, duplicated, gaps = set(), 0, 0
    with open(path) as f:
        for line in f:
            event = json.loads(line)
            if event.get("type") == "gap":
                gaps += 1
                continue
            if event.get("type") != "uplink":
                continue
            pair = (event["device"], event["payload"])
            if pair in pairs:
                duplicated += 1
            pairs.add(pair)
    return len(pairs), duplicated, gaps


def main(directory):
    times = read_times(os.path.join(directory, "times"))
    with open(os.path.join(directory, "report.json")) as f:
        report = json.load(f)
    storm, event = report["storm"], times["event_ms"]
    series, before = curve(storm, event)
    opened = [count for _, count in series]
    nonzero = [s for s, count in series if count]
    window = series[nonzero[0]:nonzero[-1] + 1] if nonzero else []
    mean = sum(c for _, c in window) / len(window) if window else 0
    peak = max(opened) if opened else 0
    # The same storm at 100 ms: a herd shorter than a second hides in a one-second bin.
    fine = {}
    for bucket, count in storm["opened_by_bucket"]:
        if bucket * storm["bucket_ms"] >= event:
            fine[bucket] = fine.get(bucket, 0) + count
    per_s = 1000 / storm["bucket_ms"]
    peak_fine_per_s = max(fine.values()) * per_s if fine else 0
    first_bucket = -(-event // storm["bucket_ms"])  # the first bucket that starts after the event
    fine_series = [[round((b * storm["bucket_ms"] - event) / 1000, 3), fine.get(b, 0) * per_s]
                   for b in range(first_bucket, max(fine) + 1)] if fine else []
    cpu = cpu_per_second(os.path.join(directory, "cpu.log"), event, len(series) + 2)
    delivered, duplicated, gaps = uplink_seen(os.path.join(directory, "events.jsonl"))
    down, up = storm["downlink"], storm["uplink"]
    all_back_s = (storm["last_reopen_ms"] - event) / 1000 if storm["last_reopen_ms"] else None
    bound_s = times["spread_ms"] / 1000 + 5
    result = {
        "mode": times["mode"],
        "devices": report["devices"],
        "processes": report["processes"],
        "spread_s": times["spread_ms"] / 1000,
        "old_kited_gone_s": (times["gone_ms"] - event) / 1000,
        "new_kited_ready_s": (times["ready_ms"] - event) / 1000,
        "all_resumed_s": all_back_s,
        "reopened": storm["reopened"],
        "resumed": storm["resumed"],
        "devices_back": storm["devices_back"],
        "reopened_twice": storm["reopened_twice"],
        "opened_before_event": before,
        "connected_at_end": storm["connected_at_end"],
        "peak_per_s": peak,
        "mean_per_s": round(mean, 1),
        "peak_over_mean": round(peak / mean, 2) if mean else None,
        "window_s": len(window),
        "peak_100ms_per_s": peak_fine_per_s,
        "peak_100ms_over_mean": round(peak_fine_per_s / mean, 2) if mean else None,
        "kited_cpu_s": round(sum(cpu[:len(series) + 1]), 2),
        "kited_cpu_peak_s_per_s": round(max(cpu) if cpu else 0, 2),
        "ended_by_reason": storm["ended_by_reason"],
        "kernel": net_growth(os.path.join(directory, "net")),
        "downlink": down,
        "uplink": dict(up, delivered=delivered, duplicated=duplicated, gaps=gaps,
                       lost=up["accepted"] - delivered if up["failed"] == 0 else None),
        "goals": {
            "all_resumed_within_spread_plus_5s": all_back_s is not None and all_back_s <= bound_s
                and storm["devices_back"] == report["devices"],
            "peak_at_most_twice_mean": bool(mean) and peak <= 2 * mean,
            "nothing_lost_or_duplicated": down["lost"] == 0 and down["duplicated"] == 0
                and duplicated == 0 and up["failed"] == 0 and up["accepted"] == delivered,
            "every_session_resumed": storm["resumed"] == storm["reopened"],
        },
    }
    # One line per second of the curve: [second, sessions opened, kited CPU seconds].
    # and per 100 ms: [seconds since the event at the bucket's start, sessions opened per second].
    rows = ",\n".join("  " + json.dumps([s, c, round(cpu[s], 2)]) for s, c in series)
    fine_rows = ",\n".join("  " + json.dumps(row) for row in fine_series)
    print(json.dumps(result, indent=1)[:-2] + ',\n "series": [\n' + rows +
          '\n ],\n "series_100ms": [\n' + fine_rows + "\n ]\n}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: storm_analyze.py DIR   (a mode's directory written by tests/bench/storm)")
    main(sys.argv[1])
