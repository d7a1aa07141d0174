"""The catalogue in the back office: categories, products, variants, images.

Owner and sales staff change the catalogue; warehouse staff may look at it
(lists and product pages) to find SKUs, bins and stock figures.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.catalogue import (
    CategoryForm,
    ImageForm,
    NewVariantForm,
    ProductForm,
    VariantForm,
)
from backoffice.views import (
    form_page,
    found_page,
    get_or_404,
    page_number,
    search_text,
    service_call,
)
from shop.accounts import roles
from shop.catalogue import queries, services
from shop.catalogue.models import Category, Product, ProductImage, Variant
from shop.extensions import db
from shop.forms import EmptyForm
from shop.inventory import variants
from shop.promise import listings

VIEWERS = (roles.WAREHOUSE, roles.SALES)
EDITORS = (roles.SALES,)


# --- categories ------------------------------------------------------------------


@bp.get("/categories")
@allow(*VIEWERS)
def categories():
    return render_template(
        "backoffice/categories.html",
        tree=queries.category_tree(),
        counts=queries.product_counts(),
    )


@bp.route("/categories/new", methods=["GET", "POST"])
@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@allow(*EDITORS)
def category_edit(category_id: int | None = None):
    category = get_or_404(Category, category_id) if category_id is not None else None
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        with service_call(form) as call:
            saved = services.save_category(category=category, **form.data_for_service())
        if call.ok:
            flash(f"Category \u201c{saved.name}\u201d saved.", "success")
            return redirect(url_for("backoffice.categories"))
    return form_page("backoffice/category_form.html", form=form, category=category)


# --- products --------------------------------------------------------------------


@bp.get("/products")
@allow(*VIEWERS)
def products():
    q = search_text()
    return render_template(
        "backoffice/products.html",
        q=q,
        pagination=found_page(listings.admin_products(q, page=page_number())),
    )


@bp.get("/products/<int:product_id>")
@allow(*VIEWERS)
def product(product_id: int):
    found = get_or_404(Product, product_id, options=listings.admin_product_options())
    return render_template("backoffice/product.html", product=found, remove_form=EmptyForm())


@bp.route("/products/new", methods=["GET", "POST"])
@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def product_edit(product_id: int | None = None):
    found = get_or_404(Product, product_id) if product_id is not None else None
    form = ProductForm(obj=found)
    if form.validate_on_submit():
        with service_call(form) as call:
            saved = services.save_product(product=found, data=form.data_for_service())
        if call.ok:
            flash(f"Product \u201c{saved.name}\u201d saved.", "success")
            return redirect(url_for("backoffice.product", product_id=saved.id))
    return form_page("backoffice/product_form.html", form=form, product=found)


# --- variants --------------------------------------------------------------------


@bp.route("/products/<int:product_id>/variants/new", methods=["GET", "POST"])
@allow(*EDITORS)
def variant_new(product_id: int):
    found = get_or_404(Product, product_id)
    form = NewVariantForm(product=found)
    if form.validate_on_submit():
        with service_call(form) as call:
            variant = variants.save_variant(
                product=found,
                data=form.data_for_service(),
                opening_stock=form.opening_stock.data or 0,
                user=current_user,
            )
        if call.ok:
            flash(f"Variant {variant.sku} added.", "success")
            return redirect(url_for("backoffice.product", product_id=product_id))
    return form_page("backoffice/variant_form.html", form=form, product=found, variant=None)


@bp.route("/variants/<int:variant_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def variant_edit(variant_id: int):
    variant = get_or_404(Variant, variant_id)
    form = VariantForm(obj=variant, stock=variant.stock, product=variant.product)
    if form.validate_on_submit():
        with service_call(form) as call:
            variants.save_variant(
                product=variant.product,
                variant=variant,
                data=form.data_for_service(),
                user=current_user,
            )
        if call.ok:
            flash(f"Variant {variant.sku} saved.", "success")
            return redirect(url_for("backoffice.product", product_id=variant.product_id))
    return form_page(
        "backoffice/variant_form.html", form=form, product=variant.product, variant=variant
    )


# --- images ----------------------------------------------------------------------


@bp.route("/products/<int:product_id>/images/new", methods=["GET", "POST"])
@allow(*EDITORS)
def image_new(product_id: int):
    found = get_or_404(Product, product_id)
    form = ImageForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            services.add_image(product=found, data=form.image.data.read(), alt=form.alt.data or "")
        if call.ok:
            flash("Image added.", "success")
            return redirect(url_for("backoffice.product", product_id=product_id))
    return form_page("backoffice/image_form.html", form=form, product=found)


@bp.post("/products/<int:product_id>/images/<int:image_id>/delete")
@allow(*EDITORS)
def image_delete(product_id: int, image_id: int):
    image = get_or_404(ProductImage, image_id)
    if image.product_id != product_id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.remove_image(image=image)
    db.session.commit()
    flash("Image removed.", "success")
    return redirect(url_for("backoffice.product", product_id=product_id))
