"""Fidelity: how faithfully a partner delivers the programme, as the licensing organisation judges it — audits
against the licensor's templates with the corrective actions they raise, and the partner scorecard."""
