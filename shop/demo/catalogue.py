"""The demo's catalogue: categories, products and their variants, as fixed data, and
how they are made through the catalogue and inventory services (every opening stock is
an INITIAL stock movement, so on_hand equals the sum of movements).
"""

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from shop.catalogue.models import Category
from shop.catalogue.services import add_image, save_category
from shop.demo.images import COLOURS, name_colour, product_image
from shop.extensions import db
from shop.inventory.variants import save_variant
from shop.tax.data import CHILDRENS_CLOTHING, PRINTED_BOOKS


@dataclass(frozen=True)
class Cat:
    key: str
    name: str
    parent: str | None
    description: str
    shape: str = "box"  # what the product images of this category show
    supplier: str | None = None
    bin_aisle: str = "A"
    slug: str | None = None  # when the name alone would not make a clear address


# key, name, parent key, description, then for leaf categories: image shape,
# supplier key, warehouse aisle and (for the three "T-shirts") a clearer slug.
CATEGORIES = [
    Cat("outdoor", "Outdoor", None,
        "Tents, sleeping bags, packs and light for the trail and the campsite."),
    Cat("tents", "Tents", "outdoor",
        "Backpacking and family tents, tested in Ontario rain.", "tent", "trail", "A"),
    Cat("sleeping-bags", "Sleeping bags", "outdoor",
        "Down and synthetic bags, and pads to sleep warm on.", "bag", "trail", "A"),
    Cat("backpacks", "Backpacks", "outdoor",
        "Daypacks, trekking packs and portage packs.", "pack", "trail", "B"),
    Cat("camp-lighting", "Camp lighting", "outdoor",
        "Headlamps, lanterns and lights for the campsite.", "lamp", "trail", "B"),
    Cat("clothing", "Clothing", None,
        "Layers for men, women and kids, from merino tees to down."),
    Cat("men", "Men", "clothing", "Tees and jackets for men."),
    Cat("women", "Women", "clothing", "Tees and jackets for women."),
    Cat("kids", "Kids", "clothing",
        "Clothing that survives puddles, snow forts and growth spurts."),
    Cat("men-tees", "T-shirts", "men",
        "Merino and organic cotton tees.", "tee", "cotton", "C", "men-t-shirts"),
    Cat("men-jackets", "Jackets", "men",
        "Rain shells, down and waxed canvas.", "jacket", "outer", "D", "men-jackets"),
    Cat("women-tees", "T-shirts", "women",
        "Merino, linen and sun tees.", "tee", "cotton", "C", "women-t-shirts"),
    Cat("women-jackets", "Jackets", "women",
        "Rain shells, parkas and fleece.", "jacket", "outer", "D", "women-jackets"),
    Cat("kids-tees", "T-shirts", "kids",
        "Soft tees in kids' sizes.", "tee", "cotton", "C", "kids-t-shirts"),
    Cat("kids-jackets", "Jackets", "kids",
        "Rain and snow jackets for kids.", "jacket", "outer", "D", "kids-jackets"),
    Cat("kitchen", "Kitchen", None, "Coffee, cookware and tableware for home and camp."),
    Cat("coffee", "Coffee", "kitchen",
        "Beans roasted in the Kawarthas, and gear to brew them.", "coffee", "coffee", "E"),
    Cat("cookware", "Cookware", "kitchen",
        "Cast iron, enamel and stainless steel.", "pan", "house", "E"),
    Cat("tableware", "Tableware", "kitchen",
        "Mugs and boards for the table.", "mug", "house", "F"),
    Cat("home", "Home", None, "Wool, flannel and candlelight for the cabin."),
    Cat("blankets", "Blankets & bedding", "home",
        "Wool throws and flannel sheets.", "blanket", "wool", "G"),
    Cat("candles", "Candles", "home",
        "Soy and beeswax candles poured in small batches.", "candle", "house", "G"),
    Cat("books", "Books", None, "Field guides, trip guides and cookbooks."),
    Cat("field-guides", "Field guides", "books",
        "Know what you are looking at.", "book", "press", "H"),
    Cat("cookbooks", "Cookbooks", "books",
        "Recipes for the campfire and the kitchen.", "book", "press", "H"),
]  # fmt: skip


