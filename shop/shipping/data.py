"""Default shipping data, modelled on Canada Post from a warehouse in Toronto.

Prices are the store's own table (not Canada Post's published rates): a base
price per zone, raised for heavier weight bands and faster services.
"""

CARRIER = {
    "code": "canada-post",
    "name": "Canada Post",
    "dim_divisor": 6000,
    "tracking_url": "https://www.canadapost-postescanada.ca/track-reperez/en#/details/{number}",
}

# code, name, transit days, free over (minor units) or None
SERVICES = [
    ("regular", "Regular Parcel", 7, 15000),
    ("expedited", "Expedited Parcel", 4, None),
    ("xpresspost", "Xpresspost", 2, None),
    ("priority", "Priority", 1, None),
]
SERVICE_FACTOR = {"regular": 100, "expedited": 112, "xpresspost": 160, "priority": 240}

# code, name, [(province, postal prefix)], base price of the lightest Regular Parcel
ZONES = [
    ("gta", "Greater Toronto", [("ON", "M"), ("ON", "L")], 1049),
    ("ontario", "Rest of Ontario", [("ON", "")], 1299),
    ("quebec", "Quebec", [("QC", "")], 1499),
    ("atlantic", "Atlantic Canada", [("NB", ""), ("NS", ""), ("PE", ""), ("NL", "")], 1799),
    ("west", "Western Canada", [("MB", ""), ("SK", ""), ("AB", ""), ("BC", "")], 1999),
    ("north", "The North", [("YT", ""), ("NT", ""), ("NU", "")], 3499),
]

# heaviest weight in grams of each band, and its price as a percentage of the base
WEIGHT_BANDS = [
    (500, 100),
    (1000, 115),
    (2000, 135),
    (5000, 180),
    (10000, 260),
    (20000, 390),
    (30000, 520),
]

# name, inner length, width, height (mm), own weight (g), most it may carry (g)
BOXES = [
    ("Flat mailer", 300, 230, 30, 40, 2000),
    ("Small box", 250, 180, 100, 150, 10000),
    ("Medium box", 350, 250, 150, 250, 20000),
    ("Large box", 450, 350, 250, 450, 30000),
    ("Extra large box", 600, 400, 400, 800, 30000),
]


def rate(base: int, service: str, band_percent: int) -> int:
    """Price in minor units, rounded to the next 9 cents as shops price things."""
    cents = base * band_percent * SERVICE_FACTOR[service] // 10000
    return cents - cents % 10 + 9
