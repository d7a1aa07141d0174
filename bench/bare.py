"""The yardstick: a bare Flask app that renders a category page from ONE query.

It shows the same 24 products as the store's first page of a category (its
whole subtree, sorted by name), with a price and an availability line each,
through a minimal Jinja template: no ORM, no extensions, no base layout.
Whatever the store spends beyond this is the cost of its framework and features.

    DATABASE_URL=sqlite:////tmp/x/bench.db gunicorn -w 2 'bench.bare:create_app()'
"""

import os

import sqlalchemy as sa
from flask import Flask, abort, render_template_string

PER_PAGE = 24
LOW_STOCK = 5

# The category's subtree by a recursive CTE, then one row per product with its
# lowest price and best free stock: one statement for the whole page.
QUERY = sa.text(
    """
    WITH RECURSIVE tree(id) AS (
        SELECT id FROM categories WHERE slug = :slug
        UNION ALL
        SELECT c.id FROM categories c JOIN tree ON c.parent_id = tree.id
    )
    SELECT p.name, p.slug, MIN(v.price) AS price, MAX(v.price) AS max_price,
           MAX(s.on_hand - s.allocated) AS free, p.backorderable
    FROM products p
    JOIN variants v ON v.product_id = p.id AND v.is_active
    LEFT JOIN stock_levels s ON s.variant_id = v.id
    WHERE p.is_active AND p.category_id IN (SELECT id FROM tree)
    GROUP BY p.id, p.name, p.slug, p.backorderable
    ORDER BY p.name, p.id
    LIMIT :limit
    """
)

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ slug }}</title></head>
<body><h1>{{ slug }}</h1>
<ul class="grid">
{% for p in products %}  <li class="card"><a href="/p/{{ p.slug }}">{{ p.name }}</a>
    <span class="card-price">{% if p.price != p.max_price %}From {% endif %}${{ '%.2f' % (p.price / 100) }}</span>
    <span class="availability">{% if (p.free or 0) > low %}In stock{% elif (p.free or 0) > 0 %}Only {{ p.free }} left{% elif p.backorderable %}Out of stock - ships later{% else %}Out of stock{% endif %}</span></li>
{% endfor %}</ul></body></html>
"""  # noqa: E501


def create_app() -> Flask:
    app = Flask(__name__)
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = sa.create_engine(url)

    @app.get("/c/<slug>")
    def category(slug: str):
        with engine.connect() as conn:
            rows = conn.execute(QUERY, {"slug": slug, "limit": PER_PAGE}).all()
        if not rows:
            abort(404)
        return render_template_string(TEMPLATE, slug=slug, products=rows, low=LOW_STOCK)

    return app
