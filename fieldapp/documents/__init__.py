"""Documents: data in, PDF bytes out (reportlab); no Qt, no store, no server.

- `terms`: AgreementTerms, read from TERMS.json (see TERMS.md), canonical JSON and SHA-256;
- `agreement`: the repayment agreement PDF; `verify`: checks a PDF against its embedded terms;
- `visit_report`: the visit report PDF for the team lead;
- `fonts`, `images`, `layout`, `reader`: the embedded CJK font, signature checks, page
  machinery and typed input reading they share.

Modules are imported directly (`from fieldapp.documents.agreement import ...`) so that
importing the package does not load reportlab.
"""
