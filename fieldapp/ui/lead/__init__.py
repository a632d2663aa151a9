"""The team lead's screens: the review queue with its filters, a visit's evidence with the
decision, the team figures with a chart and CSV export, in one `LeadWindow`."""
