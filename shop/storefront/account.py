"""The customer's account: register, log in and out, passwords, addresses, invoices."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user, login_required, logout_user

from shop.accounts import services, sessions
from shop.accounts.errors import AccountLocked
from shop.accounts.passwords import MIN_LENGTH
from shop.billing import files as invoice_files
from shop.billing.models import STATUS_LABELS
from shop.billing.services import invoice_for_customer, invoices_of
from shop.errors import DomainError
from shop.extensions import db, limiter
from shop.orders.services import orders_of
from shop.storefront.forms import (
    AddressForm,
    ChangePasswordForm,
    EmptyForm,
    FinishRegistrationForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from shop.storefront.signin import after_password, start_session
from shop.views import file_response, service_call, show_error

bp = Blueprint("account", __name__, url_prefix="/account")


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def register():
    # Continued by email for a new and a taken address alike: the page never tells which.
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.start_registration(email=form.email.data, name=form.name.data)
        except DomainError as err:
            show_error(form, err)
            return render_template("shop/account/register.html", form=form), _status(err)
        db.session.commit()
        flash("Check your inbox: we have sent you an email with the next step.", "info")
        return redirect(url_for("catalogue.home"))
    return render_template("shop/account/register.html", form=form)


@bp.route("/register/<token>", methods=["GET", "POST"])
def finish_registration(token: str):
    """Step 2 of registering, from the emailed link: choose the password, get in."""
    try:
        services.registration_for_token(token)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("account.login"))
    form = FinishRegistrationForm()
    if form.validate_on_submit():
        try:
            user = services.finish_registration(token=token, password=form.password.data)
        except DomainError as err:
            show_error(form, err)
        else:
            flash(f"Welcome, {user.name}! Your account is ready.", "success")
            return start_session(user)
    return render_template(
        "shop/account/finish_registration.html", form=form, min_length=MIN_LENGTH
    )


def _status(err: DomainError, refused: int = 200) -> int:
    return 429 if isinstance(err, AccountLocked) else refused


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("account.overview"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(email=form.email.data, password=form.password.data)
        except DomainError as err:
            db.session.commit()  # the failure counts towards the account's lockout
            show_error(form, err)
            return render_template("shop/account/login.html", form=form), _status(err, 401)
        return after_password(user, remember=form.remember.data)
    return render_template("shop/account/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        services.end_all_sessions(user=current_user)
        db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("catalogue.home"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            services.request_password_reset(email=form.email.data)
        except DomainError as err:
            show_error(form, err)
            return render_template("shop/account/forgot_password.html", form=form), _status(err)
        db.session.commit()
        flash(
            "If an account uses that email, we have sent it a link to reset the password. "
            "Please check your inbox.",
            "info",
        )
        return redirect(url_for("account.login"))
    return render_template("shop/account/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("account.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            services.reset_password(token=token, new_password=form.password.data)
        if call.ok:
            logout_user()
            flash("Your password is changed. Please log in with the new one.", "success")
            return redirect(url_for("account.login"))
    return render_template("shop/account/reset_password.html", form=form)


@bp.get("/")
@login_required
def overview():
    return render_template("shop/account/overview.html", orders=orders_of(current_user))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                user=current_user,
                current_password=form.current_password.data,
                new_password=form.password.data,
            )
        except DomainError as err:
            db.session.commit()  # a wrong current password counts towards the lockout
            show_error(form, err)
            return render_template("shop/account/change_password.html", form=form), _status(err)
        else:
            db.session.commit()
            # The new session token ended every session, this one too: it goes on.
            sessions.keep_this_session(current_user._get_current_object())
            flash("Your password is changed. Other devices have been logged out.", "success")
            return redirect(url_for("account.overview"))
    return render_template("shop/account/change_password.html", form=form)


@bp.get("/addresses")
@login_required
def addresses():
    return render_template("shop/account/addresses.html", delete_form=EmptyForm())


@bp.route("/addresses/new", methods=["GET", "POST"])
@bp.route("/addresses/<int:address_id>", methods=["GET", "POST"])
@login_required
def edit_address(address_id: int | None = None):
    address = None
    if address_id is not None:
        try:
            address = services.address_of(user=current_user, address_id=address_id)
        except DomainError:
            abort(404)
    form = AddressForm(obj=address)
    if form.validate_on_submit():
        with service_call(form) as call:
            services.save_address(user=current_user, data=form.data_for_service(), address=address)
        if call.ok:
            flash("Address saved.", "success")
            return redirect(url_for("account.addresses"))
    return render_template("shop/account/address_form.html", form=form, address=address)


@bp.post("/addresses/<int:address_id>/delete")
@login_required
def delete_address(address_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.delete_address(user=current_user, address_id=address_id)
    except DomainError:
        abort(404)
    db.session.commit()
    flash("Address deleted.", "success")
    return redirect(url_for("account.addresses"))


@bp.get("/invoices")
@login_required
def invoices():
    return render_template(
        "shop/account/invoices.html", invoices=invoices_of(current_user), statuses=STATUS_LABELS
    )


@bp.get("/invoices/<number>.pdf")
@login_required
def invoice_pdf(number: str):
    invoice = _own_invoice_or_404(number)
    return file_response(
        invoice_files.invoice_pdf(invoice), f"{invoice.number}.pdf", invoice_files.PDF
    )


@bp.get("/invoices/<number>.xml")
@login_required
def invoice_xml(number: str):
    invoice = _own_invoice_or_404(number)
    return file_response(
        invoice_files.invoice_xml(invoice), f"{invoice.number}.xml", invoice_files.XML
    )


def _own_invoice_or_404(number: str):
    """The customer's own invoice; another customer's number is simply not found."""
    invoice = invoice_for_customer(number=number, user=current_user)
    if invoice is None:
        abort(404)
    return invoice
