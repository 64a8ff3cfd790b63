"""Facts about each row of a queryset, computed once for the whole set and joined, instead of asked per row.

A correlated subquery (the policy in force for the row's partner, the last session a mentor attended) runs
once per row and once per use; PostgreSQL cannot cache it. A fact query grouped by its key (one row per
mentor, per partner) is computed once and LEFT JOINed: the compliance list and the reminders planner read
their per-mentor and per-partner facts this way.

    alias = join_facts(people, last_held, name="last_held", key="person_id")
    people.annotate(last_supervised_on=Fact(alias, "on", models.DateField()))
"""

from django.db.models import Expression
from django.db.models.sql.constants import LOUTER


class FactsJoin:
    """LEFT OUTER JOIN (<a grouped query>) <alias> ON <alias>.<key> = <parent>.<column>: one fact per parent row,
    computed once for the whole set (a GROUP BY) instead of a correlated subquery per row and per use.

    An entry of Query.alias_map (the attributes and methods Join documents as required); the facts are read
    through Fact columns, so that the compiled grouped query is written into the FROM clause only once however
    many annotations use it.
    """

    join_type = LOUTER
    nullable = True
    filtered_relation = None
    join_field = None

    def __init__(self, facts, key, parent_alias, parent_column, table_name, table_alias=None):
        self.facts = facts
        self.key = key
        self.parent_alias = parent_alias
        self.parent_column = parent_column
        self.table_name = table_name
        self.table_alias = table_alias

    def as_sql(self, compiler, connection):
        sql, params = self.facts.query.get_compiler(connection=connection).as_sql()
        qn = compiler.quote_name_unless_alias
        quote = connection.ops.quote_name
        on = f"{qn(self.table_alias)}.{quote(self.key)} = {qn(self.parent_alias)}.{quote(self.parent_column)}"
        return f"{self.join_type} ({sql}) {qn(self.table_alias)} ON ({on})", params

    def relabeled_clone(self, change_map):
        return self.__class__(
            self.facts,
            self.key,
            change_map.get(self.parent_alias, self.parent_alias),
            self.parent_column,
            self.table_name,
            change_map.get(self.table_alias, self.table_alias),
        )

    @property
    def identity(self):
        return (self.__class__, self.table_name, self.parent_alias, self.key, self.parent_column)

    def __eq__(self, other):
        return isinstance(other, FactsJoin) and self.identity == other.identity

    def __hash__(self):
        return hash(self.identity)

    def equals(self, other):
        return self == other

    def demote(self):
        return self

    def promote(self):
        return self


class Fact(Expression):
    """One column of a FactsJoin: NULL for a row the grouped query has nothing for, or `default` when given.

    Read as the database returns it: the grouped queries' columns are typed (a count, an integer policy value, a
    date), so the ORM's per-row int() of integer expressions is left out (about 45 ms of 1.2 s for 100,000
    compliance rows)."""

    def __init__(self, alias, column, output_field, default=None):
        super().__init__(output_field=output_field)
        self.alias, self.column, self.default = alias, column, default

    def as_sql(self, compiler, connection):
        sql = f"{compiler.quote_name_unless_alias(self.alias)}.{connection.ops.quote_name(self.column)}"
        if self.default is None:
            return sql, []
        return f"COALESCE({sql}, %s)", [self.default]

    @property
    def convert_value(self):
        return self._convert_value_noop

    def relabeled_clone(self, change_map):
        return self.__class__(change_map.get(self.alias, self.alias), self.column, self.output_field, self.default)

    def get_group_by_cols(self):
        return [self]


def join_facts(queryset, facts, *, name, key, column="id"):
    """`queryset` with `facts` (a queryset with one row per `key`) LEFT JOINed on its `column`, in place; returns
    the alias to read the facts by (Fact). `name` names the join in the SQL."""
    query = queryset.query
    join = FactsJoin(facts, key, query.get_initial_alias(), column, table_name=f"facts_{name}")
    return query.join(join)
