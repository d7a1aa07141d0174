"""Staff accounts: the owner alone creates them, sets their role and disables them."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from backoffice.access import allow
from backoffice.blueprint import bp
from backoffice.forms.staff import StaffCreateForm, StaffEditForm
from backoffice.views import form_page, get_or_404, service_call
from shop.accounts import second_factor, services
from shop.accounts.models import User
from shop.forms import EmptyForm


@bp.get("/staff")
@allow()  # the owner only
def staff():
    users = services.staff_accounts()
    with_factor = second_factor.users_with_factor([u.id for u in users])
    return render_template(
        "backoffice/staff.html",
        users=users,
        with_factor=with_factor,
        factor_required=second_factor.REQUIRED_ROLES,
    )


@bp.route("/staff/new", methods=["GET", "POST"])
@allow()
def staff_new():
    form = StaffCreateForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            user = services.create_user(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=form.role.data,
            )
        if call.ok:
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
        with service_call(form) as call:
            services.update_staff(
                user=user,
                name=form.name.data,
                role=form.role.data,
                is_enabled=form.is_enabled.data,
                acting=current_user,
            )
        if call.ok:
            flash(f"Account of {user.name} saved.", "success")
            return redirect(url_for("backoffice.staff"))
    return form_page(
        "backoffice/staff_form.html",
        form=form,
        user=user,
        has_factor=second_factor.has_factor(user),
    )


@bp.post("/staff/<int:user_id>/second-factor/reset")
@allow()
def staff_reset_second_factor(user_id: int):
    """The owner resets a staff member's lost authenticator (they set it up again)."""
    user = get_or_404(User, user_id)
    if not user.is_staff:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    with service_call() as call:
        second_factor.reset_for(user=user, acting=current_user)
    if call.ok:
        then = (
            "they set it up again at their next sign-in"
            if second_factor.required_for(user)
            else "they sign in with their password until they turn it on again"
        )
        flash(f"Two-step sign-in of {user.name} is reset; {then}.", "success")
    return redirect(url_for("backoffice.staff_edit", user_id=user.id))
