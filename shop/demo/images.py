"""Product images drawn with Pillow (nothing is downloaded): a shape on the product's
colour, its name written below.
"""

import colorsys
import hashlib
import io

from PIL import Image, ImageDraw, ImageFont

IMAGE_SIZE = 600


COLOURS = {
    "Forest green": (46, 94, 62), "Sand": (205, 186, 150), "Orange": (226, 112, 40),
    "Slate": (92, 105, 120), "Red plaid": (170, 40, 45), "Blue plaid": (45, 75, 140),
    "Charcoal": (60, 62, 66), "Rust": (176, 84, 44), "Lake blue": (42, 110, 160),
    "Moss": (110, 128, 64), "Black": (30, 30, 32), "Yellow": (240, 196, 40),
    "Navy": (32, 44, 84), "Heather grey": (150, 150, 155), "White": (238, 238, 232),
    "Olive": (110, 112, 60), "Sage": (150, 170, 140), "Plum": (110, 50, 90),
    "Clay": (190, 120, 95), "Sky": (120, 180, 225), "Coral": (240, 120, 100),
    "Teal": (30, 120, 125), "Burgundy": (120, 30, 50), "Oatmeal": (215, 200, 175),
    "Red": (200, 40, 40), "Pink": (235, 140, 175), "Matte black": (40, 40, 40),
    "Cherry red": (180, 30, 40), "Cream": (240, 228, 200), "Speckled white": (230, 226, 215),
    "White with blue rim": (235, 240, 245), "Cream stripe": (236, 224, 196),
    "Red stripe": (190, 45, 45), "Grey plaid": (120, 124, 130),
}  # fmt: skip


def name_colour(text: str) -> tuple[int, int, int]:
    """A pleasant colour that depends only on the text."""
    digest = hashlib.sha256(text.encode()).digest()
    hue = digest[0] / 255
    r, g, b = colorsys.hls_to_rgb(hue, 0.42, 0.45)
    return int(r * 255), int(g * 255), int(b * 255)


def _mix(colour, other, amount: float) -> tuple[int, int, int]:
    return tuple(int(c + (o - c) * amount) for c, o in zip(colour, other, strict=True))


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, fill, outline) -> None:
    """A simple picture of the category's goods, in the middle of the image."""
    w = dict(fill=fill, outline=outline, width=6)
    if shape == "tent":
        draw.polygon([(300, 90), (520, 400), (80, 400)], **w)
        draw.polygon([(300, 200), (360, 400), (240, 400)], fill=outline)
    elif shape == "bag":
        draw.rounded_rectangle((170, 80, 430, 420), radius=110, **w)
        draw.ellipse((220, 110, 380, 210), fill=_mix(fill, (255, 255, 255), 0.4), outline=outline)
    elif shape == "pack":
        draw.rounded_rectangle((170, 110, 430, 420), radius=50, **w)
        draw.rounded_rectangle((170, 90, 430, 200), radius=40, **w)
        draw.rectangle((240, 270, 360, 360), outline=outline, width=5)
    elif shape == "lamp":
        draw.rectangle((250, 110, 350, 140), fill=outline)
        draw.rounded_rectangle((210, 140, 390, 380), radius=30, **w)
        draw.ellipse((255, 200, 345, 320), fill=(255, 236, 150))
        draw.rectangle((220, 380, 380, 410), fill=outline)
    elif shape in ("tee", "jacket"):
        body = [(210, 110), (390, 110), (500, 190), (450, 250), (400, 215), (400, 420),
                (200, 420), (200, 215), (150, 250), (100, 190)]  # fmt: skip
        if shape == "jacket":
            body[3:5] = [(460, 330), (410, 330)]
            body[7:9] = [(190, 330), (140, 330)]
        draw.polygon(body, **w)
        draw.arc((255, 80, 345, 150), 0, 180, fill=outline, width=6)
        if shape == "jacket":
            draw.line((300, 150, 300, 420), fill=outline, width=5)
    elif shape == "coffee":
        draw.polygon([(190, 140), (410, 140), (430, 420), (170, 420)], **w)
        draw.rectangle((190, 100, 410, 140), fill=outline)
        for x, y in ((260, 260), (340, 300), (290, 350)):
            draw.ellipse((x - 28, y - 18, x + 28, y + 18), fill=(92, 58, 36))
    elif shape == "pan":
        draw.ellipse((110, 150, 410, 410), **w)
        draw.ellipse((150, 190, 370, 370), fill=_mix(fill, (0, 0, 0), 0.25))
        draw.rounded_rectangle((400, 255, 540, 300), radius=20, fill=outline)
    elif shape == "mug":
        draw.rounded_rectangle((170, 140, 390, 410), radius=30, **w)
        draw.arc((330, 200, 470, 350), 270, 90, fill=outline, width=22)
    elif shape == "blanket":
        draw.rounded_rectangle((120, 130, 480, 400), radius=20, **w)
        for y in (190, 260, 330):
            draw.line((120, y, 480, y), fill=_mix(fill, (255, 255, 255), 0.5), width=14)
    elif shape == "candle":
        draw.rounded_rectangle((220, 200, 380, 420), radius=16, **w)
        draw.line((300, 200, 300, 165), fill=outline, width=5)
        draw.ellipse((280, 100, 320, 170), fill=(255, 190, 60))
    elif shape == "book":
        draw.rectangle((160, 90, 440, 420), **w)
        draw.rectangle((160, 90, 200, 420), fill=outline)
        draw.rectangle((230, 140, 410, 200), fill=_mix(fill, (255, 255, 255), 0.6))
    else:
        draw.rounded_rectangle((150, 120, 450, 400), radius=24, **w)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def product_image(name: str, shape: str, colour: tuple[int, int, int], caption: str = "") -> bytes:
    """A 600x600 PNG: a tinted background, the category's shape and the product name."""
    background = _mix(colour, (250, 248, 244), 0.85)
    image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), background)
    draw = ImageDraw.Draw(image)
    outline = _mix(colour, (0, 0, 0), 0.55)
    _draw_shape(draw, shape, colour, outline)
    font = ImageFont.load_default(size=34)
    small = ImageFont.load_default(size=24)
    lines = _wrap(draw, name, font, IMAGE_SIZE - 60)[:2]
    y = 445 if len(lines) == 2 else 465
    for line in lines:
        draw.text((IMAGE_SIZE / 2, y), line, font=font, fill=(40, 38, 36), anchor="ma")
        y += 42
    if caption:
        draw.text((IMAGE_SIZE / 2, y + 4), caption, font=small, fill=(90, 88, 84), anchor="ma")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
