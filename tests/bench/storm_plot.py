#!/usr/bin/env python3
"""Draws the reconnect curves of tests/bench/storm as a PNG: sessions opened per second against
the seconds since the drain (SIGTERM) or the kill -9, one line each, from the storm.json files
storm_analyze.py wrote; below, the kill's storm per 100 ms (3 to 10 s of it), where a herd that
is over within a second shows. Standard library only (zlib and struct write the PNG; a 5x7 bitmap font
writes the labels), so it runs wherever Python 3 does.

    storm_plot.py DRAIN.json KILL.json OUT.png"""
import json
import struct
import sys
import zlib

# 5x7 glyphs, one int per row, the high bit of 5 on the left.
FONT = {
    "0": [14, 17, 19, 21, 25, 17, 14], "1": [4, 12, 4, 4, 4, 4, 14],
    "2": [14, 17, 1, 2, 4, 8, 31], "3": [31, 2, 4, 2, 1, 17, 14],
    "4": [2, 6, 10, 18, 31, 2, 2], "5": [31, 16, 30, 1, 1, 17, 14],
    "6": [6, 8, 16, 30, 17, 17, 14], "7": [31, 1, 2, 4, 8, 8, 8],
    "8": [14, 17, 17, 14, 17, 17, 14], "9": [14, 17, 17, 15, 1, 2, 12],
    "A": [14, 17, 17, 31, 17, 17, 17], "B": [30, 17, 17, 30, 17, 17, 30],
    "C": [14, 17, 16, 16, 16, 17, 14], "D": [28, 18, 17, 17, 17, 18, 28],
    "E": [31, 16, 16, 30, 16, 16, 31], "F": [31, 16, 16, 30, 16, 16, 16],
    "G": [14, 17, 16, 23, 17, 17, 15], "H": [17, 17, 17, 31, 17, 17, 17],
    "I": [14, 4, 4, 4, 4, 4, 14], "J": [7, 2, 2, 2, 2, 18, 12],
    "K": [17, 18, 20, 24, 20, 18, 17], "L": [16, 16, 16, 16, 16, 16, 31],
    "M": [17, 27, 21, 21, 17, 17, 17], "N": [17, 17, 25, 21, 19, 17, 17],
    "O": [14, 17, 17, 17, 17, 17, 14], "P": [30, 17, 17, 30, 16, 16, 16],
    "Q": [14, 17, 17, 17, 21, 18, 13], "R": [30, 17, 17, 30, 20, 18, 17],
    "S": [15, 16, 16, 14, 1, 1, 30], "T": [31, 4, 4, 4, 4, 4, 4],
    "U": [17, 17, 17, 17, 17, 17, 14], "V": [17, 17, 17, 17, 17, 10, 4],
    "W": [17, 17, 17, 21, 21, 21, 10], "X": [17, 17, 10, 4, 10, 17, 17],
    "Y": [17, 17, 10, 4, 4, 4, 4], "Z": [31, 1, 2, 4, 8, 16, 31],
    " ": [0] * 7, "-": [0, 0, 0, 31, 0, 0, 0], ".": [0, 0, 0, 0, 0, 12, 12],
    ",": [0, 0, 0, 0, 12, 4, 8], "/": [1, 1, 2, 4, 8, 16, 16], "(": [2, 4, 8, 8, 8, 4, 2],
    ")": [8, 4, 2, 2, 2, 4, 8], ":": [0, 12, 12, 0, 12, 12, 0], "=": [0, 0, 31, 0, 31, 0, 0],
    ";": [0, 12, 12, 0, 12, 4, 8],
}
WHITE, BLACK, GREY = (255, 255, 255), (40, 40, 40), (220, 220, 220)
COLOURS = [(31, 119, 180), (214, 39, 40)]  # drain blue, kill -9 red


