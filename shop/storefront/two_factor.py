"""Two-step sign-in: the code step after the password, setting up the authenticator
(at sign-in when the role needs it, or from the account page), turning it off, and
signing out everywhere."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from shop.accounts import second_factor, services, sessions
from shop.accounts.errors import AccountError
from shop.extensions import db, limiter
from shop.storefront.account import login_rate_limit
from shop.storefront.forms import EmptyForm
from shop.storefront.signin import PENDING, landing_url, log_in, start_session
from shop.storefront.two_factor_forms import CODE_HELP, CodeForm, TurnOffForm
from shop.views import show_error

bp = Blueprint("two_factor", __name__, url_prefix="/account")


def _back_to_password_step(message: str = "Please log in first."):
    session.pop(PENDING, None)
    flash(message, "info")
    return redirect(url_for("account.login", next=request.args.get("next")))


def _refused(form, err: AccountError) -> None:
    # A wrong code must stay counted: commit it, unlike other refusals (show_error rolls back).
    db.session.commit()
    form.code.errors = [*form.code.errors, err.message]


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def code():
    """The second step: a code from the app or a recovery code."""
    token = session.get(PENDING)
    if second_factor.challenged_user(token) is None:
        return _back_to_password_step()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            done = second_factor.finish_sign_in(token=token, code=form.code.data)
        except second_factor.SignInEnded as err:
            db.session.commit()
            return _back_to_password_step(err.message)
        except AccountError as err:
            _refused(form, err)
        else:
            if done.recovery_codes_left is not None:
                flash(_recovery_note(done.recovery_codes_left), "warning")
            return start_session(done.user, done.remember)
    status = 422 if form.errors else 200
    return render_template("shop/account/two_factor_code.html", form=form, help=CODE_HELP), status


def _recovery_note(left: int) -> str:
    note = f"You signed in with a recovery code; {left} {'is' if left == 1 else 'are'} left."
    return note if left > 2 else note + " Get new ones under Your account, Two-step sign-in."


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(login_rate_limit, methods=["POST"])
def enrol_at_login():
    """A user whose role needs a second factor sets it up before getting in."""
    token = session.get(PENDING)
    user = second_factor.challenged_user(token)
    if user is None:
        return _back_to_password_step()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            done, codes = second_factor.finish_enrolment(token=token, code=form.code.data)
        except second_factor.SignInEnded as err:
            db.session.commit()
            return _back_to_password_step(err.message)
        except AccountError as err:
            _refused(form, err)
        else:
            log_in(done.user, done.remember)
            return _recovery_codes_page(codes, landing_url(done.user))
    return _enrolment_page(user, form, required=True)


SHOWN_SECRET = "totp_secret_shown"  # the digest of the secret this browser is setting up


def _enrolment_page(user, form, required: bool):
    try:
        factor = second_factor.start_enrolment(user=user, shown=session.get(SHOWN_SECRET))
    except AccountError as err:
        flash(err.message, "info")
        return redirect(url_for("two_factor.manage"))
    db.session.commit()
    session[SHOWN_SECRET] = second_factor.secret_digest(factor.secret)
    uri = second_factor.setup_uri(user=user, factor=factor)
    page = render_template(
        "shop/account/two_factor_enrol.html",
        form=form,
        secret=factor.secret,
        qr_svg=second_factor.qr_code_svg(uri),
        required=required,
    )
    return page, 422 if form.errors else 200


def _recovery_codes_page(codes: list[str], next_url: str):
    page = render_template(
        "shop/account/two_factor_recovery_codes.html", codes=codes, next_url=next_url
    )
    # Shown once: no cache may keep them.
    return page, 200, {"Cache-Control": "no-store"}


RENEW_PREFIX = "renew"  # the page has two forms with a password and a code


@bp.get("/two-factor")
@login_required
def manage():
    """The account page's two-step sign-in: on or off, and how to change it."""
    return _manage_page(TurnOffForm(), TurnOffForm(prefix=RENEW_PREFIX))


def _manage_page(off_form, renew_form):
    user = current_user
    return render_template(
        "shop/account/two_factor.html",
        form=off_form,
        renew_form=renew_form,
        enrolled=second_factor.has_factor(user),
        required=second_factor.required_for(user),
        codes_left=second_factor.recovery_codes_left(user),
    ), 422 if off_form.errors or renew_form.errors else 200


@bp.post("/two-factor/recovery-codes")
@login_required
def renew_recovery_codes():
    """New recovery codes for the old ones: the password and a code."""
    form = TurnOffForm(prefix=RENEW_PREFIX)
    if form.validate_on_submit():
        try:
            codes = second_factor.renew_recovery_codes(
                user=current_user, password=form.password.data, code=form.code.data
            )
        except AccountError as err:
            _wrong_proof(form, err)
        else:
            db.session.commit()
            return _recovery_codes_page(codes, url_for("two_factor.manage"))
    return _manage_page(TurnOffForm(), form)


def _wrong_proof(form, err: AccountError) -> None:
    # Nothing was changed, but a wrong password must stay counted towards the lockout.
    db.session.commit()
    show_error(form, err)


@bp.route("/two-factor/enrol", methods=["GET", "POST"])
@login_required
def enrol():
    """Set up an authenticator app from the account page."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            user = current_user._get_current_object()
            codes = second_factor.confirm_enrolment(user=user, code=form.code.data)
        except AccountError as err:
            show_error(form, AccountError(err.message, field="code"))
        else:
            db.session.commit()
            sessions.keep_this_session(user)  # every other device is signed out
            return _recovery_codes_page(codes, url_for("two_factor.manage"))
    return _enrolment_page(current_user, form, required=False)


@bp.post("/two-factor/disable")
@login_required
def disable():
    """Turn two-step sign-in off: the password and a current code."""
    form = TurnOffForm()
    if form.validate_on_submit():
        try:
            second_factor.turn_off(
                user=current_user, password=form.password.data, code=form.code.data
            )
        except AccountError as err:
            _wrong_proof(form, err)
        else:
            db.session.commit()
            flash("Two-step sign-in is off.", "success")
            return redirect(url_for("two_factor.manage"))
    return _manage_page(form, TurnOffForm(prefix=RENEW_PREFIX))


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """A new session token: every other session and remembered device is signed out."""
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("account.overview"))
    user = current_user._get_current_object()
    services.end_all_sessions(user=user)
    db.session.commit()
    sessions.keep_this_session(user)
    flash("Every other device is signed out.", "success")
    return redirect(url_for("account.overview"))


@bp.app_template_global("two_factor_on")
def two_factor_on(user) -> bool:
    """Whether the user signs in with a second factor (the account page says so)."""
    return second_factor.has_factor(user)
