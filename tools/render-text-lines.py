#!/usr/bin/python3
"""Renders seeded single text lines for the PP-OCR recognizer and orientation classifier.

Writes two splits under test/fixtures/data/ (committed; CI never runs this script):
  ocr-lines-calib-100.{json,u8.gz}   calibration lines (words from sotu-calib-32k.txt)
  ocr-lines-test-300.{json,u8.gz}    evaluation lines  (words from sotu-heldout-64k.txt)

Format: <name>.u8.gz is gzip of every line image, one after another, grayscale u8, rows top to
bottom, each `height` x `width` (height = 48, the recognizer's input height; width <= 320, the
recognizer's padded width, so its preprocessing never squashes a line). <name>.json holds
{"height", "lines": [{"text", "width", "font", "size"}]}; a line's pixels start at the sum of
the earlier lines' height*width. Dark text on a light background.

Text: 55% runs of words from the State of the Union text, 30% numbers, dates, amounts and
codes, 15% words mixed with the few non-ASCII characters of the dictionary that the fonts
draw. Every character is checked to be in the PP-OCR dictionary (ppocr_keys_v1.txt, pinned by
tools/fetch-models.mjs; space is the recognizer's extra last class). Fonts: DejaVu and
Liberation (sans, serif, mono, bold, oblique, condensed), sizes 20-44 px, before the scale to
height 48. Seeded (random.Random(seed)); PIL and FreeType versions may move pixels slightly.

usage: /usr/bin/python3 tools/render-text-lines.py [--dict PATH] [--seed 4] [--out test/fixtures/data]
(needs python3-pil, fonts-dejavu-core, fonts-liberation)
"""
import argparse
import gzip
import json
import os
import random
import re
import sys

from PIL import Image, ImageDraw, ImageFilter, ImageFont

HEIGHT, MAX_WIDTH = 48, 320
FONTS = [
    '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
    '/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf',
    '/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf',
    '/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf',
    '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
    '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
    '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
    '/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf',
    '/usr/share/fonts/truetype/liberation/LiberationSerif-Italic.ttf',
    '/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf',
    '/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf',
]
EXTRA = ['°', '±', '×', 'é', '¥', '§', 'ü', 'ä', '—', '“', '”', '·']
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']


def number_text(r):
    kind = r.randrange(8)
    if kind == 0:
        return f'{r.randint(1800, 2030)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}'
    if kind == 1:
        return f'${r.randint(1, 99999):,}.{r.randint(0, 99):02d}'
    if kind == 2:
        return f'No. {r.randint(1, 9999)}'
    if kind == 3:
        return f'{r.randint(0, 23):02d}:{r.randint(0, 59):02d} {r.choice(["AM", "PM"])}'
    if kind == 4:
        return f'{r.randint(100, 999)}-{r.randint(100, 999)}-{r.randint(1000, 9999)}'
    if kind == 5:
        return f'{r.randint(1, 99)}.{r.randint(0, 9)}%'
    if kind == 6:
        letters = ''.join(r.choice('ABCDEFGHJKLMNPQRSTUVWXYZ') for _ in range(r.randint(2, 3)))
        return f'{letters}{r.randint(10, 9999)}'
    return f'{r.randint(1, 28)} {r.choice(MONTHS)} {r.randint(1900, 2030)}'


def word_text(r, words, n):
    start = r.randrange(len(words) - n)
    return ' '.join(words[start:start + n])


def mixed_text(r, words):
    w = word_text(r, words, r.randint(1, 2))
    c = r.choice(EXTRA)
    if c in '°±×':
        return f'{w} {r.randint(1, 360)}{c}' if c == '°' else f'{r.randint(1, 99)} {c} {r.randint(1, 99)} {w}'
    if c in '“”':
        return f'“{w}”'
    if c in '—·':
        return f'{w} {c} {number_text(r)}'
    return f'{w} {c}{r.choice(["a", "ber", "ta", "r"])}'


def render(r, text, font_path, size):
    font = ImageFont.truetype(font_path, size)
    x0, y0, x1, y1 = font.getbbox(text)
    ascent, descent = font.getmetrics()
    mx, my = r.randint(2, 10), r.randint(2, 7)
    w, h = (x1 - x0) + 2 * mx, ascent + descent + 2 * my
    bg, fg = r.randint(200, 255), r.randint(0, 70)
    img = Image.new('L', (w, h), bg)
    ImageDraw.Draw(img).text((mx - x0, my), text, font=font, fill=fg)
    if r.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(r.uniform(0.3, 0.8)))
    width = max(1, round(w * HEIGHT / h))
    return img.resize((width, HEIGHT), Image.BILINEAR)


def split(r, words, count, charset):
    lines, images = [], []
    while len(lines) < count:
        u = r.random()
        text = word_text(r, words, r.randint(1, 4)) if u < 0.55 else number_text(r) if u < 0.85 else mixed_text(r, words)
        text = text.strip(' ,;')
        bad = [c for c in text if c != ' ' and c not in charset]
        if not text or bad:
            continue
        font_path = r.choice(FONTS)
        size = r.choice([20, 24, 28, 32, 36, 44])
        img = render(r, text, font_path, size)
        if img.width > MAX_WIDTH:
            continue  # would be squashed by the recognizer's resize; draw another line
        lines.append({'text': text, 'width': img.width, 'font': os.path.basename(font_path), 'size': size})
        images.append(img.tobytes())
    return lines, b''.join(images)


def main():
    ap = argparse.ArgumentParser()
    cache = os.environ.get('SPARSEC_CACHE') or os.path.join(os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'), 'sparsec')
    ap.add_argument('--dict', default=os.path.join(cache, 'models', 'ppocr_keys_v1.txt'))
    ap.add_argument('--seed', type=int, default=4)
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'data'))
    a = ap.parse_args()
    try:
        charset = set(open(a.dict, encoding='utf-8').read().split('\n'))
    except OSError as e:
        sys.exit(f'render-text-lines: cannot read the dictionary {a.dict} ({e.strerror}); run node tools/fetch-models.mjs first')
    for f in FONTS:
        if not os.path.exists(f):
            sys.exit(f'render-text-lines: font {f} is missing (apt-get install fonts-dejavu-core fonts-dejavu-extra fonts-liberation)')
    r = random.Random(a.seed)
    for name, source, count in [('ocr-lines-calib-100', 'sotu-calib-32k.txt', 100), ('ocr-lines-test-300', 'sotu-heldout-64k.txt', 300)]:
        text = open(os.path.join(a.out, source), encoding='utf-8', errors='replace').read()
        words = [w for w in re.split(r'\s+', text) if w and all(c in charset for c in w)]
        lines, pixels = split(r, words, count, charset)
        with open(os.path.join(a.out, f'{name}.json'), 'w', encoding='utf-8') as f:
            head = {'generator': f'tools/render-text-lines.py --seed {a.seed}', 'height': HEIGHT, 'words': source}
            body = ',\n'.join(json.dumps(l, ensure_ascii=False) for l in lines)
            f.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "lines": [\n' + body + '\n]}\n')
        with open(os.path.join(a.out, f'{name}.u8.gz'), 'wb') as f:
            f.write(gzip.compress(pixels, compresslevel=9, mtime=0))
        print(f'{name}: {len(lines)} lines, {len(pixels)} pixels')


if __name__ == '__main__':
    main()
