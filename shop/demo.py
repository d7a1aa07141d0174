"""The demo store that `flask seed-demo` builds: a catalogue a person would believe.

Everything goes through the catalogue, inventory and accounts services, so
every opening stock is an INITIAL stock movement and on_hand equals the sum
of movements. The data is fixed and the random choices (stock, costs, bins)
come from random.Random(seed): the same seed builds the same store.
Product images are drawn here with Pillow; nothing is downloaded.
"""

import colorsys
import hashlib
import io
import itertools
import random
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont

from shop.accounting.services import seed_chart
from shop.accounts import roles, second_factor
from shop.accounts.services import create_user, find_user_by_email, save_address
from shop.catalogue.models import Category, Product
from shop.catalogue.services import add_image, save_category, save_product
from shop.extensions import db
from shop.inventory.variants import save_variant
from shop.links import public_url
from shop.media import delete_image
from shop.payables.demo_bills import seed_bills
from shop.purchasing.models import Supplier
from shop.shipping.services import seed_canada_post
from shop.store_details.services import store_settings
from shop.tax.data import CHILDRENS_CLOTHING, PRINTED_BOOKS
from shop.tax.services import ensure_tax_classes, seed_canadian_rates

DEFAULT_SEED = 2024
IMAGE_SIZE = 600

# key: (name, email, phone, lead time in days)
SUPPLIERS = {
    "trail": ("Northern Trail Gear Co.", "orders@northerntrail.example", "604-555-0142", 21),
    "cotton": ("Prairie Cotton Mills", "sales@prairiecotton.example", "306-555-0178", 10),
    "outer": ("Cascade Outerwear Ltd.", "wholesale@cascadeouter.example", "250-555-0119", 30),
    "coffee": ("Kawartha Coffee Roasters", "trade@kawarthacoffee.example", "705-555-0163", 5),
    "house": ("Great Lakes Housewares", "orders@greatlakeshw.example", "416-555-0127", 14),
    "wool": ("Laurentian Woollen Mills", "ventes@laurentianwool.example", "819-555-0184", 28),
    "press": ("Cedar Press Distribution", "orders@cedarpress.example", "613-555-0190", 7),
}

# Where each supplier charges sales tax from (its bills' tax is checked at these rates).
SUPPLIER_PROVINCES = {
    "trail": "BC", "cotton": "SK", "outer": "BC", "coffee": "ON", "house": "ON", "wool": "QC",
    "press": "ON",
}  # fmt: skip

STAFF_PASSWORD = "maple-pine-demo"
CUSTOMER_PASSWORD = "camping-2024!"
# (role, email, name, password)
ACCOUNTS = [
    (roles.OWNER, "owner@example.com", "Olivia Owner", STAFF_PASSWORD),
    (roles.BOOKKEEPER, "books@example.com", "Ben Bookkeeper", STAFF_PASSWORD),
    (roles.SALES, "sales@example.com", "Sam Sales", STAFF_PASSWORD),
    (roles.WAREHOUSE, "warehouse@example.com", "Wes Warehouse", STAFF_PASSWORD),
    (roles.CUSTOMER, "carla@example.com", "Carla Customer", CUSTOMER_PASSWORD),
]
CUSTOMER_ADDRESS = {
    "full_name": "Carla Customer",
    "company": "",
    "line1": "12 Queen St W",
    "line2": "Unit 4",
    "city": "Toronto",
    "province": "ON",
    "postal_code": "M5H 2N2",
    "country": "CA",
    "phone": "416-555-0101",
}


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


# --- seeding -----------------------------------------------------------------------


@dataclass
class Login:
    email: str
    password: str
    role: str
    created: bool
    totp_secret: str = ""  # the authenticator's key, for the roles that need one


@dataclass
class SeedResult:
    categories: int = 0
    products: int = 0
    variants: int = 0
    images: int = 0
    units: int = 0
    logins: list[Login] = field(default_factory=list)


def store_has_products() -> bool:
    return db.session.scalar(sa.select(Product.id).limit(1)) is not None


def seed_demo(seed: int = DEFAULT_SEED) -> SeedResult:
    """Build the demo store in the current transaction (the caller commits).

    Image files (every size, through the media storage) are written as the products are
    made; if anything fails they are removed again, so a failed seed leaves neither rows
    nor files.
    """
    written: list[str] = []
    try:
        return _seed(random.Random(seed), written)
    except BaseException:
        for filename in written:
            delete_image(filename)
        raise