class Canvas:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(WHITE) * width * height)

    def dot(self, x, y, colour, size=1):
        for dy in range(size):
            for dx in range(size):
                px, py = int(x) + dx, int(y) + dy
                if 0 <= px < self.width and 0 <= py < self.height:
                    i = 3 * (py * self.width + px)
                    self.pixels[i:i + 3] = bytes(colour)

    def line(self, x0, y0, x1, y1, colour, size=1):
        steps = int(max(abs(x1 - x0), abs(y1 - y0), 1))
        for k in range(steps + 1):
            self.dot(x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps, colour, size)

    def text(self, x, y, words, colour=BLACK, scale=2):
        for n, char in enumerate(words.upper()):
            for row, bits in enumerate(FONT.get(char, FONT[" "])):
                for col in range(5):
                    if bits & (16 >> col):
                        self.dot(x + (6 * n + col) * scale, y + row * scale, colour, scale)

    def png(self):
        rows = b"".join(b"\0" + bytes(self.pixels[3 * self.width * y:3 * self.width * (y + 1)])
                        for y in range(self.height))

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        head = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) +
                chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def nice_ceiling(value):
    """A round top for the y axis at or above `value`, and a tick that divides it in five."""
    step = 1
    while step * 10 < value:
        step *= 10
    for k in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if k * step >= value:
            top = int(k * step)
            return top, max(top // 5, 1)
    return int(value), 1


def panel(canvas, box, runs, key, x_last, title):
    """One chart in `box` (left, top, right, bottom): runs[i][key] rows [x, y, ...] as lines."""
    left, top, right, bottom = box
    rows = [[r for r in run[key] if r[0] <= x_last] for run in runs]
    y_max, y_step = nice_ceiling(max([r[1] for rs in rows for r in rs] + [1]) * 1.1)
    x_step = next(k for k in (0.5, 1, 2, 5, 10, 20) if x_last / k <= 12)
    x_of = lambda x: left + (right - left) * x / x_last
    y_of = lambda y: bottom - (bottom - top) * y / y_max
    for y in range(0, y_max + 1, y_step):
        canvas.line(left, y_of(y), right, y_of(y), GREY)
        canvas.text(left - 12 - 12 * len(str(y)), y_of(y) - 7, str(y))
    for k in range(int(x_last / x_step) + 1):
        label = f"{k * x_step:g}"
        canvas.line(x_of(k * x_step), top, x_of(k * x_step), bottom, GREY)
        canvas.text(x_of(k * x_step) - 6 * len(label), bottom + 10, label)
    canvas.line(left, bottom, right, bottom, BLACK, 2)
    canvas.line(left, top, left, bottom, BLACK, 2)
    for run, colour in zip(runs, COLOURS):  # dashed: when the new kited was ready
        x = x_of(min(run["new_kited_ready_s"], x_last))
        for y in range(int(top), int(bottom), 12):
            canvas.line(x, y, x, y + 5, colour, 2)
    # Per-second rows are drawn at the middle of their second, 100 ms ones at their start.
    shift = 0.5 if key == "series" else 0
    for rs, colour in zip(rows, COLOURS):
        points = [(x_of(min(r[0] + shift, x_last)), y_of(r[1])) for r in rs]
        for (x0, y0), (x1, y1) in zip(points, points[1:]):
            canvas.line(x0, y0, x1, y1, colour, 3)
    canvas.text(left, top - 30, title)


def draw(runs, path):
    canvas = Canvas(960, 860)
    last_s = max(r[0] for run in runs for r in run["series"]) + 1
    devices = runs[0]["devices"]
    panel(canvas, (100, 80, 930, 400), runs, "series", last_s,
          f"SESSIONS OPENED PER SECOND, {devices} SDK DEVICES")
    # Wide enough for the kill's whole storm, at least 3 s, at most 10.
    fine_last = min(max(3, int(max(run["all_resumed_s"] or 0 for run in runs[1:]) + 1)), 10)
    panel(canvas, (100, 510, 930, 800), runs, "series_100ms", fine_last,
          f"THE FIRST {fine_last} S PER 100 MS (SESSIONS OPENED PER SECOND)")
    canvas.text(60, 830, "SECONDS SINCE SIGTERM (DRAIN) OR KILL -9. DASHED: NEW KITED READY")
    for n, (run, colour) in enumerate(zip(runs, COLOURS)):
        y = 90 + 26 * n
        canvas.line(420, y + 7, 450, y + 7, colour, 3)
        name = "DRAIN  " if run["mode"] == "drain" else "KILL -9"
        canvas.text(460, y, f"{name} PEAK/MEAN {run['peak_over_mean']}, "
                    f"PER 100 MS {run['peak_100ms_over_mean']}")
    with open(path, "wb") as f:
        f.write(canvas.png())


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: storm_plot.py DRAIN.json KILL.json OUT.png")
    runs = []
    for path in sys.argv[1:3]:
        with open(path) as f:
            runs.append(json.load(f))
    draw(runs, sys.argv[3])


if __name__ == "__main__":
    main()
