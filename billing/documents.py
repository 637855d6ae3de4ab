"""A statement as a CSV file (its figures, then its lines) and as a PDF invoice (fpdf2)."""
import csv
import io

from django.conf import settings
from fpdf import FPDF

from leadhub.admin import csv_cell

from .parties import PARTIES

LINE_FIELDS = ("id", "created_at", "kind", "amount", "currency", "lead_id", "reference", "note")


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def statement_csv(view) -> str:
    """The figures (one `figure,value` row each), a blank row, then one row per entry."""
    statement = view.statement
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["statement", statement.party_kind, statement.party_id, statement.period, view.status])
    writer.writerow(["period", statement.starts_at.isoformat(), statement.ends_at.isoformat(), statement.time_zone])
    for name in PARTIES[statement.party_kind].figure_names:
        writer.writerow([name, getattr(statement, name)])
    writer.writerow([])
    writer.writerow(LINE_FIELDS)
    for entry in view.lines:
        writer.writerow([csv_cell(getattr(entry, field)) for field in LINE_FIELDS])
    return out.getvalue()


def _text(value) -> str:
    """The PDF's core fonts are Latin-1: anything else is shown as `?` rather than refused."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def statement_pdf(view) -> bytes:
    """The invoice: who, which period (in its zone and in UTC), the figures, every line."""
    statement = view.statement
    party = PARTIES[statement.party_kind]
    title = "Invoice" if statement.party_kind == "buyer" else "Payout statement"
    pdf = FPDF()
    pdf.set_title(f"{title} {statement.party_id} {statement.period}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _text(f"{title} {statement.period}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for text in (
        f"{party.name(statement.party_id)} ({statement.party_id})",
        f"Period {statement.period}: {statement.starts_at:%Y-%m-%d %H:%M} to {statement.ends_at:%Y-%m-%d %H:%M} UTC"
        f" ({statement.time_zone})",
        "Closed " + (f"{statement.closed_at:%Y-%m-%d %H:%M} UTC" if view.status == "closed" else "not yet: open"),
        f"Amounts in {settings.LEDGER_CURRENCY}",
    ):
        pdf.cell(0, 6, _text(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    with pdf.table(col_widths=(60, 40), text_align=("LEFT", "RIGHT"), width=100, align="LEFT") as table:
        for name in party.figure_names:
            table.row([_label(name), _text(getattr(statement, name))])
    pdf.ln(4)
    pdf.set_font("Helvetica", size=8)
    with pdf.table(col_widths=(14, 34, 24, 20, 20, 50), text_align=("RIGHT", "LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT"),
                   ) as table:
        table.row(["Entry", "Written (UTC)", "Kind", "Amount", "Lead", "Reference"])
        for entry in view.lines:
            table.row([str(entry.pk), f"{entry.created_at:%Y-%m-%d %H:%M}", entry.kind, str(entry.amount),
                       str(entry.lead_id or ""), _text(entry.reference or entry.note)])
    return bytes(pdf.output())
