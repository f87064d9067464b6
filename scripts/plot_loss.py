#!/usr/bin/env python3
"""Draws the default model's loss curve as a PNG with Python's standard library only (no matplotlib).

Reads the per-step training loss and the validation points either from a GGUF made by `tokenscope train`
(tokenscope.train.loss_curve, .val_curve_steps, .val_curve) or from the trainer's log (its `step N/M  loss X` lines,
each the mean of the last --log-every steps, and `step N  val loss X` / `final val loss X`). Writes an RGB PNG
(zlib + struct) with axes, ticks, labels and a legend drawn in a built-in 5x7 bitmap font.

usage: scripts/plot_loss.py (--gguf FILE.gguf | --log FILE.txt) [-o assets/models/loss.png] [--title TEXT]
"""
import argparse
import math
import re
import struct
import sys
import zlib

# --- reading ------------------------------------------------------------------------------------------------------

GGUF_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


def read_gguf_metadata(path):
    """Returns the GGUF's key/value metadata as a dict (arrays as lists). Tensor data is not read."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    pos = 4
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, pos)
    pos += 20
    if version < 2:
        raise ValueError(f"{path}: GGUF version {version} is not supported")

    def read_value(t, pos):
        if t in GGUF_SCALARS:
            fmt = GGUF_SCALARS[t]
            return struct.unpack_from(fmt, data, pos)[0], pos + struct.calcsize(fmt)
        if t == 8:
            (n,) = struct.unpack_from("<Q", data, pos)
            return data[pos + 8:pos + 8 + n].decode("utf-8", "replace"), pos + 8 + n
        if t == 9:
            et, n = struct.unpack_from("<IQ", data, pos)
            pos += 12
            if et in GGUF_SCALARS:  # fast path for numeric arrays
                fmt = GGUF_SCALARS[et]
                size = struct.calcsize(fmt)
                vals = list(struct.unpack_from("<%d%s" % (n, fmt[1]), data, pos))
                return vals, pos + n * size
            out = []
            for _ in range(n):
                v, pos = read_value(et, pos)
                out.append(v)
            return out, pos
        raise ValueError(f"{path}: unknown GGUF value type {t}")

    kv = {}
    for _ in range(n_kv):
        (n,) = struct.unpack_from("<Q", data, pos)
        key = data[pos + 8:pos + 8 + n].decode("utf-8", "replace")
        pos += 8 + n
        (t,) = struct.unpack_from("<I", data, pos)
        kv[key], pos = read_value(t, pos + 4)
    return kv


def curves_from_gguf(path):
    kv = read_gguf_metadata(path)
    train = kv.get("tokenscope.train.loss_curve")
    if not train:
        raise ValueError(f"{path}: no tokenscope.train.loss_curve (not made by `tokenscope train`?)")
    train_pts = [(i + 1, float(x)) for i, x in enumerate(train)]
    val_pts = list(zip(kv.get("tokenscope.train.val_curve_steps", []), kv.get("tokenscope.train.val_curve", [])))
    return train_pts, [(int(s), float(x)) for s, x in val_pts], True


def curves_from_log(path):
    train_pts, val_pts, last_step = [], [], 0
    re_train = re.compile(r"^step\s+(\d+)/(\d+)\s+loss\s+([0-9.eE+-]+)")
    re_val = re.compile(r"^step\s+(\d+)\s+val loss\s+([0-9.eE+-]+)")
    re_final = re.compile(r"^final val loss\s+([0-9.eE+-]+)")
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if m := re_train.match(line):
                last_step = int(m.group(1))
                train_pts.append((last_step, float(m.group(3))))
            elif m := re_val.match(line):
                val_pts.append((int(m.group(1)), float(m.group(2))))
            elif m := re_final.match(line):
                val_pts.append((last_step, float(m.group(1))))
    if not train_pts:
        raise ValueError(f"{path}: no `step N/M  loss X` lines")
    return train_pts, val_pts, False


# --- drawing ------------------------------------------------------------------------------------------------------

# 5x7 glyphs, one string of rows per character (7, or 9 for letters with descenders), '#' = ink.
FONT = {
    " ": ".....|.....|.....|.....|.....|.....|.....",
    "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.",
    "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
    "2": ".###.|#...#|....#|...#.|..#..|.#...|#####",
    "3": "####.|....#|....#|.###.|....#|....#|####.",
    "4": "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.",
    "5": "#####|#....|####.|....#|....#|#...#|.###.",
    "6": "..##.|.#...|#....|####.|#...#|#...#|.###.",
    "7": "#####|....#|...#.|..#..|.#...|.#...|.#...",
    "8": ".###.|#...#|#...#|.###.|#...#|#...#|.###.",
    "9": ".###.|#...#|#...#|.####|....#|...#.|.##..",
    ".": ".....|.....|.....|.....|.....|.##..|.##..",
    ",": ".....|.....|.....|.....|.##..|..#..|.#...",
    "-": ".....|.....|.....|.###.|.....|.....|.....",
    "(": "...#.|..#..|.#...|.#...|.#...|..#..|...#.",
    ")": ".#...|..#..|...#.|...#.|...#.|..#..|.#...",
    "/": ".....|....#|...#.|..#..|.#...|#....|.....",
    ":": ".....|.##..|.##..|.....|.##..|.##..|.....",
    "=": ".....|.....|#####|.....|#####|.....|.....",
    "a": ".....|.....|.###.|....#|.####|#...#|.####",
    "b": "#....|#....|####.|#...#|#...#|#...#|####.",
    "c": ".....|.....|.###.|#....|#....|#...#|.###.",
    "d": "....#|....#|.####|#...#|#...#|#...#|.####",
    "e": ".....|.....|.###.|#...#|#####|#....|.###.",
    "f": "..##.|.#..#|.#...|###..|.#...|.#...|.#...",
    "g": ".....|.....|.####|#...#|#...#|#...#|.####|....#|.###.",
    "h": "#....|#....|#.##.|##..#|#...#|#...#|#...#",
    "i": "..#..|.....|.##..|..#..|..#..|..#..|.###.",
    "j": "...#.|.....|..##.|...#.|...#.|...#.|...#.|#..#.|.##..",
    "k": "#....|#....|#..#.|#.#..|##...|#.#..|#..#.",
    "l": ".##..|..#..|..#..|..#..|..#..|..#..|.###.",
    "m": ".....|.....|##.#.|#.#.#|#.#.#|#...#|#...#",
    "n": ".....|.....|#.##.|##..#|#...#|#...#|#...#",
    "o": ".....|.....|.###.|#...#|#...#|#...#|.###.",
    "p": ".....|.....|####.|#...#|#...#|#...#|####.|#....|#....",
    "q": ".....|.....|.####|#...#|#...#|#...#|.####|....#|....#",
    "r": ".....|.....|#.##.|##..#|#....|#....|#....",
    "s": ".....|.....|.####|#....|.###.|....#|####.",
    "t": ".#...|.#...|###..|.#...|.#...|.#..#|..##.",
    "u": ".....|.....|#...#|#...#|#...#|#..##|.##.#",
    "v": ".....|.....|#...#|#...#|#...#|.#.#.|..#..",
    "w": ".....|.....|#...#|#...#|#.#.#|#.#.#|.#.#.",
    "x": ".....|.....|#...#|.#.#.|..#..|.#.#.|#...#",
    "y": ".....|.....|#...#|#...#|#...#|#...#|.####|....#|.###.",
    "z": ".....|.....|#####|...#.|..#..|.#...|#####",
    "K": "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#",
    "J": "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
    "V": "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
}


class Canvas:
    def __init__(self, w, h, bg=(255, 255, 255)):
        self.w, self.h = w, h
        self.px = bytearray(bytes(bg) * (w * h))

    def set(self, x, y, c):
        if 0 <= x < self.w and 0 <= y < self.h:
            i = 3 * (y * self.w + x)
            self.px[i:i + 3] = bytes(c)

    def rect(self, x0, y0, x1, y1, c):
        for y in range(max(0, y0), min(self.h, y1 + 1)):
            for x in range(max(0, x0), min(self.w, x1 + 1)):
                self.set(x, y, c)

    def line(self, x0, y0, x1, y1, c, width=1):
        """A straight line: points every half pixel along it, each a width x width square."""
        n = int(max(abs(x1 - x0), abs(y1 - y0)) * 2) + 1
        r0 = -(width // 2)
        for i in range(n + 1):
            t = i / n
            x, y = round(x0 + (x1 - x0) * t), round(y0 + (y1 - y0) * t)
            for dy in range(r0, r0 + width):
                for dx in range(r0, r0 + width):
                    self.set(x + dx, y + dy, c)

    def text(self, x, y, s, c, scale=2):
        """Text with its top-left corner at (x, y); unknown characters are drawn as blanks."""
        for ch in s:
            rows = FONT.get(ch, FONT[" "]).split("|")
            for ry, row in enumerate(rows):
                for rx, bit in enumerate(row):
                    if bit == "#":
                        self.rect(x + rx * scale, y + ry * scale, x + rx * scale + scale - 1,
                                  y + ry * scale + scale - 1, c)
            x += 6 * scale

    def text_vertical(self, x, y, s, c, scale=2):
        """Text rotated 90 degrees counter-clockwise, reading upwards from (x, y) = its bottom-left corner."""
        for ch in s:
            rows = FONT.get(ch, FONT[" "]).split("|")
            for ry, row in enumerate(rows):
                for rx, bit in enumerate(row):
                    if bit == "#":
                        px, py = x + ry * scale, y - rx * scale
                        self.rect(px, py - scale + 1, px + scale - 1, py, c)
            y -= 6 * scale

    def write_png(self, path):
        raw = b"".join(b"\x00" + bytes(self.px[3 * self.w * y:3 * self.w * (y + 1)]) for y in range(self.h))

        def chunk(kind, body):
            return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

        png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0))
        png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
        with open(path, "wb") as f:
            f.write(png)


def text_width(s, scale=2):
    return len(s) * 6 * scale - scale


def nice_step(span, target_ticks):
    raw = span / max(1, target_ticks)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def fmt_tick(v, step):
    if step >= 1:
        return str(int(round(v)))
    digits = max(0, -int(math.floor(math.log10(step))))
    return f"{v:.{digits}f}"


def moving_average(ys, k):
    out, acc = [], 0.0
    for i, y in enumerate(ys):
        acc += y
        if i >= k:
            acc -= ys[i - k]
        out.append(acc / min(i + 1, k))
    return out


def plot(train_pts, val_pts, per_step, title, out, width=900, height=560):
    c = Canvas(width, height)
    left, right, top, bottom = 90, 30, 50, 70
    pw, ph = width - left - right, height - top - bottom
    black, light = (0, 0, 0), (225, 225, 225)
    # viridis-like, colour-blind safe pair: blue for training, orange for validation
    c_train_raw, c_train, c_val = (170, 200, 230), (31, 90, 160), (230, 120, 20)

    xs_max = max([s for s, _ in train_pts] + [s for s, _ in val_pts])
    ys = [y for _, y in train_pts] + [y for _, y in val_pts]
    y_lo, y_hi = min(ys), max(ys)
    y_step = nice_step(y_hi - y_lo, 8)
    y_lo = math.floor(y_lo / y_step) * y_step
    y_hi = math.ceil(y_hi / y_step) * y_step
    x_step = nice_step(xs_max, 8)
    x_hi = math.ceil(xs_max / x_step) * x_step

    def sx(x):
        return left + round(x / x_hi * pw)

    def sy(y):
        return top + ph - round((y - y_lo) / (y_hi - y_lo) * ph)

    # grid and ticks
    v = y_lo
    while v <= y_hi + 1e-9:
        y = sy(v)
        c.line(left, y, left + pw, y, light)
        c.line(left - 5, y, left, y, black)
        lab = fmt_tick(v, y_step)
        c.text(left - 10 - text_width(lab), y - 7, lab, black)
        v += y_step
    v = 0.0
    while v <= x_hi + 1e-9:
        x = sx(v)
        c.line(x, top, x, top + ph, light)
        c.line(x, top + ph, x, top + ph + 5, black)
        lab = fmt_tick(v, x_step)
        c.text(x - text_width(lab) // 2, top + ph + 10, lab, black)
        v += x_step

    # curves: raw per-step loss (light), its moving average (dark), validation points (markers joined by a line)
    k = max(1, len(train_pts) // 100)
    if per_step:
        pts = [(sx(s), sy(y)) for s, y in train_pts]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            c.line(x0, y0, x1, y1, c_train_raw)
        smooth = moving_average([y for _, y in train_pts], k)
        pts = [(sx(s), sy(y)) for (s, _), y in zip(train_pts, smooth)]
    else:
        pts = [(sx(s), sy(y)) for s, y in train_pts]
    for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
        c.line(x0, y0, x1, y1, c_train, width=2)
    vpts = [(sx(s), sy(y)) for s, y in val_pts]
    for (x0, y0), (x1, y1) in zip(vpts, vpts[1:]):
        c.line(x0, y0, x1, y1, c_val, width=2)
    for x, y in vpts:
        c.rect(x - 4, y - 4, x + 4, y + 4, c_val)

    # axes, labels, title, legend
    c.line(left, top, left, top + ph, black, width=2)
    c.line(left, top + ph, left + pw, top + ph, black, width=2)
    xlab = "optimiser step"
    c.text(left + (pw - text_width(xlab)) // 2, height - 28, xlab, black)
    ylab = "loss (nats/token)"
    c.text_vertical(18, top + (ph + text_width(ylab)) // 2, ylab, black)
    c.text(left + (pw - text_width(title)) // 2, 16, title, black)
    lx, ly = left + pw - 410, top + 14
    c.rect(lx - 10, ly - 8, left + pw - 10, ly + 52, (255, 255, 255))
    c.line(lx, ly + 6, lx + 30, ly + 6, c_train, width=2)
    c.text(lx + 40, ly, f"train (per step, {k}-step mean)" if per_step else "train", black)
    c.line(lx, ly + 32, lx + 30, ly + 32, c_val, width=2)
    c.rect(lx + 11, ly + 28, lx + 19, ly + 36, c_val)
    c.text(lx + 40, ly + 26, "validation", black)
    c.write_png(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--gguf", help="a GGUF made by `tokenscope train` (per-step curve)")
    src.add_argument("--log", help="the trainer's progress log")
    ap.add_argument("-o", "--output", default="assets/models/loss.png")
    ap.add_argument("--title", default="default.gguf: loss on the KJV")
    args = ap.parse_args()
    try:
        train_pts, val_pts, per_step = curves_from_gguf(args.gguf) if args.gguf else curves_from_log(args.log)
    except (OSError, ValueError, struct.error) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    plot(train_pts, val_pts, per_step, args.title, args.output)
    last_val = f", last validation {val_pts[-1][1]:.4f} at step {val_pts[-1][0]}" if val_pts else ""
    print(f"wrote {args.output}: {len(train_pts)} training points{last_val}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
