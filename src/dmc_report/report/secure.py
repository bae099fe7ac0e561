"""The final steps: fixed metadata, and AES-256 encryption of the closed report in memory."""

from __future__ import annotations

import datetime as dt
import io
import secrets


def finalize(
    pdf: bytes,
    *,
    created: dt.date,
    title: str,
    subject: str,
    password: str | None = None,
    copy_id: str | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    """Set the document information (creation date = the report date) and, with ``password``,
    encrypt with AES-256 (PDF 2.0 security handler, R6), allowing printing only.

    Without a password the document ID is derived from the content, so the same inputs give the
    same bytes. Encryption draws fresh random salts each time, as it must: an encrypted report is
    reproducible in its decrypted content, not in its bytes.
    """
    import pikepdf

    stamp = f"D:{created.strftime('%Y%m%d')}000000Z"
    src = pikepdf.open(io.BytesIO(pdf))
    with src:
        src.docinfo["/Title"] = title
        src.docinfo["/Subject"] = subject
        src.docinfo["/Creator"] = "dmc-report"
        src.docinfo["/Producer"] = "dmc-report (reportlab, pikepdf)"
        src.docinfo["/CreationDate"] = stamp
        src.docinfo["/ModDate"] = stamp
        if attachment is not None:  # the closed report's own results (encrypted with it)
            name, data = attachment
            spec = pikepdf.AttachedFileSpec(src, data, mime_type="application/json")
            src.attachments[name] = spec
        if copy_id is not None:  # a numbered copy: traceable by its metadata and document ID
            src.docinfo["/CopyId"] = copy_id
            first = pikepdf.String(bytes.fromhex(copy_id))
            src.trailer.ID = pikepdf.Array([first, first])  # qpdf keeps the first element
        out = io.BytesIO()
        if password is None:
            src.save(out, deterministic_id=True, compress_streams=True)
        else:
            allow = pikepdf.Permissions(
                accessibility=True,
                extract=False,
                modify_annotation=False,
                modify_assembly=False,
                modify_form=False,
                modify_other=False,
                print_lowres=True,
                print_highres=True,
            )
            enc = pikepdf.Encryption(
                owner=secrets.token_urlsafe(24), user=password, R=6, aes=True, allow=allow
            )
            src.save(out, encryption=enc, compress_streams=True)
    return out.getvalue()
