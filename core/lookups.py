"""`AnyOf(F("field"), subquery)`: membership in a subquery that PostgreSQL must compute first.

`field IN (subquery)` leaves the planner free to turn the subquery into a semi-join and
drive the query from the other side; when its row estimates are off it reads a large table
row by row and filters (the review queue read every open task of the platform at a step to
keep one agency's). `field = ANY(ARRAY(subquery))` makes the subquery an InitPlan, run once,
whose ids the outer scan then looks up by index: the query is driven from the (small)
subquery. Elsewhere (SQLite, the embedded mode) it is a plain IN.
"""

from django.db.models import Lookup


class AnyOf(Lookup):
    """A lookup used as a filter expression: `.filter(AnyOf(F("process_id"), rounds))`."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN {rhs}", [*lhs_params, *rhs_params]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]