@dataclass(frozen=True)
class Item:
    """One product of the demo catalogue; its variants are every option combination."""

    category: str
    code: str  # SKU prefix
    name: str
    price: int  # cents, for the first option values
    description: str
    weight_g: int
    dims_mm: tuple[int, int, int]
    option1: tuple[str, list[str]] | None = None
    option2: tuple[str, list[str]] | None = None
    # option value -> (extra price in cents, extra weight in grams)
    extra: dict[str, tuple[int, int]] = field(default_factory=dict)
    tax: str = "standard"
    supplier: str | None = None  # else the category's
    backorderable: bool = True


# The tax classes of books and of children's sizes (shop/tax/data.py says why).
BOOK, KIDS = PRINTED_BOOKS, CHILDRENS_CLOTHING

SIZES = ["S", "M", "L", "XL"]
W_SIZES = ["XS", "S", "M", "L", "XL"]
TODDLER = ["2T", "3T", "4T", "5", "6"]
YOUTH = ["4", "6", "8", "10", "12"]
COFFEE_BAGS = {"1 kg": (2550, 680)}

ITEMS = [
    # --- tents
    Item("tents", "TNT-RL2", "Ridgeline 2 Backpacking Tent", 34900,
         "A two-person, three-season tent with two doors and two vestibules. Colour-coded "
         "clips and a single hubbed pole pitch it in five minutes, and the 20D ripstop fly "
         "sheds a downpour. Packed weight 1.85 kg.",
         1850, (480, 160, 160), ("Colour", ["Forest green", "Sand"])),
    Item("tents", "TNT-RL3", "Ridgeline 3 Backpacking Tent", 42900,
         "Room for three, or two and a dog. The same fast pitch as the Ridgeline 2 with a "
         "taller peak and a larger floor (218 x 178 cm). Packed weight 2.3 kg.",
         2300, (510, 180, 180), ("Colour", ["Forest green", "Sand"])),
    Item("tents", "TNT-LS4", "Lakeshore 4 Family Tent", 54900,
         "A cabin-style four-person tent for car camping: near-vertical walls, 195 cm of "
         "headroom, a screened porch and a full-coverage fly with welded seams.",
         6200, (650, 250, 250)),
    Item("tents", "TNT-SB1", "Summit Solo Bivy", 21900,
         "A hooped bivy for one, with a waterproof-breathable upper and a bathtub floor. "
         "For fast trips where every gram counts.",
         950, (380, 130, 130), ("Colour", ["Orange", "Slate"])),
    # --- sleeping bags
    Item("sleeping-bags", "BAG-BOR", "Boreal -7°C Down Sleeping Bag", 38900,
         "650-fill responsibly sourced down in a mummy cut, a draft collar and an anti-snag "
         "zip. Comfort rating -1 °C, limit -7 °C. Stuff sack and storage sack included.",
         1200, (420, 240, 240), ("Length", ["Regular", "Long"]), ("Zip", ["Left", "Right"]),
         extra={"Long": (3000, 90)}),
    Item("sleeping-bags", "BAG-POR", "Portage 0°C Synthetic Sleeping Bag", 16900,
         "A synthetic bag that keeps its loft when the canoe trip gets wet. Comfort rating "
         "5 °C, limit 0 °C.",
         1650, (450, 260, 260), ("Length", ["Regular", "Long"]), extra={"Long": (2000, 120)}),
    Item("sleeping-bags", "BAG-CAB", "Cabin Flannel Sleeping Bag", 9900,
         "A rectangular bag lined with cotton flannel for the cottage, the bunkie and "
         "summer car camping. Unzips flat into a quilt.",
         2400, (480, 300, 300), ("Colour", ["Red plaid", "Blue plaid"])),
    Item("sleeping-bags", "PAD-SI", "Self-Inflating Sleeping Pad", 12900,
         "Open the valve and it inflates itself; 5 cm of foam and air, R-value 4.2. "
         "Repair kit included.",
         900, (560, 180, 180), ("Size", ["Regular", "Wide"]), extra={"Wide": (2000, 250)}),
    # --- backpacks
    Item("backpacks", "PK-MK28", "Muskoka 28 Daypack", 11900,
         "A 28 L daypack with a padded laptop sleeve, side bottle pockets and a stretch "
         "front pocket for a rain shell.",
         850, (480, 300, 200), ("Colour", ["Charcoal", "Rust", "Lake blue"])),
    Item("backpacks", "PK-AL55", "Algonquin 55 Trekking Pack", 27900,
         "A 55 L pack for trips of three to five days, with an adjustable back length, a "
         "ventilated mesh back panel and a removable lid that becomes a hip pack.",
         1700, (700, 340, 260), ("Size", ["S/M", "M/L"]), ("Colour", ["Charcoal", "Moss"]),
         extra={"M/L": (0, 60)}),
    Item("backpacks", "PK-CP70", "Canoe Portage Pack 70 L", 22900,
         "A waterproof roll-top portage pack with a tumpline and a padded harness. Welded "
         "seams: it floats if it goes over. Small-batch run, so no backorders.",
         1400, (750, 380, 300), backorderable=False),
    Item("backpacks", "PK-TRV8", "Trail Running Vest 8 L", 13900,
         "A close-fitting running vest with two soft flasks, a bladder sleeve and pole "
         "loops.",
         260, (300, 220, 60), ("Size", ["S", "M", "L"])),
    # --- lighting
    Item("camp-lighting", "LT-LUM4", "Lumen 400 Rechargeable Headlamp", 5900,
         "400 lumens, a red night mode and a lock so it does not switch on in the pack. "
         "USB-C charging; 40 hours on low.",
         90, (110, 80, 60), ("Colour", ["Black", "Yellow"])),
    Item("camp-lighting", "LT-CLAN", "Campsite Lantern", 4900,
         "A dimmable 500-lumen LED lantern with a hanging hook and a power bank to charge a "
         "phone.",
         320, (190, 110, 110)),
    Item("camp-lighting", "LT-SOL5", "Solar String Lights, 5 m", 3400,
         "Ten warm-white LED bulbs on 5 m of cord, charged by a small solar panel. "
         "End-of-season stock: when it is gone, it is gone.",
         210, (150, 150, 70), backorderable=False),
    # --- men's tees
    Item("men-tees", "MT-MER", "Men's Merino Crew Tee", 7900,
         "150 g/m² New Zealand merino that stays fresh for days on trail. Flatlock seams, a "
         "regular fit and a slightly longer back.",
         180, (300, 250, 30), ("Size", SIZES), ("Colour", ["Charcoal", "Navy", "Heather grey"])),
    Item("men-tees", "MT-ORG", "Men's Organic Cotton Pocket Tee", 3200,
         "Heavyweight organic cotton jersey with a chest pocket, knit in Quebec.",
         220, (300, 250, 30), ("Size", SIZES + ["XXL"]), ("Colour", ["White", "Black", "Olive"]),
         extra={"XXL": (400, 20)}),
    Item("men-tees", "MT-CCG", "Canoe Club Graphic Tee", 3600,
         "A soft cotton-blend tee with a screen-printed paddle club crest.",
         200, (300, 250, 30), ("Size", SIZES), ("Colour", ["Sand", "Slate"])),
    # --- men's jackets
    Item("men-jackets", "MJ-GBR", "Men's Georgian Bay Rain Shell", 22900,
         "A 2.5-layer waterproof-breathable shell (20,000 mm) with pit zips, a helmet-"
         "compatible hood and taped seams. Packs into its own pocket.",
         380, (350, 280, 60), ("Size", SIZES), ("Colour", ["Black", "Lake blue"])),
    Item("men-jackets", "MJ-TAM", "Men's Tamarack Down Jacket", 28900,
         "700-fill down in a box-baffled jacket with a water-repellent shell, for cold "
         "mornings at camp and in the city.",
         520, (380, 300, 90), ("Size", SIZES), ("Colour", ["Black", "Rust"])),
    Item("men-jackets", "MJ-WAX", "Waxed Canvas Field Jacket", 24900,
         "Waxed cotton canvas with a corduroy collar and four bellows pockets. Made in "
         "small runs by a workshop in Winnipeg, so it cannot be backordered.",
         1300, (400, 320, 80), ("Size", ["M", "L", "XL"]), backorderable=False),
    # --- women's tees
    Item("women-tees", "WT-MER", "Women's Merino Crew Tee", 7900,
         "150 g/m² merino with a shaped, drapey fit and flatlock seams that do not rub "
         "under a pack.",
         160, (300, 250, 30), ("Size", W_SIZES), ("Colour", ["Charcoal", "Sage", "Plum"])),
    Item("women-tees", "WT-LIN", "Relaxed Linen Tee", 4500,
         "Stonewashed European linen in a relaxed boxy cut: cool on the hottest dock day.",
         150, (300, 250, 30), ("Size", W_SIZES[:4]), ("Colour", ["White", "Clay"])),
    Item("women-tees", "WT-SUN", "Long Sleeve Sun Tee UPF 50", 5500,
         "A light, quick-drying long-sleeve tee with UPF 50 sun protection and thumb loops.",
         170, (300, 250, 30), ("Size", W_SIZES), ("Colour", ["Sky", "Coral"])),
    # --- women's jackets
    Item("women-jackets", "WJ-GBR", "Women's Georgian Bay Rain Shell", 22900,
         "A 2.5-layer waterproof-breathable shell (20,000 mm) with pit zips, an adjustable "
         "hood and a drop hem.",
         350, (350, 280, 60), ("Size", W_SIZES), ("Colour", ["Black", "Teal"])),
    Item("women-jackets", "WJ-TAM", "Women's Tamarack Down Parka", 33900,
         "A thigh-length 700-fill down parka with a two-way zip and a removable faux-fur "
         "ruff, rated for -25 °C city winters.",
         900, (420, 340, 110), ("Size", W_SIZES), ("Colour", ["Black", "Burgundy"])),
    Item("women-jackets", "WJ-FLC", "Fleece Quarter-Zip", 8900,
         "A midweight recycled fleece pullover with a zipped chest pocket.",
         340, (320, 260, 60), ("Size", W_SIZES[:4]), ("Colour", ["Oatmeal", "Forest green"])),
    # --- kids
    Item("kids-tees", "KT-EXP", "Little Explorer Tee", 2200,
         "Soft organic cotton with a hand-drawn compass on the front. Tag-free.",
         90, (220, 180, 20), ("Size", TODDLER), ("Colour", ["Yellow", "Sky"]), tax=KIDS),
    Item("kids-tees", "KT-GLW", "Glow-in-the-Dark Constellation Tee", 2600,
         "The Big Dipper, Orion and Cassiopeia, printed in ink that glows after lights out.",
         100, (240, 190, 20), ("Size", YOUTH), ("Colour", ["Navy"]), tax=KIDS),
    Item("kids-jackets", "KJ-PUD", "Puddle Jumper Rain Jacket", 6900,
         "A fully waterproof jacket with a snap-off hood, reflective trim and room to grow "
         "in the sleeves.",
         280, (280, 220, 50), ("Size", TODDLER), ("Colour", ["Red", "Yellow"]), tax=KIDS),
    Item("kids-jackets", "KJ-SNW", "Snowfort Insulated Jacket", 11900,
         "A warm, insulated winter jacket with a powder skirt, mitten clips and reflective "
         "piping.",
         600, (340, 260, 80), ("Size", YOUTH), ("Colour", ["Navy", "Pink"]), tax=KIDS),
    # --- coffee (basic groceries are zero-rated in Canada; gear is not)
    Item("coffee", "CF-MPM", "Morning Portage Medium Roast", 1850,
         "Colombian and Brazilian beans roasted to a medium brown: milk chocolate, toasted "
         "almond and a clean finish. Roasted to order in Peterborough.",
         380, (200, 120, 70), ("Size", ["340 g", "1 kg"]), ("Grind", ["Whole bean", "Ground"]),
         extra=COFFEE_BAGS, tax="zero-rated"),
    Item("coffee", "CF-DSE", "Dark Shield Espresso Roast", 1950,
         "A dark espresso blend with notes of dark chocolate, molasses and smoke. Pulls "
         "a thick crema.",
         380, (200, 120, 70), ("Size", ["340 g", "1 kg"]),
         ("Grind", ["Whole bean", "Espresso grind"]), extra=COFFEE_BAGS, tax="zero-rated"),
    Item("coffee", "CF-ETH", "Ethiopia Yirgacheffe Single Origin", 2400,
         "A washed light roast from the Gedeo zone: jasmine, bergamot and lemon. Best as "
         "pour-over.",
         380, (200, 120, 70), ("Size", ["340 g"]), ("Grind", ["Whole bean", "Ground"]),
         tax="zero-rated"),
    Item("coffee", "CF-DEC", "Swiss Water Decaf", 2000,
         "Decaffeinated without chemicals by the Swiss Water process in Burnaby; caramel "
         "and cocoa, 99.9% caffeine-free.",
         380, (200, 120, 70), ("Size", ["340 g"]), ("Grind", ["Whole bean", "Ground"]),
         tax="zero-rated"),
    Item("coffee", "CG-POUR", "Pour-Over Dripper Set", 4200,
         "A ceramic cone dripper, a glass carafe and 100 filters. Brews one to four cups.",
         900, (220, 160, 160), ("Colour", ["White", "Matte black"]), supplier="house"),
    Item("coffee", "CG-FP1", "Stainless Steel French Press 1 L", 6400,
         "Double-walled stainless steel keeps coffee hot for an hour and does not break in "
         "the canoe barrel.",
         780, (220, 150, 150), supplier="house"),
    # --- cookware
    Item("cookware", "CK-CIS", "Pre-Seasoned Cast Iron Skillet", 3900,
         "A skillet for the stove, the oven and the fire pit. Seasoned with flaxseed oil "
         "and ready to use.",
         1900, (360, 210, 50), ("Size", ["20 cm", "25 cm", "30 cm"]),
         extra={"25 cm": (1000, 800), "30 cm": (2000, 1700)}),
    Item("cookware", "CK-DUT", "Enamelled Dutch Oven 5.5 L", 18900,
         "Enamelled cast iron for stews, bread and braises. Oven-safe to 260 °C.",
         5400, (340, 290, 190), ("Colour", ["Cherry red", "Lake blue", "Cream"])),
    Item("cookware", "CK-CMP4", "Camp Cook Set, 4-Piece", 7900,
         "Two hard-anodized pots, a frying pan and a lid that nest into one stuff sack, "
         "with room for a small canister stove inside.",
         640, (190, 190, 140)),
    Item("cookware", "CK-SAU", "Tri-Ply Stainless Saucepan", 8900,
         "Tri-ply stainless steel with an aluminium core that heats evenly on gas and "
         "induction.",
         1100, (380, 200, 110), ("Size", ["1.5 L", "2.8 L"]), extra={"2.8 L": (2000, 400)}),
    # --- tableware
    Item("tableware", "TW-MUG2", "Stoneware Mug, Set of 2", 3600,
         "Two hand-glazed 350 ml stoneware mugs, thrown in a studio in Nova Scotia.",
         900, (200, 110, 110), ("Colour", ["Speckled white", "Moss", "Charcoal"])),
    Item("tableware", "TW-ENM", "Enamel Camp Mug", 1600,
         "The classic enamelled steel camp mug, 350 ml. Goes on the stove, in the pack and "
         "on the dock.",
         180, (110, 90, 90), ("Colour", ["White with blue rim", "Forest green", "Red"])),
    Item("tableware", "TW-MSB", "Maple Serving Board", 5800,
         "Hard maple from Eastern Ontario, oiled and finished by hand. Each board is one "
         "of a kind, so we sell only what is on the shelf.",
         1200, (450, 250, 20), ("Size", ["Medium", "Large"]), extra={"Large": (2400, 600)},
         backorderable=False),
    # --- home
    Item("blankets", "BL-HWT", "Hudson Wool Throw", 14900,
         "A heavy throw of 100% Canadian wool with classic stripes, woven in Quebec. "
         "130 x 180 cm.",
         1500, (400, 300, 120), ("Colour", ["Cream stripe", "Red stripe"])),
    Item("blankets", "BL-FLN", "Cabin Plaid Flannel Sheet Set", 11900,
         "Brushed cotton flannel sheets: a fitted sheet, a flat sheet and two pillowcases.",
         1800, (400, 320, 100), ("Size", ["Twin", "Queen", "King"]),
         ("Colour", ["Red plaid", "Grey plaid"]),
         extra={"Queen": (2000, 300), "King": (3000, 500)}),
    Item("candles", "CN-CMP", "Campfire Soy Candle", 2800,
         "A 240 g soy wax candle with a crackling wooden wick. About 50 hours of burn time.",
         420, (100, 100, 110), ("Scent", ["Cedar & smoke", "Balsam fir", "Wild blueberry"])),
    Item("candles", "CN-BEE", "Beeswax Taper Candles, Pair", 1800,
         "Two hand-dipped 25 cm tapers of pure Ontario beeswax. Dripless and slow-burning; "
         "made in small batches by a local apiary.",
         160, (260, 60, 30), backorderable=False),
    # --- books
    Item("field-guides", "BK-BIRD", "Birds of Ontario Field Guide", 2995,
         "Over 300 species with range maps, colour photographs and song descriptions. "
         "Flexibound, 384 pages.",
         620, (210, 130, 25), tax=BOOK),
    Item("field-guides", "BK-MUSH", "Mushrooms of Canada Field Guide", 3495,
         "How to identify 400 mushrooms, and which ones never to eat. Flexibound, 448 pages.",
         700, (210, 130, 28), tax=BOOK),
    Item("field-guides", "BK-PADL", "Paddling Ontario's Rivers", 2795,
         "Thirty river trips with maps, portages, rapids classes and campsites. Paperback, "
         "256 pages.",
         480, (230, 150, 18), tax=BOOK),
    Item("cookbooks", "BK-CCK", "Camp Cooking: 100 Recipes for the Fire", 3200,
         "From bannock to cast-iron pizza: one-pot meals for the backcountry and feasts for "
         "the campsite. Hardcover, 224 pages.",
         850, (240, 200, 22), tax=BOOK),
    Item("cookbooks", "BK-ROAS", "The Coffee Roaster's Handbook", 3800,
         "Roast coffee at home in a pan, a popcorn popper or a drum. Hardcover, 192 pages.",
         760, (235, 190, 20), tax=BOOK),
]  # fmt: skip

