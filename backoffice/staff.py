"""Staff accounts: the owner alone creates them, sets their role and disables them."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from backoffice import bp
from backoffice.access import allow
from backoffice.forms import StaffCreateForm, StaffEditForm
from backoffice.views import form_page, get_or_404, show_error
from shop.accounts import services
from shop.accounts.models import User
from shop.errors import DomainError
from shop.extensions import db


@bp.get("/staff")
@allow()  # the owner only
def staff():
    return render_template("backoffice/staff.html", users=services.staff_accounts())


@bp.route("/staff/new", methods=["GET", "POST"])
@allow()
def staff_new():
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=form.role.data,
            )
        except DomainError as err:
            show_error(form, err)
        else:
            db.session.commit()
            flash(f"Account for {user.name} ({user.email}) created.", "success")
            return redirect(url_for("backoffice.staff"))
    return form_page("backoffice/staff_form.html", form=form, user=None)


@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@allow()
def staff_edit(user_id: int):
    user = get_or_404(User, user_id)
    if not user.is_staff:
        abort(404)  # customers are not managed here
    form = StaffEditForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_staff(
                user=user,
                name=form.name.data,
                role=form.role.data,
                is_enabled=form.is_enabled.data,
                acting=current_user,
            )
        except DomainError as err:
            show_error(form, err)
        else:
            db.session.commit()
            flash(f"Account of {user.name} saved.", "success")
            return redirect(url_for("backoffice.staff"))
    return form_page("backoffice/staff_form.html", form=form, user=user)
