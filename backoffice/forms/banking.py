"""Forms of the bank pages: a statement file to import, a match by hand, an entry of its own."""

from flask_wtf.file import FileField, FileRequired

from backoffice.forms import BackofficeForm
from shop.formatting import local_date
from shop.forms.fields import IdSelectField


class StatementUploadForm(BackofficeForm):
    file = FileField(
        "Statement file (OFX or camt.053 XML)",
        validators=[FileRequired("Choose the statement file your bank gave you.")],
    )


class MatchForm(BackofficeForm):
    journal_line_id = IdSelectField("Entry")

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.journal_line_id.choices = [
            (jl.id, f"{local_date(jl.entry.date)} {jl.entry.description}") for jl in candidates
        ]


class OwnEntryForm(BackofficeForm):
    account_id = IdSelectField("Account")

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.account_id.choices = [(a.id, f"{a.code} {a.name}") for a in accounts]