# Colour names used above -> RGB. Other products get a colour from their name.


# --- small pure helpers ----------------------------------------------------------------


def ean13(first12: str) -> str:
    """The 13-digit EAN with its check digit."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError("an EAN-13 starts with 12 digits")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def option_code(value: str) -> str:
    """A short SKU part for an option value: 'M' -> 'M', 'Forest green' -> 'FG'."""
    words = re.findall(r"[A-Za-z0-9]+", value)
    if words[0].isdigit():  # a measure: '340 g' -> '340G', '2.8 L' -> '28L'
        return "".join(words).upper()
    if len(words) == 1:
        word = words[0].upper()
        return word if len(word) <= 4 else word[:3]
    return "".join(w[0] for w in words).upper()[:4]


def seed_categories() -> dict[str, Category]:
    made: dict[str, Category] = {}
    for position, cat in enumerate(CATEGORIES):
        parent = made[cat.parent].id if cat.parent else None
        category = save_category(
            name=cat.name, parent_id=parent, description=cat.description, position=position
        )
        if cat.slug and category.slug != cat.slug:
            # "T-shirts" appears under Men, Women and Kids: give each a clear address.
            taken = db.session.scalar(sa.select(Category.id).where(Category.slug == cat.slug))
            if taken is None:
                category.slug = cat.slug
                db.session.flush()
        made[cat.key] = category
    return made


def seed_variant(
    rng, item: Item, product, index: int, value1, value2, tax_class, supplier, bin_location: str,
    barcode_no: int,
) -> int:  # fmt: skip
    extra_price = sum(item.extra.get(v, (0, 0))[0] for v in (value1, value2) if v)
    extra_weight = sum(item.extra.get(v, (0, 0))[1] for v in (value1, value2) if v)
    price = item.price + extra_price
    # Costs between 42% and 58% of the price, to the cent.
    cost = round(price * rng.uniform(0.42, 0.58))
    roll = rng.random()
    if roll < 0.09:
        stock = 0
    elif roll < 0.2:
        stock = rng.randint(1, 5)
    else:
        stock = rng.randint(8, 60 if item.price < 10000 else 30)
    reorder_point = rng.choice([3, 4, 5, 6, 8, 10])
    sku_parts = [item.code] + [option_code(v) for v in (value1, value2) if v]
    save_variant(
        product=product,
        data={
            "sku": "-".join(sku_parts),
            "option1": value1,
            "option2": value2,
            "price": price,
            "cost": cost,
            "weight_g": item.weight_g + extra_weight,
            "length_mm": item.dims_mm[0],
            "width_mm": item.dims_mm[1],
            "height_mm": item.dims_mm[2],
            "tax_class_id": tax_class.id,
            "barcode": ean13(f"7551234{barcode_no:05d}"),
            "is_active": True,
            "position": index,
            "reorder_point": reorder_point,
            "reorder_quantity": reorder_point * rng.choice([2, 3, 4]),
            "supplier_id": supplier.id,
            # Mostly the supplier's lead time; now and then a slower item.
            "lead_time_days": supplier.lead_time_days + 7 if rng.random() < 0.1 else None,
            "bin_location": bin_location,
        },
        opening_stock=stock,
    )
    return stock


def seed_images(item: Item, product, shape: str, written: list[str]) -> int:
    """One image per colour when the product comes in colours, each shown by the variants
    of its colour; else one."""
    colour_option = next(
        (opt for opt in (item.option1, item.option2) if opt and opt[0] == "Colour"), None
    )
    if colour_option is None:
        pictures = [(name_colour(item.name), "", item.name)]
    else:
        pictures = [
            (COLOURS.get(value) or name_colour(value), value, f"{item.name} in {value.lower()}")
            for value in colour_option[1]
        ]
    for colour, caption, alt in pictures:
        image = add_image(
            product=product, data=product_image(item.name, shape, colour, caption), alt=alt
        )
        written.append(image.filename)
        for variant in product.variants:
            if caption and caption in (variant.option1, variant.option2):
                variant.image_id = image.id
    return len(pictures)
