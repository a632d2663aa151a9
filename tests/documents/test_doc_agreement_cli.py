from __future__ import annotations

import json
import subprocess
import sys

import pytest
from doc_builders import terms_dict
from doc_pdfedit import replace_in_content

from fieldapp.cli import main
from fieldapp.core.resources import resource_path


@pytest.fixture
def ca_dir(tmp_path, monkeypatch):
    """A signing CA made with the command line: root.pem and a signer folder in tmp_path."""
    monkeypatch.setenv("FIELDAPP_SERVER_CA_PASSPHRASE", "a long test passphrase")
    db = ["--db", f"sqlite:///{tmp_path / 'server.db'}"]
    assert main(["server", "ca", "init", "--institution", "Nanjing Demo Bank", *db]) == 0
    assert main(["server", "ca", "export-root", "-o", str(tmp_path / "root.pem"), *db]) == 0
    assert main(["server", "ca", "issue", "Li Qiang", "-o", str(tmp_path / "signer"), *db]) == 0
    return tmp_path


def test_render_signed_then_verify_the_shipped_example(ca_dir, capsys):
    out = ca_dir / "agreement.pdf"
    signer = ca_dir / "signer"
    capsys.readouterr()
    assert main(["agreement", "render", str(resource_path("demo", "terms_example.json")), "-o", str(out),
                 "--key", str(signer / "key.pem"), "--cert", str(signer / "cert.pem")]) == 0
    said = capsys.readouterr().out
    assert "AGR-2026-000123" in said and "signed by Li Qiang, Nanjing Demo Bank" in said
    assert main(["agreement", "verify", str(out), "--trust", str(ca_dir / "root.pem")]) == 0
    said = capsys.readouterr().out
    assert "intact" in said and "signed by Li Qiang" in said and "not yet received by the server" in said
    assert main(["agreement", "verify", str(out), "--trust", str(ca_dir / "root.pem"), "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["intact"] is True and verdict["problems"] == [] and verdict["pages"] == 2
    assert verdict["status"] == "intact" and verdict["signed_at"] and verdict["received_at"] is None
    # without the root nothing can be trusted
    assert main(["agreement", "verify", str(out)]) == 1
    assert "no trusted root was given" in capsys.readouterr().err


def test_render_without_a_key_is_an_unsigned_draft(tmp_path, capsys):
    out = tmp_path / "draft.pdf"
    assert main(["agreement", "render", str(resource_path("demo", "terms_example.json")), "-o", str(out)]) == 0
    assert "an unsigned draft" in capsys.readouterr().out
    assert main(["agreement", "verify", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{out}: unsigned: the document is not signed") and err.count("\n") == 1


def test_render_refuses_unusable_keys_with_one_line(ca_dir, capsys, monkeypatch):
    src = str(resource_path("demo", "terms_example.json"))
    signer = ca_dir / "signer"
    other = ca_dir / "other"
    assert main(["server", "ca", "issue", "Other", "-o", str(other), "--db",
                 f"sqlite:///{ca_dir / 'server.db'}"]) == 0
    capsys.readouterr()
    out = ca_dir / "x.pdf"
    cases = [
        (["--key", str(other / "key.pem"), "--cert", str(signer / "cert.pem")],
         f"{other / 'key.pem'}: the key does not match the certificate"),
        (["--key", str(signer / "key.pem")], "--cert: give both --key and --cert"),
        (["--key", str(signer / "cert.pem"), "--cert", str(signer / "cert.pem")],
         f"{signer / 'cert.pem'}: not a private key"),
    ]
    for extra, message in cases:
        assert main(["agreement", "render", src, "-o", str(out), *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"fieldapp agreement: {message}"), err
        assert err.count("\n") == 1 and not out.exists()


def test_verify_exit_codes(tmp_path, capsys, test_pki, terms):
    from fieldapp.documents.agreement import build_agreement_pdf
    from fieldapp.documents.signing import sign_pdf

    root = tmp_path / "root.pem"
    root.write_bytes(test_pki.root_pem)
    signed = sign_pdf(build_agreement_pdf(terms, "both"), test_pki.signer, now=test_pki.device.not_valid_before_utc
                      + __import__("datetime").timedelta(days=400))
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(replace_in_content(signed, b"(2,057.62)", b"(2,957.62)", occurrence=1))
    assert main(["agreement", "verify", str(altered), "--trust", str(root)]) == 1
    err = capsys.readouterr().err
    assert "NOT intact" in err and "schedule row 6" in err
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf at all")
    assert main(["agreement", "verify", str(junk)]) == 2
    assert capsys.readouterr().err.strip() == f"fieldapp agreement: {junk}: not a PDF file"
    assert main(["agreement", "verify", str(tmp_path / "missing.pdf")]) == 2
    assert main(["agreement", "verify", str(altered), "--trust", str(junk)]) == 2
    assert capsys.readouterr().err.strip().endswith("not an X.509 certificate in PEM or DER form")


@pytest.mark.parametrize("change, message", [
    (lambda d: d["plan"].update(total="12000.00"), "terms.json: plan.total: the plan total 12,000.00 CNY does not add up"),
    (lambda d: d.update(amount_due="-1"), "terms.json: amount_due: must be more than zero"),
    (lambda d: d["plan"].update(count=40, frequency="monthly"), "terms.json: plan.count: the last payment on 2029-06-30 is past the maximum term"),
    (lambda d: d["customer"].update(name="王芳\U0001F600"), "terms.json: customer.name: the character"),
])
def test_render_refuses_bad_terms_with_exit_2_and_writes_nothing(tmp_path, monkeypatch, capsys, change,
                                                                 message):
    data = terms_dict()
    change(data)
    src = tmp_path / "terms.json"
    src.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.pdf"
    monkeypatch.chdir(tmp_path)
    assert main(["agreement", "render", "terms.json", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fieldapp agreement: {message}"), err
    assert err.count("\n") == 1 and not out.exists()


def test_render_usage_and_json_errors(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"agreement_id": "A",\n  oops}', encoding="utf-8")
    assert main(["agreement", "render", str(bad), "-o", str(tmp_path / "o.pdf")]) == 2
    assert f"{bad}:2:3: invalid JSON" in capsys.readouterr().err
    limits = tmp_path / "limits.json"
    limits.write_text('{"min_instalment": "5000"}', encoding="utf-8")
    src = tmp_path / "t.json"
    src.write_text(json.dumps(terms_dict(), ensure_ascii=False), encoding="utf-8")
    assert main(["agreement", "render", str(src), "-o", str(tmp_path / "o.pdf"), "--limits", str(limits)]) == 2
    assert "below the minimum instalment of 5,000.00 CNY" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["agreement", "render", str(src)])
    assert exit_.value.code == 2


def test_the_installed_entry_point_runs_verify(tmp_path, agreement_pdf):
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(agreement_pdf)
    done = subprocess.run([sys.executable, "-m", "fieldapp", "agreement", "verify", str(pdf)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"{pdf}: unsigned: the document is not signed (a draft): it proves nothing\n"


def test_verify_notes_a_device_clock_ahead_of_the_receipt(tmp_path, capsys, test_pki, terms):
    import datetime as dt

    from fieldapp.documents.agreement import build_agreement_pdf
    from fieldapp.documents.signing import seal_pdf, sign_pdf

    root = tmp_path / "root.pem"
    root.write_bytes(test_pki.root_pem)
    signed_at = test_pki.device.not_valid_before_utc + dt.timedelta(days=400)
    signed = sign_pdf(build_agreement_pdf(terms, "both"), test_pki.signer, now=signed_at)
    sealed = tmp_path / "sealed.pdf"
    sealed.write_bytes(seal_pdf(signed, tsa_key=test_pki.tsa_key, tsa_cert=test_pki.tsa, chain=(test_pki.root,),
                                crl=test_pki.crl, now=signed_at - dt.timedelta(days=1)))
    assert main(["agreement", "verify", str(sealed), "--trust", str(root)]) == 0
    out = capsys.readouterr().out
    assert ": intact: " in out and "  note: the device's clock claims signing at" in out
    assert main(["agreement", "verify", str(sealed), "--trust", str(root), "--json"]) == 0
    assert "clock ran ahead" in json.loads(capsys.readouterr().out)["warnings"][0]
