#!/bin/sh
# check-plot.sh -- checks that a plot written by `tg train --plot` opens in a
# browser: headless Chromium renders the SVG to a PNG, and the PNG must show
# a drawing (many non-white pixels). It renders a copy without the point
# markers too, which must still show the curves' colours along a line's
# length: markers alone (a curve drawn as no line) do not pass.
#
#   tools/tg/check-plot.sh FILE.svg [OUT.png]
#
# Exit status: 0 the plot renders, 1 it does not, 2 usage or no Chromium
# (Debian: apt-get install chromium).
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 FILE.svg [OUT.png]" >&2
    exit 2
fi
svg=$1
[ -r "$svg" ] || { echo "check-plot: cannot read $svg" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "check-plot: no Chromium found (apt-get install chromium)" >&2; exit 2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
png=${2:-$scratch/plot.png}

# Renders $1 (an SVG file) to the PNG $2. --no-sandbox: Chromium refuses to
# run as root (containers, CI) without it. Its own profile directory keeps a
# run from touching the user's.
render() {
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$scratch/profile" --window-size=900,600 \
        --screenshot="$2" "file://$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" \
        >"$scratch/log" 2>&1 || true
    if [ ! -s "$2" ]; then
        echo "check-plot: Chromium wrote no screenshot of $1:" >&2
        tail -5 "$scratch/log" >&2
        exit 1
    fi
}
render "$svg" "$png"
# plot.c writes each marker as a <circle> on a line of its own
sed '/<circle /d' "$svg" >"$scratch/lines.svg"
render "$scratch/lines.svg" "$scratch/lines.png"

# Decodes the PNG with the standard library only (8-bit RGB or RGBA, not
# interlaced: what Chromium writes) and counts the pixels.
python3 - "$png" "$scratch/lines.png" <<'EOF'
import struct, sys, zlib

def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("check-plot: the screenshot is not a PNG")
    pos, chunks = 8, {}
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunks.setdefault(kind, []).append(data[pos + 8:pos + 8 + length])
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    if depth != 8 or colour not in (2, 6) or interlace:
        sys.exit("check-plot: unexpected PNG format (depth %d, colour type %d)" % (depth, colour))
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b"".join(chunks[b"IDAT"]))
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            line[i] = (line[i] + (0, left, up, (left + up) // 2, paeth(left, up, corner))[kind]) & 255
        rows.append(line)
        previous = line
    return width, height, channels, rows

def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c

def count(path):
    """(width, height, drawn pixels, pixels in the curves' colours)"""
    width, height, channels, rows = decode(path)
    inked = coloured = 0
    for line in rows:
        for i in range(0, width * channels, channels):
            r, g, b = line[i], line[i + 1], line[i + 2]
            inked += min(r, g, b) < 200
            coloured += max(r, g, b) - min(r, g, b) > 80  # the blue and orange curves
    return width, height, inked, coloured

width, height, inked, _ = count(sys.argv[1])
_, _, _, in_lines = count(sys.argv[2])
total = width * height
print("check-plot: %dx%d screenshot, %d drawn pixels (%.1f%%), %d in the curves' colours "
      "without the markers" % (width, height, inked, 100.0 * inked / total, in_lines))
# A 2-pixel line across a third of the plot's width gives over 1,000; the
# legend's colour samples give under 100 each.
if inked < total // 200:
    sys.exit("check-plot: the screenshot is blank")
if in_lines < 600:
    sys.exit("check-plot: the screenshot shows no curves")
EOF
