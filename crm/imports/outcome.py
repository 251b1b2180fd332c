"""What loading one batch of rows did: the counts an ImportBatch adds up, and the rejections."""

from dataclasses import dataclass, field


@dataclass
class Rejected:
    number: int
    column: str
    reason: str
    raw: dict


@dataclass
class Outcome:
    rows_read: int = 0
    rows_unchanged: int = 0
    customers_created: int = 0
    records_linked: int = 0
    sent_to_review: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    touched_customers: set[int] = field(default_factory=set)

    @property
    def rows_rejected(self) -> int:
        """Rows, not reasons: a row rejected for two columns counts once."""
        return len({rejection.number for rejection in self.rejected})

    def reject(self, number: int, column: str, reason: str, raw: dict) -> None:
        self.rejected.append(Rejected(number, column, reason[:255], raw))