def _get_or_create(model, where: dict, **values):
    row = db.session.scalar(sa.select(model).filter_by(**where))
    if row is None:
        row = model(**where, **values)
        db.session.add(row)
        db.session.flush()
    return row


def _seed_store_settings() -> None:
    """What the demo's invoices say about the store (registration numbers in CRA's format)."""
    settings = store_settings()
    settings.legal_name = "Maple & Pine Outfitters Inc."
    settings.address = "1 Front St W\nToronto ON  M5J 2X5\nCanada"
    settings.email = "shop@example.com"
    settings.phone = "416-555-0100"
    settings.gst_hst_number = "123456789 RT0001"
    settings.qst_number = "1234567890 TQ0001"
    settings.invoice_footer = "Thank you for shopping with us. Returns within 30 days."


def _seed(rng: random.Random, written: list[str]) -> SeedResult:
    result = SeedResult()
    tax = ensure_tax_classes()
    seed_canadian_rates()
    seed_canada_post()
    seed_chart()
    _seed_store_settings()
    suppliers = {
        key: _get_or_create(
            Supplier,
            {"name": name},
            email=email,
            phone=phone,
            lead_time_days=lead,
            province=SUPPLIER_PROVINCES[key],
        )
        for key, (name, email, phone, lead) in SUPPLIERS.items()
    }
    cats = _seed_categories()
    result.categories = len(cats)
    by_key = {c.key: c for c in CATEGORIES}
    barcodes = itertools.count(1)
    for position, item in enumerate(ITEMS):
        meta = by_key[item.category]
        product = save_product(
            data={
                "name": item.name,
                "description": item.description,
                "category_id": cats[item.category].id,
                "option1_name": item.option1[0] if item.option1 else None,
                "option2_name": item.option2[0] if item.option2 else None,
                "is_active": True,
                "backorderable": item.backorderable,
            }
        )
        supplier = suppliers[item.supplier or meta.supplier]
        combos = list(
            itertools.product(
                item.option1[1] if item.option1 else [None],
                item.option2[1] if item.option2 else [None],
            )
        )
        for index, (value1, value2) in enumerate(combos):
            units = _seed_variant(
                rng, item, product, index, value1, value2, tax[item.tax], supplier,
                f"{meta.bin_aisle}-{position % 20 + 1:02d}-{index % 4 + 1}", next(barcodes),
            )  # fmt: skip
            result.variants += 1
            result.units += units
        result.images += _seed_images(item, product, meta.shape, written)
        result.products += 1
    seed_bills(unbilled_supplier=suppliers["coffee"], billed_supplier=suppliers["trail"])
    result.logins = _seed_accounts()
    return result


def _seed_categories() -> dict[str, Category]:
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


def _seed_variant(
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


def _seed_images(item: Item, product, shape: str, written: list[str]) -> int:
    """One image per colour when the product comes in colours, else one."""
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
    return len(pictures)


def _seed_accounts() -> list[Login]:
    logins = []
    for role, email, name, password in ACCOUNTS:
        user = find_user_by_email(email)
        created = user is None
        secret = ""
        if created:
            user = create_user(email=email, name=name, password=password, role=role)
            if role == roles.CUSTOMER:
                save_address(user=user, data=CUSTOMER_ADDRESS)
            if second_factor.required_for(user):
                # A new key each time, printed below: the demo is easy to enter, but a
                # demo put on the internet does not share a key with every other one.
                secret = second_factor.enrol_directly(user=user)
        elif second_factor.required_for(user):
            secret = "(unchanged)"
        logins.append(
            Login(email, password if created else "(unchanged)", user.role, created, secret)
        )
    return logins


def login_table(logins: list[Login]) -> str:
    """How to log in to the demo store, as a small text table."""
    rows = [("Email", "Password", "Role", "TOTP secret")]
    rows += [
        (lg.email, lg.password, roles.LABELS.get(lg.role, lg.role), lg.totp_secret) for lg in logins
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(
        "The owner and the bookkeeper sign in with a code too: add the TOTP secret to an "
        "authenticator app, or run `oathtool --totp -b SECRET`."
    )
    lines.append(f"Store:       {public_url('catalogue.home')}")
    lines.append(f"Back office: {public_url('backoffice.dashboard')} (log in with a staff account)")
    return "\n".join(lines)
